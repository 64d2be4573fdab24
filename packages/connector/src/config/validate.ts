import type { SchemaNode } from './schema';

/**
 * Walks a YAML document against the config schema: fills defaults, turns amounts into bigint, and
 * reports every problem as `path: what was expected, what was found`, so an operator can fix the file
 * from the message alone. Total: any input yields a value or problems, never an exception.
 */
export interface ConfigProblem {
  /** Key path in the YAML document, e.g. `peers[2].maxPacketAmount` ('' for the whole document). */
  readonly path: string;
  readonly message: string;
}

export function formatProblem(problem: ConfigProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`;
}

export function childPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function normalizeDocument(
  schema: SchemaNode,
  value: unknown,
): { value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const normalized = walk(schema, value, '', problems);
  return { value: normalized, problems };
}

function walk(node: SchemaNode, input: unknown, path: string, problems: ConfigProblem[]): unknown {
  const value = input === undefined && node.default !== undefined ? structuredClone(node.default) : input;
  if (value === undefined) return undefined;
  const bad = (): undefined => {
    problems.push({ path, message: `expected ${describeExpected(node)}, got ${describeValue(value, node)}` });
    return undefined;
  };
  if (node.anyOf !== undefined) return walkUnion(node, value, path, problems, bad);
  switch (node.type) {
    case 'object':
      if (!isMapping(value)) return bad();
      return node.patternProperties !== undefined
        ? walkRecord(node, value, path, problems)
        : walkObject(node, value, path, problems);
    case 'array':
      if (!Array.isArray(value)) return bad();
      return walkArray(node, value, path, problems, bad);
    case 'string':
      return walkString(node, value, path, problems, bad);
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return bad();
      if (node.type === 'integer' && !Number.isInteger(value)) return bad();
      if (node.minimum !== undefined && value < node.minimum) return bad();
      if (node.maximum !== undefined && value > node.maximum) return bad();
      if (node.exclusiveMinimum !== undefined && value <= node.exclusiveMinimum) return bad();
      return value;
    case 'boolean':
      return typeof value === 'boolean' ? value : bad();
    default:
      throw new Error(`config schema node of unsupported type ${String(node.type)} at ${path}`);
  }
}

function walkObject(
  node: SchemaNode,
  value: Record<string, unknown>,
  path: string,
  problems: ConfigProblem[],
): Record<string, unknown> {
  const properties = node.properties as Record<string, SchemaNode>;
  const required = new Set<string>((node.required as string[] | undefined) ?? []);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(properties, key)) {
      problems.push({ path: childPath(path, key), message: unknownKeyMessage(key, Object.keys(properties)) });
    }
  }
  for (const [key, propNode] of Object.entries(properties)) {
    const raw = value[key];
    const result = walk(propNode, raw, childPath(path, key), problems);
    if (result !== undefined) out[key] = result;
    else if (raw === undefined && required.has(key) && propNode.derivedDefault === undefined) {
      problems.push({
        path: childPath(path, key),
        message: `required: expected ${describeExpected(propNode)}`,
      });
    }
  }
  return out;
}

function walkRecord(
  node: SchemaNode,
  value: Record<string, unknown>,
  path: string,
  problems: ConfigProblem[],
): Record<string, unknown> {
  const [keyPattern, valueNode] = Object.entries(node.patternProperties as Record<string, SchemaNode>)[0];
  const keyRegex = cachedRegex(keyPattern);
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!keyRegex.test(key)) {
      problems.push({
        path: childPath(path, key),
        message: `invalid key: expected ${node.keyExpected ?? `a key matching ${keyPattern}`}`,
      });
      continue;
    }
    const result = walk(valueNode, raw, childPath(path, key), problems);
    if (result !== undefined) out[key] = result;
  }
  return out;
}

function walkArray(
  node: SchemaNode,
  value: unknown[],
  path: string,
  problems: ConfigProblem[],
  bad: () => undefined,
): unknown[] | undefined {
  if (node.minItems !== undefined && value.length < node.minItems) return bad();
  if (node.maxItems !== undefined && value.length > node.maxItems) return bad();
  const items = node.items as SchemaNode;
  const out: unknown[] = [];
  value.forEach((item, i) => {
    out.push(walk(items, item, childPath(path, i), problems));
  });
  return out;
}

function walkString(
  node: SchemaNode,
  value: unknown,
  path: string,
  problems: ConfigProblem[],
  bad: () => undefined,
): unknown {
  if (typeof value !== 'string') return bad();
  if (node.minLength !== undefined && value.length < node.minLength) return bad();
  if (node.maxLength !== undefined && value.length > node.maxLength) return bad();
  if (node.pattern !== undefined && !cachedRegex(node.pattern).test(value)) return bad();
  if (node.const !== undefined && value !== node.const) return bad();
  if (node.ilpdAmount !== true) return value;
  const amount = BigInt(value);
  const magnitude = amount < 0n ? -amount : amount;
  if (node.maxMagnitude !== undefined && magnitude > BigInt(node.maxMagnitude)) {
    problems.push({
      path,
      message: `expected ${describeExpected(node)} of at most ${node.maxMagnitude} in magnitude, got ${describeValue(value, node)}`,
    });
    return undefined;
  }
  return amount;
}

function walkUnion(
  node: SchemaNode,
  value: unknown,
  path: string,
  problems: ConfigProblem[],
  bad: () => undefined,
): unknown {
  const variants = node.anyOf as SchemaNode[];
  if (variants.every((v) => v.const !== undefined)) {
    return variants.some((v) => v.const === value) ? value : bad();
  }
  // Unions of mappings are discriminated by one key whose value is a literal in every variant (btp.role).
  const discriminator = discriminatorOf(variants);
  if (!isMapping(value)) return bad();
  const tag = value[discriminator];
  const chosen = variants.find(
    (v) => (v.properties as Record<string, SchemaNode>)[discriminator].const === tag,
  );
  if (chosen === undefined) {
    const allowed = variants.map((v) =>
      JSON.stringify((v.properties as Record<string, SchemaNode>)[discriminator].const),
    );
    const got = tag === undefined ? 'nothing' : describeValue(tag, node);
    problems.push({
      path: childPath(path, discriminator),
      message: `expected one of ${allowed.join(', ')}, got ${got}`,
    });
    return undefined;
  }
  return walkObject(chosen, value, path, problems);
}

export function discriminatorOf(variants: readonly SchemaNode[]): string {
  const first = variants[0].properties as Record<string, SchemaNode>;
  const key = Object.keys(first).find((k) =>
    variants.every((v) => (v.properties as Record<string, SchemaNode> | undefined)?.[k]?.const !== undefined),
  );
  if (key === undefined) throw new Error('config schema union of mappings needs a literal discriminator key');
  return key;
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How a valid value looks, for "expected …" messages and the reference doc. */
function describeExpected(node: SchemaNode): string {
  if (node.expected !== undefined) return node.expected;
  if (node.anyOf !== undefined) {
    const variants = node.anyOf as SchemaNode[];
    if (variants.every((v) => v.const !== undefined)) {
      return `one of ${variants.map((v) => JSON.stringify(v.const)).join(', ')}`;
    }
    return `a mapping with ${discriminatorOf(variants)}: ${variants
      .map((v) =>
        JSON.stringify((v.properties as Record<string, SchemaNode>)[discriminatorOf(variants)].const),
      )
      .join(' or ')}`;
  }
  switch (node.type) {
    case 'integer': {
      const what = node.unit === 'ms' ? 'an integer number of milliseconds' : 'an integer';
      return `${what}${describeRange(node)}`;
    }
    case 'number':
      return `a number${describeRange(node)}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return node.const !== undefined ? JSON.stringify(node.const) : 'a string';
    case 'array': {
      const count =
        node.minItems !== undefined && node.minItems > 0
          ? ` of ${node.minItems} to ${node.maxItems ?? 'any number of'} items`
          : '';
      return `a list${count}`;
    }
    default:
      return 'a mapping';
  }
}

function describeRange(node: SchemaNode): string {
  if (node.exclusiveMinimum !== undefined) return ` > ${node.exclusiveMinimum}`;
  if (node.minimum !== undefined && node.maximum !== undefined)
    return ` between ${node.minimum} and ${node.maximum}`;
  if (node.minimum !== undefined) return ` >= ${node.minimum}`;
  return '';
}

/** The offending value as the operator wrote it; secrets are described, never echoed. */
export function describeValue(value: unknown, node?: SchemaNode): string {
  if (value === null) return 'an empty value (null)';
  if (Array.isArray(value)) return `a list of ${value.length} items`;
  if (typeof value === 'object') return 'a mapping';
  if (node?.secret === true)
    return typeof value === 'string' ? `a string of ${value.length} characters` : `a ${typeof value}`;
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  }
  return String(value);
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  let suggestion: string | undefined;
  let best = 3;
  for (const candidate of allowed) {
    const distance = editDistance(candidate.toLowerCase(), key.toLowerCase());
    if (distance < best) [suggestion, best] = [candidate, distance];
  }
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  return `unknown key${hint}; allowed keys: ${allowed.join(', ')}`;
}

/** Edit distance counting a swap of neighbours as one edit (typos like "htpp"), capped at 3. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [
    i,
    ...new Array<number>(b.length).fill(0),
  ]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return Math.min(d[a.length][b.length], 3);
}

const regexCache = new Map<string, RegExp>();
function cachedRegex(pattern: string): RegExp {
  let regex = regexCache.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(pattern);
    regexCache.set(pattern, regex);
  }
  return regex;
}
