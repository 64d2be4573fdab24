import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ENV_PREFIX, envSegment } from './env';
import { ConfigSchema, type SchemaNode } from './schema';
import { discriminatorOf } from './validate';

/**
 * Renders docs/operators/config-reference.md from the config schema, so the reference can never drift
 * from what the daemon accepts (a test compares the committed file with this output).
 * Run: `npm run docs:config`.
 */
interface Row {
  key: string;
  type: string;
  default: string;
  env: string;
  description: string;
}

export function renderConfigReference(): string {
  const rows: Row[] = [];
  collectRows(ConfigSchema as SchemaNode, '', '', rows);
  return [...HEADER, table(rows), '', ...CROSS_FIELD_RULES].join('\n');
}

function collectRows(node: SchemaNode, key: string, env: string, rows: Row[], required = true): void {
  const properties = node.properties as Record<string, SchemaNode> | undefined;
  if (node.type === 'object' && properties !== undefined) {
    if (key !== '' && !required) rows.push(row(node, key, '—', false));
    const requiredKeys = new Set((node.required as string[] | undefined) ?? []);
    for (const [name, child] of Object.entries(properties)) {
      collectRows(child, join(key, name), envJoin(env, envSegment(name)), rows, requiredKeys.has(name));
    }
    return;
  }
  const variants = node.anyOf as SchemaNode[] | undefined;
  if (variants !== undefined && variants.some((v) => v.type === 'object')) {
    collectUnionRows(variants, key, env, rows);
    return;
  }
  if (node.type === 'array' && (node.items as SchemaNode).type === 'object') {
    rows.push(row(node, key, '—', required));
    const address = node.envKey === undefined ? '<INDEX>' : `<${envSegment(node.envKey)}>`;
    collectRows(node.items as SchemaNode, `${key}[]`, `${env}__${address}`, rows);
    return;
  }
  if (node.type === 'object' && node.patternProperties !== undefined) {
    rows.push(row(node, key, `${env}__<ASSET>`, required));
    return;
  }
  rows.push(row(node, key, env, required));
}

/** One row per key of a discriminated union of mappings, naming the variants that have it. */
function collectUnionRows(variants: SchemaNode[], key: string, env: string, rows: Row[]): void {
  const tag = discriminatorOf(variants);
  const tagOf = (v: SchemaNode): string => String((v.properties as Record<string, SchemaNode>)[tag].const);
  const names = [...new Set(variants.flatMap((v) => Object.keys(v.properties as object)))];
  for (const name of names) {
    const having = variants.filter((v) => (v.properties as Record<string, SchemaNode>)[name] !== undefined);
    const first = (having[0].properties as Record<string, SchemaNode>)[name];
    const childEnv = `${env}__${envSegment(name)}`;
    if (name === tag) {
      rows.push({
        key: `\`${join(key, name)}\``,
        type: having.map((v) => `\`${tagOf(v)}\``).join(' or '),
        default: 'required',
        env: `\`${childEnv}\``,
        description: first.description ?? '',
      });
      continue;
    }
    const requiredIn = having.filter((v) => ((v.required as string[] | undefined) ?? []).includes(name));
    const r = row(first, join(key, name), childEnv, true);
    const roles = having.map(tagOf).join(', ');
    r.type = `${r.type} (${tag} ${roles})`;
    if (first.default === undefined) {
      r.default =
        requiredIn.length === having.length
          ? 'required'
          : requiredIn.length === 0
            ? 'unset'
            : `required (${tag} ${requiredIn.map(tagOf).join(', ')}), else unset`;
    }
    const descriptions = [
      ...new Set(having.map((v) => (v.properties as Record<string, SchemaNode>)[name].description)),
    ];
    r.description = descriptions.filter((d) => d !== undefined).join(' ');
    rows.push(r);
  }
}

function row(node: SchemaNode, key: string, env: string, required: boolean): Row {
  return {
    key: `\`${key}\``,
    type: typeOf(node),
    default: defaultOf(node, required),
    env: env === '—' ? '—' : `\`${env}\``,
    description: node.description ?? '',
  };
}

function typeOf(node: SchemaNode): string {
  const variants = node.anyOf as SchemaNode[] | undefined;
  if (variants !== undefined) return variants.map((v) => `\`${String(v.const)}\``).join(', ');
  if (node.ilpdAmount === true)
    return node.pattern?.includes('-?') ? 'decimal string (signed)' : 'decimal string';
  switch (node.type) {
    case 'integer': {
      const range = `${node.minimum ?? ''}–${node.maximum ?? ''}`;
      return node.unit === 'ms' ? `integer ms, ${range}` : `integer, ${range}`;
    }
    case 'number':
      return node.exclusiveMinimum !== undefined
        ? `number > ${node.exclusiveMinimum}`
        : `number, ${node.minimum}–${node.maximum}`;
    case 'array':
      return (node.items as SchemaNode).type === 'object' ? 'list of mappings' : 'list of strings';
    case 'object':
      return node.patternProperties !== undefined ? 'mapping: asset code → number > 0' : 'mapping';
    default:
      return String(node.type);
  }
}

function defaultOf(node: SchemaNode, required: boolean): string {
  if (node.derivedDefault !== undefined) return node.derivedDefault;
  if (node.default !== undefined) return `\`${JSON.stringify(node.default)}\``;
  return required ? 'required' : 'unset';
}

/** Env names: `ILPD_` before the first key, `__` between keys. */
function envJoin(env: string, segment: string): string {
  return env === '' ? `${ENV_PREFIX}${segment}` : `${env}__${segment}`;
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** A markdown table padded exactly as prettier formats it, so `prettier --check` accepts the file. */
function table(rows: Row[]): string {
  const header: Row = {
    key: 'Key',
    type: 'Type',
    default: 'Default',
    env: 'Env variable',
    description: 'Description',
  };
  const columns: (keyof Row)[] = ['key', 'type', 'default', 'env', 'description'];
  const all = [header, ...rows].map((r) => {
    const copy = { ...r };
    for (const c of columns) copy[c] = copy[c].replace(/\|/g, '\\|');
    return copy;
  });
  const widths = columns.map((c) => Math.max(3, ...all.map((r) => r[c].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [
    line(columns.map((c) => all[0][c])),
    line(widths.map((w) => '-'.repeat(w))),
    ...all.slice(1).map((r) => line(columns.map((c) => r[c]))),
  ].join('\n');
}

const HEADER = [
  '<!-- Generated from packages/connector/src/config/schema.ts by `npm run docs:config`; do not edit. -->',
  '',
  '# ilpd configuration reference',
  '',
  'ilpd reads one YAML file (`ilpd start --config <file>`; check one with `ilpd config check --config <file>`).',
  'Unknown keys are rejected, every value is checked at startup, and a bad value stops the daemon with',
  'one line per problem naming the key, the value found and what is allowed, e.g.',
  '`peers[2].maxPacketAmount: expected a decimal string (e.g. "1000000"), got -5`.',
  '',
  '- **Amounts** (`maxPacketAmount`, `balance.*`, `throughput.*`) are quoted decimal strings in the',
  "  peer's smallest unit (`assetScale` decimal places), so values above 2^53 stay exact.",
  '- **Durations** are integers in milliseconds (keys ending in `Ms`).',
  '- **Relative paths** (`ledger.embedded.path`) are relative to the config file.',
  '',
  '## Environment overrides',
  '',
  'Every value can be overridden by an environment variable: `ILPD_` followed by the key path, each key',
  'in SNAKE_CASE capitals, path steps joined by two underscores. Peers are addressed by their id (in',
  'capitals, other characters as `_`), other lists by index, `fx.rates` by asset code:',
  '',
  '```sh',
  'ILPD_HTTP__PORT=7781',
  'ILPD_LEDGER__BATCH_SIZE=200',
  'ILPD_PEERS__ALICE__BTP__AUTH_TOKEN=s3cret',
  'ILPD_ROUTES__0__PEER=bob',
  'ILPD_FX__RATES__EUR=1.08',
  'ILPD_LEDGER__TIGERBEETLE__ADDRESSES=3001,3002,3003',
  '```',
  '',
  'Values are parsed as the type at that key (numbers, `true`/`false`, comma-separated lists) and then',
  'validated like YAML values; messages name the variable that set a bad value. Empty values are ignored.',
  'Overrides change keys of peers and routes present in the file; they do not add list items.',
  '',
  '## Keys',
  '',
];

const CROSS_FIELD_RULES = [
  '## Rules across keys',
  '',
  '- `address` is required unless a peer has relation `parent`.',
  '- Peer ids are unique; server-role peers have distinct `authToken`s; `routes[].peer` names a peer.',
  '- `balance.minimum` ≤ 0 ≤ `balance.maximum`.',
  '- When peers use more than one asset code, `fx.rates` has a rate for each of them.',
  '- `packet.maxHoldTimeMs` > `packet.minMessageWindowMs`; `ledger.pendingTimeoutMs` > `packet.maxHoldTimeMs`;',
  '  `routing.routeExpiryMs` > `routing.broadcastIntervalMs` (when broadcasting);',
  '  `ledger.maxQueue` ≥ `ledger.batchSize`; `btp.reconnectMaxMs` ≥ `btp.reconnectInitialMs`.',
  '- A TigerBeetle cluster has 1 replica address or 3 or more.',
  '',
];

if (require.main === module) {
  const target = resolve(process.argv[2] ?? 'docs/operators/config-reference.md');
  writeFileSync(target, renderConfigReference());
  process.stdout.write(`wrote ${target}\n`);
}
