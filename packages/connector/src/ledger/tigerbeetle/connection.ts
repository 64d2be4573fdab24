import { createClient, type Client, type ClientInitArgs } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';

export interface TigerBeetleConnectionOptions {
  readonly clusterId: bigint;
  readonly addresses: readonly string[];
  readonly requestTimeoutMs: number;
  /** Client sessions, so as many requests in flight (default 1). */
  readonly requestsInFlight?: number;
  /** Builds a client; tigerbeetle-node's createClient unless a test substitutes a simulated cluster. */
  readonly createClient?: (args: ClientInitArgs) => Client;
}

/**
 * tigerbeetle-node's RequestError codes we act on (dist/index.d.ts, ErrorCodes). ERR_TOO_MUCH_DATA is
 * raised by the client itself, before sending, when a request holds more events than the cluster's
 * request size limit allows (learned at registration; src/clients/c/tb_client/context.zig): such a
 * request was never applied and never will be, so it is permanent for that request, not an outage.
 */
const TOO_MUCH_DATA = 'ERR_TOO_MUCH_DATA';

/**
 * A pool of tigerbeetle-node clients. Each client is one session on the cluster with one request in
 * flight (VSR); several clients let the cluster pipeline several requests. The client never times a
 * request out and never drops it: while the cluster is unreachable it retries, and it applies the
 * request when the cluster is back, however long that takes; only destroy() fails it (and a request
 * already sent may still be applied). So:
 * - read() races a deadline (requestTimeoutMs): a late read changes nothing;
 * - write() waits for the cluster's answer, however long: its outcome must be known before anyone
 *   acts on it. After requestTimeoutMs unanswered the connection reports itself unhealthy (/readyz),
 *   until an answer arrives.
 */
export class TigerBeetleConnection {
  private readonly clients: (Client | undefined)[];
  private readonly busy: number[];
  private destroyed = false;
  /** Requests sent and not answered yet, with the time each was sent. */
  private readonly outstanding = new Set<{ readonly sentAt: number }>();
  /** Outcome of the most recent request: false after a timeout or error, true after an answer. */
  lastRequestOk = false;

  constructor(private readonly options: TigerBeetleConnectionOptions) {
    const n = Math.max(1, options.requestsInFlight ?? 1);
    this.clients = new Array<Client | undefined>(n).fill(undefined);
    this.busy = new Array<number>(n).fill(0);
  }

  get description(): string {
    return `TigerBeetle cluster ${this.options.clusterId} at ${this.options.addresses.join(',')}`;
  }

  /** Client sessions in the pool: the most requests in flight at once. */
  get concurrency(): number {
    return this.clients.length;
  }

  /** True when no request has waited longer than requestTimeoutMs and the last one was answered. */
  get healthy(): boolean {
    if (!this.lastRequestOk) return false;
    const cutoff = performance.now() - this.options.requestTimeoutMs;
    for (const request of this.outstanding) if (request.sentAt < cutoff) return false;
    return true;
  }

  /** A request whose late answer changes nothing: fails with UNAVAILABLE after requestTimeoutMs. */
  async read<T>(name: string, send: (client: Client) => Promise<T>): Promise<T> {
    const sent = this.send(name, send);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.lastRequestOk = false;
        reject(
          new DaemonError(
            'ILPD_ERR_LEDGER_UNAVAILABLE',
            `${this.description}: ${name} not answered within ${this.options.requestTimeoutMs} ms`,
          ),
        );
      }, this.options.requestTimeoutMs);
    });
    // The losing side of the race must not surface as an unhandled rejection.
    sent.catch(() => undefined);
    try {
      return await Promise.race([sent, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A request that may change the ledger: resolves with the cluster's answer, however late. Rejects
   * only when it certainly was not applied (ILPD_ERR_LEDGER_REQUEST_TOO_LARGE) or when the client was
   * released or failed (ILPD_ERR_LEDGER_UNAVAILABLE: a request already sent may then still be applied).
   */
  write<T>(name: string, send: (client: Client) => Promise<T>): Promise<T> {
    return this.send(name, send);
  }

  /** Releases every client for good; their queued requests fail with ERR_CLIENT_CLOSED. */
  destroy(): void {
    this.destroyed = true;
    this.lastRequestOk = false;
    for (let i = 0; i < this.clients.length; i++) {
      const client = this.clients[i];
      this.clients[i] = undefined;
      client?.destroy();
    }
  }

  private async send<T>(name: string, send: (client: Client) => Promise<T>): Promise<T> {
    if (this.destroyed) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_UNAVAILABLE',
        `${this.description}: ${name} after the client was released`,
      );
    }
    const slot = this.leastBusy();
    const client = (this.clients[slot] ??= (this.options.createClient ?? createClient)({
      cluster_id: this.options.clusterId,
      replica_addresses: [...this.options.addresses],
    }));
    const request = { sentAt: performance.now() };
    this.outstanding.add(request);
    this.busy[slot]++;
    try {
      const result = await send(client);
      this.lastRequestOk = true;
      return result;
    } catch (err) {
      if ((err as { code?: unknown }).code === TOO_MUCH_DATA) {
        throw new DaemonError(
          'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE',
          `${this.description}: ${name} is larger than the cluster's request size limit`,
          { cause: err },
        );
      }
      this.lastRequestOk = false;
      // An evicted client (the cluster dropped its session) fails everything it is given from then on.
      if (
        String((err as { code?: unknown }).code).startsWith('ERR_CLIENT_') &&
        this.clients[slot] === client
      ) {
        this.clients[slot] = undefined;
        if (!this.destroyed) client.destroy();
      }
      throw new DaemonError(
        'ILPD_ERR_LEDGER_UNAVAILABLE',
        `${this.description}: ${name} failed: ${String(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      this.busy[slot]--;
      this.outstanding.delete(request);
    }
  }

  private leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.busy.length; i++) if (this.busy[i] < this.busy[best]) best = i;
    return best;
  }
}
