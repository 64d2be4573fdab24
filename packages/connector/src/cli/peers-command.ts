import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EXIT_OK, EXIT_USAGE, runAdminRequest, type AdminCommandIo } from './admin-client';

/** `ilpd peers …` and `ilpd reload`: change a running daemon's peers through its admin write API. */

export const PEERS_HELP = `ilpd peers — change the peers of a running ilpd (through its admin write API)

Usage:
  ilpd peers add --config <file> (--json '<peer>' | --file <peer.yaml|->)
  ilpd peers update <id> --config <file> (--json '<changes>' | --file <changes.yaml|->)
  ilpd peers disable <id> --config <file>
  ilpd peers enable <id> --config <file>
  ilpd peers remove <id> --config <file>
  ilpd reload --config <file>          apply the config file as it is now (as SIGHUP does)

A peer is written as under "peers:" in the config file (amounts as quoted decimal strings); update
takes only the keys to change, null removes one (a JSON merge patch), e.g.
  ilpd peers update alice --config ilpd.yaml --json '{"balance":{"maximum":"5000000000"}}'
Every change is saved to the config file (comments kept) and then applied: limits at once; a new
token, URL or relation after the peer's packets in flight drain and its session closes (it must
reconnect); disable and remove also drain first, and keep the peer's ledger account and balance.
The daemon must run with admin.enabled: true and admin.token (ILPD_ADMIN__TOKEN); this command reads
both from the same config file and environment.

Prints what the change did as JSON. Exit codes: 0 ok, 1 the daemon could not be reached or failed to
apply the change, 2 bad usage or a change refused as invalid (the message names the key and the fix).
`;

interface Parsed {
  readonly config?: string;
  readonly json?: string;
  readonly file?: string;
  readonly rest: string[];
}

function parseArgs(args: readonly string[]): Parsed | string {
  let config: string | undefined;
  let json: string | undefined;
  let file: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = (): string | undefined => args[++i];
    if (arg === '--config' || arg === '-c') config = value();
    else if (arg.startsWith('--config=')) config = arg.slice('--config='.length);
    else if (arg === '--json') json = value();
    else if (arg.startsWith('--json=')) json = arg.slice('--json='.length);
    else if (arg === '--file') file = value();
    else if (arg.startsWith('--file=')) file = arg.slice('--file='.length);
    else if (arg.startsWith('-') && arg !== '-') return `unknown option ${arg}`;
    else rest.push(arg);
  }
  return { config, json, file, rest };
}

/** The body from --json or --file (YAML or JSON; '-' is stdin). */
function readBody(parsed: Parsed, stdinText: () => string): Record<string, unknown> | string {
  if ((parsed.json === undefined) === (parsed.file === undefined))
    return 'give the peer with --json or --file';
  let value: unknown;
  try {
    if (parsed.json !== undefined) value = JSON.parse(parsed.json);
    else value = parse(parsed.file === '-' ? stdinText() : readFileSync(parsed.file as string, 'utf8'));
  } catch (err) {
    return `cannot read the peer: ${(err as Error).message}`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'the peer must be a mapping';
  return value as Record<string, unknown>;
}

export async function runPeersCommand(
  args: readonly string[],
  io: AdminCommandIo,
  stdinText: () => string = () => readFileSync(0, 'utf8'),
): Promise<number> {
  const parsed = parseArgs(args);
  const [command, id, ...extra] = typeof parsed === 'string' ? [] : parsed.rest;
  if (command === undefined || command === '--help' || command === 'help' || args.includes('--help')) {
    io.stdout.write(PEERS_HELP);
    return command === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const usage = (message: string): number => {
    io.stderr.write(`ilpd peers: ${message} (try: ilpd peers --help)\n`);
    return EXIT_USAGE;
  };
  if (typeof parsed === 'string') return usage(parsed);
  const needsId = command !== 'add';
  if ((needsId && id === undefined) || extra.length > 0 || (!needsId && id !== undefined)) {
    return usage(`expected ilpd peers ${command}${needsId ? ' <id>' : ''} --config <file>`);
  }
  const path = `/admin/peers/${encodeURIComponent(id ?? '')}`;
  switch (command) {
    case 'add': {
      const body = readBody(parsed, stdinText);
      return typeof body === 'string'
        ? usage(body)
        : runAdminRequest(parsed.config, 'POST', '/admin/peers', body, io);
    }
    case 'update': {
      const body = readBody(parsed, stdinText);
      return typeof body === 'string' ? usage(body) : runAdminRequest(parsed.config, 'PATCH', path, body, io);
    }
    case 'disable':
    case 'enable':
      return runAdminRequest(parsed.config, 'PATCH', path, { enabled: command === 'enable' }, io);
    case 'remove':
      return runAdminRequest(parsed.config, 'DELETE', path, undefined, io);
    default:
      return usage(`unknown command ${JSON.stringify(command)}`);
  }
}

/** `ilpd reload --config <file>`. */
export async function runReloadCommand(args: readonly string[], io: AdminCommandIo): Promise<number> {
  const parsed = parseArgs(args);
  if (typeof parsed === 'string' || parsed.rest.length > 0) {
    io.stderr.write(`ilpd reload: expected ilpd reload --config <file>\n`);
    return EXIT_USAGE;
  }
  return runAdminRequest(parsed.config, 'POST', '/admin/reload', undefined, io);
}
