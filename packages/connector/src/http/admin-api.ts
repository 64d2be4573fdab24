import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonConfig } from '../config/types';
import { DaemonError, isDaemonErrorCode, type DaemonErrorCode } from '../errors';
import type { Logger } from '../telemetry/logger';
import { checkBearerToken } from './bearer-token';
import { listenOn, stopAcceptingOn } from './http-listener';

/**
 * The admin write API: its own listener (admin.host, loopback by default; admin.port), off unless
 * admin.enabled, and every request authorised by the bearer token admin.token. It is a small router:
 * the composition root registers the routes (peer changes and reload; settlement's channel commands
 * go here too), each a handler from a JSON body to a JSON answer. Daemon errors become HTTP answers by
 * their stable code, with the message that names the key and the fix.
 */
export interface AdminCall {
  /** Path parameters (`/admin/peers/:id` → { id }). */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body (undefined when there is none). */
  readonly body: unknown;
  /** Who asked: the declared name (X-Ilpd-Actor) and the remote address, for the change log. */
  readonly actor: string;
}

export interface AdminReply {
  readonly status: number;
  readonly body: unknown;
}

export type AdminHandler = (call: AdminCall) => Promise<AdminReply>;

export interface AdminApiOptions {
  readonly admin: Pick<DaemonConfig['admin'], 'host' | 'port'>;
  /** The token requests must present, read per request (a reload can rotate it). */
  token(): string | undefined;
  readonly logger: Logger;
}

/** Header an operator's tool names its user in (the CLI sends user@host). */
export const ACTOR_HEADER = 'x-ilpd-actor';
const MAX_BODY_BYTES = 64 * 1024;

/** HTTP status of each daemon error an admin handler may throw; anything else is a 500. */
const STATUS_BY_CODE: Partial<Record<DaemonErrorCode, number>> = {
  ILPD_ERR_CONFIG: 400,
  ILPD_ERR_ADMIN_BAD_REQUEST: 400,
  ILPD_ERR_ADMIN_UNAUTHORIZED: 401,
  ILPD_ERR_ADMIN_NOT_FOUND: 404,
  ILPD_ERR_ADMIN_CONFLICT: 409,
  ILPD_ERR_CONFIG_FILE_CHANGED: 409,
  ILPD_ERR_CONFIG_CHANGE_REFUSED: 409,
  ILPD_ERR_CONFIG_WRITE_FAILED: 500,
  ILPD_ERR_CONFIG_APPLY_FAILED: 500,
  ILPD_ERR_BUSY: 503,
  // Settlement's channel commands: the chain or the channel said no, or could not be reached.
  ILPD_ERR_SETTLEMENT_NO_CHANNEL: 409,
  ILPD_ERR_SETTLEMENT_CHANNEL_EXHAUSTED: 409,
  ILPD_ERR_SETTLEMENT_CHANNEL_GONE: 409,
  ILPD_ERR_SETTLEMENT_TOO_EARLY: 409,
  ILPD_ERR_SETTLEMENT_INVALID: 400,
  ILPD_ERR_SETTLEMENT_INVALID_INPUT: 400,
  ILPD_ERR_SETTLEMENT_UNAVAILABLE: 503,
  ILPD_ERR_SETTLEMENT_TX_FAILED: 502,
  ILPD_ERR_SETTLEMENT_TX_REJECTED: 502,
  ILPD_ERR_SETTLEMENT_TX_REVERTED: 502,
  ILPD_ERR_SETTLEMENT_TX_EXPIRED: 504,
  ILPD_ERR_SETTLEMENT_TX_UNKNOWN: 504,
  ILPD_ERR_SETTLEMENT_TX_UNCONFIRMED: 504,
};

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: AdminHandler;
}

export class AdminApiServer {
  private readonly server: Server;
  private readonly routes: Route[] = [];

  constructor(private readonly options: AdminApiOptions) {
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        options.logger.error({ err, url: req.url }, 'admin API request failed');
        if (!res.headersSent) sendJson(res, 500, errorBody('ILPD_ERR_INTERNAL', 'internal error'));
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5000;
  }

  /** Registers `handler` for `method` and a path pattern whose `:name` segments become params. */
  route(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', pattern: string, handler: AdminHandler): this {
    this.routes.push({ method, segments: pattern.split('/'), handler });
    return this;
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.options.admin.port, this.options.admin.host);
  }

  stopAccepting(): void {
    stopAcceptingOn(this.server);
  }

  closeAll(): void {
    this.server.closeAllConnections();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? 'unknown';
    const auth = checkBearerToken(req.headers.authorization, this.options.token());
    if (!auth.ok) {
      this.options.logger.warn(
        { remote, reason: auth.reason, method: req.method, url: req.url },
        'admin API request refused: no valid bearer token',
      );
      await drain(req);
      sendJson(
        res,
        401,
        errorBody('ILPD_ERR_ADMIN_UNAUTHORIZED', 'send Authorization: Bearer <admin.token>'),
        { 'www-authenticate': 'Bearer realm="ilpd-admin"' },
      );
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    const matched = this.match(req.method ?? 'GET', path);
    if (matched === undefined) {
      await drain(req);
      const allowed = this.routes.map((r) => `${r.method} ${r.segments.join('/')}`);
      sendJson(res, 404, {
        ...errorBody('ILPD_ERR_ADMIN_NOT_FOUND', `no admin API route ${req.method} ${path}`),
        routes: allowed,
      });
      return;
    }
    const declared = String(req.headers[ACTOR_HEADER] ?? '')
      .replace(/[^\x20-\x7e]/g, '')
      .slice(0, 100);
    const actor = `${declared === '' ? 'unnamed' : declared} from ${remote}`;
    let reply: AdminReply;
    try {
      const body = await readJsonBody(req);
      reply = await matched.route.handler({ params: matched.params, body, actor });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const status = isDaemonErrorCode(code) ? STATUS_BY_CODE[code] : undefined;
      if (status === undefined || status === 500) {
        this.options.logger.error({ err, url: req.url }, 'admin API request failed');
      }
      sendJson(res, status ?? 500, {
        error: {
          code: isDaemonErrorCode(code) ? code : 'ILPD_ERR_INTERNAL',
          message: status === undefined ? 'internal error' : (err as Error).message,
          ...(Array.isArray((err as { problems?: unknown }).problems)
            ? { problems: (err as { problems: string[] }).problems }
            : {}),
        },
      });
      return;
    }
    sendJson(res, reply.status, reply.body);
  }

  private match(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    const segments = path.split('/');
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((pattern, i) => {
        if (!pattern.startsWith(':')) return pattern === segments[i];
        if (segments[i] === '') return false;
        params[pattern.slice(1)] = decodeURIComponent(segments[i]);
        return true;
      });
      if (ok) return { route, params };
    }
    return undefined;
  }
}

/** The JSON body, at most MAX_BODY_BYTES; undefined when empty. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      throw new DaemonError('ILPD_ERR_ADMIN_BAD_REQUEST', `request body above ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (type !== 'application/json' && type !== 'application/merge-patch+json') {
    throw new DaemonError(
      'ILPD_ERR_ADMIN_BAD_REQUEST',
      `expected a JSON body (content-type application/json), got ${JSON.stringify(type)}`,
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new DaemonError(
      'ILPD_ERR_ADMIN_BAD_REQUEST',
      `the body is not valid JSON: ${(err as Error).message}`,
    );
  }
}

async function drain(req: IncomingMessage): Promise<void> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) break;
  }
}

function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
