import type { SchemaNode } from './schema';
import { childPath, discriminatorOf, isMapping, type ConfigProblem } from './validate';

/**
 * Environment overrides. Every scalar key of the schema can be set by a variable named
 * `ILPD_` + its key path, each key in SNAKE_CASE capitals, path steps joined by `__`:
 *
 *   http.port                       ILPD_HTTP__PORT=7781
 *   ledger.batchSize                ILPD_LEDGER__BATCH_SIZE=200
 *   peers[id=alice].btp.authToken   ILPD_PEERS__ALICE__BTP__AUTH_TOKEN=…   (list items by their id)
 *   routes[0].peer                  ILPD_ROUTES__0__PEER=bob               (lists without ids by index)
 *   fx.rates.EUR                    ILPD_FX__RATES__EUR=1.08
 *   ledger.tigerbeetle.addresses    ILPD_LEDGER__TIGERBEETLE__ADDRESSES=3001,3002,3003 (comma-separated)
 *
 * Values are parsed by the type at that key (numbers, true/false, lists) and then validated exactly
 * like YAML values. An empty value is ignored, so `ILPD_X=${UNSET}` in a compose file changes nothing.
 * Variables without `__` are config overrides only when they name a top-level key (ILPD_ADDRESS);
 * others (e.g. ILPD_TIGERBEETLE_ADDRESSES, read by test suites) are not config.
 */
export const ENV_PREFIX = 'ILPD_';

/** `maxPayloadBytes` → `MAX_PAYLOAD_BYTES`; `alice-1` → `ALICE_1`. */
export function envSegment(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]/g, '_')
    .toUpperCase();
}

export interface EnvOverrideResult {
  /** The document with every override applied (the input is not modified). */
  readonly document: unknown;
  /** Key path → env variable that set it, so validation messages can name the variable. */
  readonly origins: ReadonlyMap<string, string>;
  readonly problems: ConfigProblem[];
}

export function applyEnvOverrides(
  schema: SchemaNode,
  input: unknown,
  env: NodeJS.ProcessEnv,
): EnvOverrideResult {
  const document: unknown = structuredClone(input ?? {});
  const origins = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  if (!isMapping(document)) return { document, origins, problems };
  const topLevel = schema.properties as Record<string, SchemaNode>;
  for (const name of Object.keys(env).sort()) {
    const raw = env[name];
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || raw === '') continue;
    const rest = name.slice(ENV_PREFIX.length);
    if (!rest.includes('__')) {
      const key = Object.keys(topLevel).find((k) => envSegment(k) === rest);
      if (key === undefined) {
        const section = Object.keys(topLevel).find((k) => rest.startsWith(`${envSegment(k)}_`));
        if (section !== undefined) {
          problems.push({
            path: '',
            message: `${name}: nested keys are separated by two underscores (e.g. ${ENV_PREFIX}${envSegment(section)}__…)`,
          });
        }
        continue;
      }
    }
    const target = resolveTarget(schema, document, rest.split('__'), name);
    if ('problem' in target) {
      problems.push({ path: '', message: target.problem });
      continue;
    }
    (target.container as Record<string | number, unknown>)[target.key] = parseEnvValue(target.node, raw);
    origins.set(target.path, name);
  }
  return { document, origins, problems };
}

type Target =
  | { container: Record<string, unknown> | unknown[]; key: string | number; node: SchemaNode; path: string }
  | { problem: string };

function resolveTarget(
  root: SchemaNode,
  document: Record<string, unknown>,
  segments: string[],
  name: string,
): Target {
  let node = root;
  let container: Record<string, unknown> | unknown[] = document;
  let key: string | number | undefined;
  let path = '';
  for (const segment of segments) {
    // Step into the value selected by the previous segment, creating mappings the YAML left out.
    if (key !== undefined) {
      const next: unknown = (container as Record<string | number, unknown>)[key];
      if (next === undefined && node.type === 'object') {
        (container as Record<string | number, unknown>)[key] = {};
      } else if (!isMapping(next) && !Array.isArray(next)) {
        return {
          problem: `${name}: cannot set a key below ${path}, which is not a mapping or list in the config`,
        };
      }
      container = (container as Record<string | number, unknown>)[key] as Record<string, unknown> | unknown[];
    }
    const step = stepInto(node, container, segment, path, name);
    if ('problem' in step) return step;
    ({ node, key } = step);
    path = childPath(path, key);
  }
  if (key === undefined || !isScalarNode(node)) {
    return { problem: `${name}: ${path} is a section, not a value; set one of its keys (${name}__…)` };
  }
  return { container, key, node, path };
}

function stepInto(
  node: SchemaNode,
  container: Record<string, unknown> | unknown[],
  segment: string,
  path: string,
  name: string,
): { node: SchemaNode; key: string | number } | { problem: string } {
  if (node.type === 'array' && (node.items as SchemaNode).type === 'object' && Array.isArray(container)) {
    const idKey = node.envKey;
    if (idKey === undefined) {
      const index = /^[0-9]+$/.test(segment) ? Number(segment) : -1;
      if (index < 0 || index >= container.length) {
        return {
          problem: `${name}: ${path} has no item ${segment} (items are addressed by index 0..${container.length - 1})`,
        };
      }
      return { node: node.items as SchemaNode, key: index };
    }
    const matches = container.flatMap((item, i) =>
      isMapping(item) && typeof item[idKey] === 'string' && envSegment(item[idKey] as string) === segment
        ? [i]
        : [],
    );
    if (matches.length !== 1) {
      const why =
        matches.length === 0
          ? `no item with an ${idKey} matching ${segment}`
          : `${segment} matches several ${idKey}s`;
      return { problem: `${name}: ${path} has ${why}` };
    }
    return { node: node.items as SchemaNode, key: matches[0] };
  }
  if (node.type === 'object' && node.patternProperties !== undefined && isMapping(container)) {
    const existing = Object.keys(container).find((k) => envSegment(k) === segment);
    const valueNode = Object.values(node.patternProperties as Record<string, SchemaNode>)[0];
    return { node: valueNode, key: existing ?? segment };
  }
  const properties = propertiesOf(node);
  if (properties !== undefined && isMapping(container)) {
    const key = Object.keys(properties).find((k) => envSegment(k) === segment);
    if (key === undefined) {
      return {
        problem: `${name}: ${path === '' ? 'the config' : path} has no key ${segment} (keys: ${Object.keys(properties).join(', ')})`,
      };
    }
    return { node: properties[key], key };
  }
  return { problem: `${name}: ${path} is a single value; nothing can be set below it` };
}

/** Properties of a mapping, or of every variant of a discriminated union of mappings. */
function propertiesOf(node: SchemaNode): Record<string, SchemaNode> | undefined {
  if (node.type === 'object' && node.properties !== undefined)
    return node.properties as Record<string, SchemaNode>;
  const variants = node.anyOf as SchemaNode[] | undefined;
  if (variants === undefined || variants.every((v) => v.const !== undefined)) return undefined;
  discriminatorOf(variants);
  return Object.assign({}, ...variants.map((v) => v.properties as Record<string, SchemaNode>).reverse());
}

function isScalarNode(node: SchemaNode): boolean {
  if (node.type === 'array') return (node.items as SchemaNode).type !== 'object';
  return node.type !== 'object' && propertiesOf(node) === undefined;
}

/** Parses an env string as the value type at its key; unparseable text is kept so validation reports it. */
function parseEnvValue(node: SchemaNode, text: string): unknown {
  const trimmed = text.trim();
  switch (node.type) {
    case 'integer':
    case 'number':
      return /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(trimmed) ? Number(trimmed) : text;
    case 'boolean':
      return trimmed === 'true' ? true : trimmed === 'false' ? false : text;
    case 'array':
      return trimmed
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
    default:
      return text;
  }
}
