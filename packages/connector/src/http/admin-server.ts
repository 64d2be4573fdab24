import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonConfig } from '../config/types';
import { balanceReportJson, type BalanceReport } from '../ledger/balance-report';
import type { Logger } from '../telemetry/logger';
import type { DaemonMetrics } from '../telemetry/metrics';
import { listenOn, stopAcceptingOn } from './http-listener';

export interface AdminPeer {
  readonly id: string;
  readonly relation: string;
  /** false: configured but out of service (no session, packets refused). */
  readonly enabled: boolean;
  readonly connected: boolean;
  readonly assetCode: string;
  readonly assetScale: number;
}

export interface AdminRoute {
  readonly prefix: string;
  readonly nextHop: string;
  readonly path: readonly string[];
}

export interface Readiness {
  readonly ready: boolean;
  /** Why the daemon is not ready (empty when ready). */
  readonly reasons: readonly string[];
  /** What an operator should know that does not make the daemon unready (a settlement chain down). */
  readonly notes?: readonly string[];
}

export interface AdminServerOptions {
  readonly http: DaemonConfig['http'];
  readonly metrics: DaemonMetrics;
  readonly logger: Logger;
  readiness(): Readiness;
  peers(): readonly AdminPeer[];
  routes(): readonly AdminRoute[];
  /** Routing-protocol state (CCP sessions, epochs) shown next to the routes. */
  routingStatus(): Record<string, unknown>;
  /** Peer and liquidity accounts: the same report as `ilpd ledger balances --json`. */
  balances(): Promise<BalanceReport>;
  /** Payment channels (settlement), as JSON-ready data; absent when nothing settles. */
  channels?(): readonly Record<string, unknown>[];
}

/**
 * Operations port: /metrics (Prometheus), /healthz (200 while the process serves), /readyz (200 only
 * when the ledger and the BTP listener are up), and read-only admin JSON. Nothing here changes state,
 * which is why it needs no authentication beyond binding to a private interface (http.host).
 */
export class AdminServer {
  private readonly server: Server;

  constructor(private readonly options: AdminServerOptions) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        options.logger.error({ err, url: req.url }, 'admin request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.destroy();
      });
    });
    // Keep-alive connections of scrapers must not hold shutdown open.
    this.server.keepAliveTimeout = 5000;
  }

  listen(): Promise<AddressInfo> {
    return listenOn(this.server, this.options.http.port, this.options.http.host);
  }

  /** Stops accepting connections; idle keep-alive connections are closed. */
  stopAccepting(): void {
    stopAcceptingOn(this.server);
  }

  /** Drops every remaining connection (end of shutdown). */
  closeAll(): void {
    this.server.closeAllConnections();
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, { error: 'only GET is supported' }, { allow: 'GET, HEAD' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    switch (path) {
      case '/metrics': {
        const { contentType, body } = await this.options.metrics.render();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
        return;
      }
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const readiness = this.options.readiness();
        sendJson(res, readiness.ready ? 200 : 503, {
          status: readiness.ready ? 'ready' : 'not ready',
          reasons: readiness.reasons,
          ...(readiness.notes === undefined || readiness.notes.length === 0
            ? {}
            : { notes: readiness.notes }),
        });
        return;
      }
      case '/admin/peers':
        sendJson(res, 200, { peers: this.options.peers() });
        return;
      case '/admin/routes':
        sendJson(res, 200, { routes: this.options.routes(), routing: this.options.routingStatus() });
        return;
      case '/admin/channels':
        sendJson(res, 200, { channels: this.options.channels?.() ?? [] });
        return;
      case '/admin/balances': {
        sendJson(res, 200, balanceReportJson(await this.options.balances()));
        return;
      }
      default:
        sendJson(res, 404, {
          error: 'not found',
          paths: [
            '/metrics',
            '/healthz',
            '/readyz',
            '/admin/peers',
            '/admin/routes',
            '/admin/balances',
            '/admin/channels',
          ],
        });
    }
  }
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}
