#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runLedgerCommand } from './cli/ledger-command';
import { runPacketCommand } from './cli/packet-command';
import { loadConfig } from './config/load';
import { worstCaseMemory } from './config/memory-bound';
import type { DaemonConfig } from './config/types';
import { Daemon } from './daemon';

/** Exit codes: 0 ok, 1 runtime failure (or forced exit), 2 bad usage or invalid configuration. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
/** After a graceful stop the process should exit by itself; if a handle leaks, it is forced after this. */
const EXIT_GRACE_MS = 3000;

const HELP = `ilpd — Interledger (ILPv4) connector daemon

Usage:
  ilpd start --config <file>          run the daemon (SIGTERM/SIGINT: drain in-flight packets, flush, exit 0;
                                      a second signal forces exit 1)
  ilpd config check --config <file>   validate a config file (and ILPD_* env overrides), print a summary
           [--print]                  ... and print the effective config as JSON (secrets redacted)
  ilpd packet <command> ...           encode/decode ILP and BTP packets (ilpd packet --help)
  ilpd ledger <command> ...           inspect the ledger (ilpd ledger --help)
  ilpd --help | --version

Every config key can be overridden by an env variable, e.g. ILPD_HTTP__PORT=7781,
ILPD_PEERS__ALICE__BTP__AUTH_TOKEN=... (see docs/operators/config-reference.md).
Exit codes: 0 ok, 1 failure, 2 invalid usage or configuration.
`;

interface ParsedFlags {
  readonly config?: string;
  readonly print: boolean;
  readonly rest: string[];
}

function parseFlags(args: readonly string[]): ParsedFlags {
  let config: string | undefined;
  let print = false;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--config' || arg === '-c') config = args[++i];
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '--print') print = true;
    else rest.push(arg);
  }
  return { config, print, rest };
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/** Loads the config or prints why it is invalid (exit 2). */
function loadOrReport(path: string | undefined): DaemonConfig | number {
  if (path === undefined) {
    console.error('ilpd: --config <file> is required\n');
    console.error(HELP);
    return EXIT_USAGE;
  }
  try {
    return loadConfig(path, process.env);
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
  const config = loadOrReport(flags.config);
  if (typeof config === 'number') return config;
  const address = config.address ?? '(from the parent over ILDCP)';
  const memory = worstCaseMemory(config);
  const mib = (bytes: number): number => Math.ceil(bytes / 2 ** 20);
  const terms = Object.entries(memory.terms).map(([term, bytes]) => `${term} ${mib(bytes)}`);
  console.log(
    `config OK: ${flags.config} — address ${address}, ${config.peers.length} peer(s), ledger ${config.ledger.backend}, ` +
      `BTP ${config.btp.host}:${config.btp.port}, HTTP ${config.http.host}:${config.http.port}; worst-case memory ` +
      `${mib(memory.totalBytes)} MiB (${terms.join(', ')}; docs/operators/security.md)`,
  );
  if (flags.print) console.log(JSON.stringify(config, redactingReplacer, 2));
  return EXIT_OK;
}

function redactingReplacer(key: string, value: unknown): unknown {
  if (key === 'authToken') return '<redacted>';
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
  const config = loadOrReport(flags.config);
  if (typeof config === 'number') return config;
  const daemon = new Daemon(config);
  const { logger } = daemon;

  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
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
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
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

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Everything is released on a clean stop, so the process exits by itself; this only catches leaks.
      setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
    },
    (err: unknown) => {
      console.error(err);
      process.exit(EXIT_FAILURE);
    },
  );
}
