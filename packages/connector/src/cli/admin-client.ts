import { hostname, userInfo } from 'node:os';
import { loadConfig } from '../config/load';
import type { DaemonConfig } from '../config/types';

/**
 * The CLI side of the admin write API, for every command that changes a running daemon (`ilpd peers
 * …`, `ilpd reload`, and settlement's channel commands): it finds the API and its token in the same
 * config file (and ILPD_* environment) the daemon runs with, sends one JSON request with the bearer
 * token and the operator's name, and prints the answer.
 */
export interface AdminCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export const EXIT_OK = 0;
/** The daemon could not be reached, refused the token, or failed to apply the change. */
export const EXIT_FAILURE = 1;
/** Bad usage, or a change the daemon refused as invalid (the message names the key and the fix). */
export const EXIT_USAGE = 2;

export interface AdminEndpoint {
  readonly baseUrl: string;
  readonly token: string;
  /** How long to wait for an answer: a change may drain a peer for up to shutdown.drainTimeoutMs. */
  readonly timeoutMs: number;
}

export class AdminCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** Where the config's admin API listens, or why the command cannot use it. */
export function adminEndpoint(config: DaemonConfig, configPath: string): AdminEndpoint {
  const { admin } = config;
  if (!admin.enabled || admin.token === undefined) {
    throw new AdminCommandError(
      `the admin API is off in ${configPath} (admin.enabled: false): set admin.enabled: true and admin.token ` +
        '(ILPD_ADMIN__TOKEN) and restart ilpd; a reload alone also works with kill -HUP <ilpd pid>',
      EXIT_USAGE,
    );
  }
  // A wildcard bind is reachable on loopback; a specific address only on itself.
  const host = admin.host === '0.0.0.0' ? '127.0.0.1' : admin.host === '::' ? '::1' : admin.host;
  const authority = host.includes(':') ? `[${host}]:${admin.port}` : `${host}:${admin.port}`;
  return {
    baseUrl: `http://${authority}`,
    token: admin.token,
    timeoutMs: config.shutdown.drainTimeoutMs + 30_000,
  };
}

/**
 * Loads `configPath`, sends `method path` with `body` as JSON, prints the JSON answer on stdout and
 * returns the exit code; errors go to stderr, with each problem on its own line.
 */
export async function runAdminRequest(
  configPath: string | undefined,
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body: unknown,
  io: AdminCommandIo,
): Promise<number> {
  if (configPath === undefined) {
    io.stderr.write(
      'ilpd: --config <file> is required (the daemon’s config: it says where its admin API is)\n',
    );
    return EXIT_USAGE;
  }
  let endpoint: AdminEndpoint;
  try {
    endpoint = adminEndpoint(loadConfig(configPath, process.env), configPath);
  } catch (err) {
    io.stderr.write(`ilpd: ${(err as Error).message}\n`);
    return err instanceof AdminCommandError ? err.exitCode : EXIT_USAGE;
  }
  let res: Response;
  try {
    res = await fetch(`${endpoint.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${endpoint.token}`,
        'x-ilpd-actor': operatorName(),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    io.stderr.write(`ilpd: cannot reach the admin API at ${endpoint.baseUrl} (${cause}); is ilpd running?\n`);
    return EXIT_FAILURE;
  }
  const text = await res.text();
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    io.stderr.write(`ilpd: the admin API answered ${res.status} with something that is not JSON:\n${text}\n`);
    return EXIT_FAILURE;
  }
  if (res.ok) {
    io.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return EXIT_OK;
  }
  const error = (answer as { error?: { code?: string; message?: string; problems?: string[] } }).error ?? {};
  io.stderr.write(`ilpd: ${error.code ?? res.status}: ${error.message ?? text}\n`);
  for (const problem of error.problems ?? []) io.stderr.write(`  ${problem}\n`);
  return res.status === 400 || res.status === 404 || res.status === 409 ? EXIT_USAGE : EXIT_FAILURE;
}

/** Who the change log names: the OS user and host of whoever ran the command. */
function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): the host still says where the change came from.
  }
  return `${user}@${hostname()} (ilpd cli)`;
}
