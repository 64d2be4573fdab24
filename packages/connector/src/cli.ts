#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLedgerCommand } from './cli/ledger-command';
import { runPacketCommand } from './cli/packet-command';
import { runChannelsCommand } from './cli/channels-command';
import { runPeersCommand, runReloadCommand } from './cli/peers-command';
import { loadConfigFile, type LoadedConfigFile } from './config/load';
import { worstCaseMemory } from './config/memory-bound';
import { ConfigSchema, type SchemaNode } from './config/schema';
import { Daemon } from './daemon';

/**
 * Exit codes: 0 ok, 1 runtime failure (or a second signal), 2 bad usage or invalid configuration,
 * 3 the process did not exit by itself after finishing (a leaked handle: a bug, never a success).
 */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_LEAKED_HANDLE = 3;
/** After a graceful stop the process should exit by itself; if a handle leaks, it is forced after this. */
const EXIT_GRACE_MS = 3000;

const HELP = `ilpd — Interledger (ILPv4) connector daemon

Usage:
  ilpd start --config <file>          run the daemon (SIGTERM/SIGINT: drain in-flight packets, flush, exit 0;
                                      a second signal forces exit 1; SIGHUP: apply the config file again)
           [--log-format json|pretty] log lines as JSON or human-readable (default: log.format, which is
                                      pretty on a terminal and JSON otherwise)
  ilpd config check --config <file>   validate a config file (and ILPD_* env overrides), print a summary
           [--print]                  ... and print the effective config as JSON (secrets redacted)
  ilpd peers <command> ...            add, change, disable, remove peers of the running daemon
                                      (admin write API; ilpd peers --help)
  ilpd reload --config <file>         apply the config file to the running daemon (as SIGHUP)
  ilpd channels <command> ...         payment channels of the running daemon: list, open, deposit,
                                      settle, close, deploy (ilpd channels --help)
  ilpd packet <command> ...           encode/decode ILP and BTP packets (ilpd packet --help)
  ilpd ledger <command> ...           inspect the ledger (ilpd ledger --help)
  ilpd --help | --version

Every config key can be overridden by an env variable, e.g. ILPD_HTTP__PORT=7781,
ILPD_PEERS__ALICE__BTP__AUTH_TOKEN=... (see docs/operators/config-reference.md).
Exit codes: 0 ok, 1 failure, 2 invalid usage or configuration, 3 forced exit after a leaked handle.
`;

interface ParsedFlags {
  readonly config?: string;
  readonly print: boolean;
  readonly logFormat?: string;
  readonly rest: string[];
}

function parseFlags(args: readonly string[]): ParsedFlags {
  let config: string | undefined;
  let print = false;
  let logFormat: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config' || arg === '-c') config = args[++i];
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '--print') print = true;
    else if (arg === '--log-format') logFormat = args[++i] ?? '';
    else if (arg.startsWith('--log-format=')) logFormat = arg.slice('--log-format='.length);
    else rest.push(arg);
  }
  return { config, print, logFormat, rest };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Loads the config or prints why it is invalid (exit 2). */
function loadOrReport(path: string | undefined): LoadedConfigFile | number {
  if (path === undefined) {
    console.error('ilpd: --config <file> is required\n');
    console.error(HELP);
    return EXIT_USAGE;
  }
  try {
    return loadConfigFile(path, process.env);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ILPD_ERR_CONFIG') {
      console.error(`ilpd: ${(err as Error).message}`);
      return EXIT_USAGE;
    }
    throw err;
  }
}

async function configCommand(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args);
  if (flags.rest[0] !== 'check' || flags.rest.length > 1) {
    console.error(`ilpd: unknown config command ${JSON.stringify(flags.rest.join(' '))}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const loaded = loadOrReport(flags.config);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  const address = config.address ?? '(from the parent over ILDCP)';
  const memory = worstCaseMemory(config);
  const mib = (bytes: number): number => Math.ceil(bytes / 2 ** 20);
  const terms = Object.entries(memory.terms).map(([term, bytes]) => `${term} ${mib(bytes)}`);
  console.log(
    `config OK: ${flags.config} — address ${address}, ${config.peers.length} peer(s), ledger ${config.ledger.backend}, ` +
      `BTP ${config.btp.host}:${config.btp.port}, HTTP ${config.http.host}:${config.http.port}` +
      (config.admin.enabled ? `, admin API ${config.admin.host}:${config.admin.port}` : '') +
      `; worst-case memory ${mib(memory.totalBytes)} MiB (${terms.join(', ')}; docs/operators/security.md)`,
  );
  if (flags.print) console.log(JSON.stringify(config, redactingReplacer, 2));
  return EXIT_OK;
}

/** Every key the schema marks secret (auth tokens, settlement keys), wherever it appears. */
const SECRET_KEYS = secretKeyNames(ConfigSchema as SchemaNode);

function secretKeyNames(node: SchemaNode, into = new Set<string>()): Set<string> {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const schema = child as SchemaNode;
    if (schema.secret === true) into.add(name);
    secretKeyNames(schema, into);
  }
  for (const child of [...(node.anyOf ?? []), ...(node.items === undefined ? [] : [node.items])]) {
    secretKeyNames(child as SchemaNode, into);
  }
  return into;
}

function redactingReplacer(key: string, value: unknown): unknown {
  if (SECRET_KEYS.has(key)) return '<redacted>';
  if (key === 'url' && typeof value === 'string')
    return value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:<redacted>@');
  return typeof value === 'bigint' ? value.toString() : value;
}

async function startCommand(args: readonly string[]): Promise<number> {
  const flags = parseFlags(args);
  if (flags.rest.length > 0) {
    console.error(`ilpd: unexpected arguments ${flags.rest.join(' ')}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  if (flags.logFormat !== undefined && flags.logFormat !== 'json' && flags.logFormat !== 'pretty') {
    console.error(`ilpd: --log-format: expected json or pretty, got ${JSON.stringify(flags.logFormat)}`);
    return EXIT_USAGE;
  }
  const loaded = loadOrReport(flags.config);
  if (typeof loaded === 'number') return loaded;
  const daemon = new Daemon(loaded.config, {
    logFormat: flags.logFormat,
    configFile: { path: loaded.path, text: loaded.text },
  });
  const { logger } = daemon;

  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      process.off('SIGHUP', onReload);
      resolve(code);
    };
    const stopAndExit = (code: number): void => {
      daemon.stop().then(
        () => finish(code),
        (err: unknown) => {
          logger.error({ err }, 'error during shutdown');
          finish(EXIT_FAILURE);
        },
      );
    };
    function onSignal(signal: NodeJS.Signals): void {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without finishing the drain');
        process.exit(EXIT_FAILURE);
      }
      stopping = true;
      logger.info({ signal }, 'signal received: stopping gracefully');
      stopAndExit(EXIT_OK);
    }
    /** SIGHUP: re-read the config file and apply what changed; a bad file changes nothing (logged). */
    function onReload(): void {
      if (stopping) return;
      logger.info({ signal: 'SIGHUP' }, 'signal received: reloading the config file');
      // ConfigChanges logs the outcome: what changed, or why nothing did (each bad key named).
      daemon.reload({ source: 'signal', actor: 'SIGHUP' }).catch(() => undefined);
    }
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onReload);
    process.on('uncaughtException', (err) => {
      logger.fatal({ err }, 'uncaught exception: exiting');
      process.exit(EXIT_FAILURE);
    });
    process.on('unhandledRejection', (err) => {
      logger.fatal({ err }, 'unhandled promise rejection: exiting');
      process.exit(EXIT_FAILURE);
    });
    daemon.start().catch((err: unknown) => {
      if (stopping) return;
      stopping = true;
      logger.fatal({ err }, 'ilpd failed to start');
      stopAndExit(EXIT_FAILURE);
    });
  });
}

export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'start':
      return startCommand(args);
    case 'config':
      return configCommand(args);
    case 'peers':
      return runPeersCommand(args, process);
    case 'reload':
      return runReloadCommand(args, process);
    case 'channels':
      return runChannelsCommand(args, process);
    case 'packet':
      return runPacketCommand(args, process);
    case 'ledger':
      return runLedgerCommand(args, process);
    case '--version':
    case '-v':
      console.log(version());
      return EXIT_OK;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      console.log(HELP);
      return command === undefined ? EXIT_USAGE : EXIT_OK;
    default:
      console.error(`ilpd: unknown command ${JSON.stringify(command)}\n\n${HELP}`);
      return EXIT_USAGE;
  }
}

/**
 * Runs the CLI as the process (bin/ilpd.cjs, or `node dist/cli.js`): exit code from `main`. Every
 * handle is released on a clean stop, so the process then exits by itself; if one leaked, the
 * process is forced out after EXIT_GRACE_MS with EXIT_LEAKED_HANDLE, naming what was still open.
 */
export function runAsProcess(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      setTimeout(() => {
        const open = process.getActiveResourcesInfo();
        console.error(
          `ilpd: still running ${EXIT_GRACE_MS} ms after it finished (exit code ${code}); open handles: ` +
            `${open.join(', ') || 'none reported'}. Forcing exit ${EXIT_LEAKED_HANDLE}.`,
        );
        process.exit(EXIT_LEAKED_HANDLE);
      }, EXIT_GRACE_MS).unref();
    },
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT_FAILURE);
    },
  );
}

if (require.main === module) runAsProcess();
