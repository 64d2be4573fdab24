import type { Logger } from 'pino';
import { Client, RippledError, type Request } from 'xrpl';
import { DaemonError } from '../../errors';
import { EndpointPool, type EndpointState } from '../endpoint-pool';

/**
 * rippled's WebSocket API through a pool of xrpl.js `Client`s (one breaker per server, round robin over
 * the healthy ones). A call is one request on one client; the client connects first when it is not
 * connected (xrpl.js reconnects once by itself after a drop, then gives up until asked).
 *
 * The breakers judge servers, not answers: an error *answer* from a working server (txnNotFound,
 * entryNotFound, actNotFound, …) is returned as a value and counts as a success; transport failures,
 * timeouts and answers that say the server itself is unwell (not synced, too busy) are thrown and
 * count against that server.
 */
export interface XrplRpcOptions {
  readonly servers: readonly string[];
  readonly poolSize: number;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly breakerFailures: number;
  readonly halfOpenAfterMs: number;
  readonly logger: Logger;
  readonly onStateChange?: (endpoint: string, state: EndpointState) => void;
}

export type RpcAnswer<R> =
  | { readonly ok: true; readonly result: R }
  | {
      readonly ok: false;
      readonly error: string;
      readonly message: string;
      readonly data: Record<string, unknown>;
    };

/** rippled errors that are about the server, not the request: the next server may do better. */
const SERVER_TROUBLE = new Set([
  'noNetwork',
  'noCurrent',
  'noClosed',
  'notSynced',
  'notReady',
  'tooBusy',
  'slowDown',
  'amendmentBlocked',
  'internal',
]);

export class XrplRpc {
  private readonly pool: EndpointPool<Client>;

  constructor(options: XrplRpcOptions) {
    const logger = options.logger;
    this.pool = new EndpointPool<Client>({
      chain: 'xrpl',
      endpoints: options.servers,
      size: options.poolSize,
      healthIntervalMs: options.healthIntervalMs,
      breakerFailures: options.breakerFailures,
      halfOpenAfterMs: options.halfOpenAfterMs,
      logger,
      onStateChange: options.onStateChange,
      factory: {
        create: (url) => {
          const client = new Client(url, {
            connectionTimeout: options.connectionTimeoutMs,
            timeout: options.requestTimeoutMs,
          });
          // xrpl.js reports socket and reconnect trouble as events; the pool sees it through calls.
          client.on('error', (code: string, message: string) =>
            logger.debug({ endpoint: url, code, message }, 'xrpl client error'),
          );
          return client;
        },
        probe: async (client) => {
          await connected(client);
          const info = await client.request({ command: 'server_info' });
          if (info.result.info.validated_ledger === undefined) {
            throw new Error(
              `${client.url} has no validated ledger (server_state ${info.result.info.server_state})`,
            );
          }
        },
        destroy: async (client) => {
          await client.disconnect().catch(() => undefined);
        },
      },
    });
  }

  start(): Promise<void> {
    return this.pool.start();
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }

  isAvailable(): boolean {
    return this.pool.isAvailable();
  }

  states(): { endpoint: string; state: EndpointState }[] {
    return this.pool.states();
  }

  /**
   * One request to the next usable server. With `retryOthers` (the default) a failing server hands the
   * request to the next one: right for reads and for re-sending one signed blob, which can apply once
   * at most whatever the number of copies.
   */
  async request<R>(
    request: Record<string, unknown>,
    options: { retryOthers?: boolean } = {},
  ): Promise<RpcAnswer<R>> {
    try {
      return await this.call<R>(request, options.retryOthers ?? true);
    } catch (err) {
      if (err instanceof DaemonError) throw err;
      // Transport failures and timeouts leave xrpl.js with its own error classes: one stable code here.
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
        `xrpl: ${String(request.command)}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  private call<R>(request: Record<string, unknown>, retryOthers: boolean): Promise<RpcAnswer<R>> {
    return this.pool.run(
      async (client) => {
        await connected(client);
        try {
          const response = await client.request(request as unknown as Request);
          return { ok: true, result: response.result as R } as RpcAnswer<R>;
        } catch (err) {
          if (!(err instanceof RippledError)) throw err;
          const data = (err.data ?? {}) as Record<string, unknown>;
          const error = typeof data.error === 'string' ? data.error : 'unknown';
          if (SERVER_TROUBLE.has(error)) throw err;
          const message = String(data.error_message ?? data.error_exception ?? err.message);
          return { ok: false, error, message, data } as RpcAnswer<R>;
        }
      },
      { retryOthers },
    );
  }
}

async function connected(client: Client): Promise<void> {
  if (!client.isConnected()) await client.connect();
}
