import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DaemonError } from '../errors';
import { checkCrossFieldRules } from './checks';
import { applyEnvOverrides } from './env';
import { ConfigSchema, type ConfigDocument, type SchemaNode } from './schema';
import type { DaemonConfig } from './types';
import { formatProblem, normalizeDocument, type ConfigProblem } from './validate';

/** Startup stops with this: one line per problem, each naming the key, the bad value and what is allowed. */
export class ConfigError extends DaemonError {
  readonly problems: readonly string[];

  constructor(
    /** Where the config came from, e.g. `in /etc/ilpd/ilpd.yaml`. */
    readonly source: string,
    problems: readonly string[],
  ) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(
      'ILPD_ERR_CONFIG',
      `invalid configuration ${source} (${count}):\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads, validates and freezes the config file; throws a ConfigError (code ILPD_ERR_CONFIG). */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  return loadConfigFile(path, env).config;
}

/** A loaded config and the file text it came from (runtime changes edit and compare that text). */
export interface LoadedConfigFile {
  /** Absolute path of the file. */
  readonly path: string;
  readonly text: string;
  readonly config: DaemonConfig;
}

export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfigFile {
  const file = resolve(path);
  const text = readConfigText(file, `in ${path}`);
  return { path: file, text, config: parseConfig(text, env, dirname(file), `in ${path}`) };
}

/** The file's text, or a ConfigError that says why it cannot be read. */
export function readConfigText(file: string, source = `in ${file}`): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ConfigError(source, [`cannot read ${file}: ${reason}`]);
  }
}

/**
 * YAML text → DaemonConfig: YAML syntax, env overrides, schema (types, ranges, unknown keys, defaults),
 * then cross-field rules. Problems of one stage are all reported together; later stages run only on
 * a document the earlier ones accepted, so every message is about something the operator wrote.
 */
export function parseConfig(
  yamlText: string,
  env: NodeJS.ProcessEnv,
  configDir: string,
  source = 'from YAML text',
): DaemonConfig {
  const fail = (problems: readonly ConfigProblem[], origins?: ReadonlyMap<string, string>): never => {
    throw new ConfigError(
      source,
      problems.map((p) => {
        const origin = origins?.get(p.path);
        return origin === undefined ? formatProblem(p) : `${formatProblem(p)} (set by ${origin})`;
      }),
    );
  };
  const parsed = parseDocument(yamlText, { uniqueKeys: true, prettyErrors: true });
  if (parsed.errors.length > 0) {
    fail(
      parsed.errors.map((e) => {
        const [line, col] = e.linePos?.[0] ? [e.linePos[0].line, e.linePos[0].col] : [0, 0];
        const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
        return { path: '', message: `YAML syntax error at line ${line}, column ${col}: ${what}` };
      }),
    );
  }
  const raw: unknown = parsed.toJS({ maxAliasCount: 100 }) ?? {};
  const schema = ConfigSchema as SchemaNode;
  const overridden = applyEnvOverrides(schema, raw, env);
  if (overridden.problems.length > 0) fail(overridden.problems);
  const normalized = normalizeDocument(schema, overridden.document);
  if (normalized.problems.length > 0) fail(normalized.problems, overridden.origins);
  const doc = fillDerivedDefaults(normalized.value as ConfigDocument);
  const crossProblems = checkCrossFieldRules(doc);
  if (crossProblems.length > 0) fail(crossProblems, overridden.origins);
  const config: DaemonConfig = { ...doc, configDir };
  return deepFreeze(config);
}

/** Defaults that depend on other keys (documented in the schema's `derivedDefault`). */
function fillDerivedDefaults(doc: ConfigDocument): ConfigDocument {
  for (const peer of doc.peers) {
    peer.sendRoutes ??= peer.relation !== 'child';
    peer.receiveRoutes ??= peer.relation !== 'child';
  }
  return doc;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
