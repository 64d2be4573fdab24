import { createClient, type Client, type ClientInitArgs } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';

export interface TigerBeetleConnectionOptions {
  readonly clusterId: bigint;
  readonly addresses: readonly string[];
  readonly requestTimeoutMs: number;
  /** Builds the client; tigerbeetle-node's createClient unless a test substitutes a simulated cluster. */
  readonly createClient?: (args: ClientInitArgs) => Client;
}

/**
 * One tigerbeetle-node client with a deadline on every request. The client itself retries forever and
 * never fails a request while the cluster is unreachable, so each request races a timer and a late
 * answer is dropped. A request that timed out may still be applied later: callers make every write
 * idempotent (deterministic ids, "exists" counts as done).
 */
export class TigerBeetleConnection {
  private client: Client | undefined;
  private destroyed = false;
  /** Outcome of the most recent request: false after a timeout or error, true after an answer. */
  lastRequestOk = false;

  constructor(private readonly options: TigerBeetleConnectionOptions) {}

  get description(): string {
    return `TigerBeetle cluster ${this.options.clusterId} at ${this.options.addresses.join(',')}`;
  }

  async request<T>(name: string, send: (client: Client) => Promise<T>): Promise<T> {
    if (this.destroyed) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_UNAVAILABLE',
        `${this.description}: ${name} after the client was released`,
      );
    }
    const client = this.open();
    let timer: NodeJS.Timeout | undefined;
    const sent = send(client);
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new DaemonError(
            'ILPD_ERR_LEDGER_UNAVAILABLE',
            `${this.description}: ${name} not answered within ${this.options.requestTimeoutMs} ms`,
          ),
        );
      }, this.options.requestTimeoutMs);
    });
    // The losing side of the race must not surface as an unhandled rejection (e.g. on destroy()).
    sent.catch(() => undefined);
    try {
      const result = await Promise.race([sent, deadline]);
      this.lastRequestOk = true;
      return result;
    } catch (err) {
      this.lastRequestOk = false;
      if ((err as { code?: unknown }).code === 'ILPD_ERR_LEDGER_UNAVAILABLE') throw err;
      throw new DaemonError(
        'ILPD_ERR_LEDGER_UNAVAILABLE',
        `${this.description}: ${name} failed: ${String(err)}`,
        {
          cause: err,
        },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Releases the client for good; its in-flight requests fail with ERR_CLIENT_CLOSED. */
  destroy(): void {
    this.destroyed = true;
    const client = this.client;
    this.client = undefined;
    this.lastRequestOk = false;
    client?.destroy();
  }

  private open(): Client {
    this.client ??= (this.options.createClient ?? createClient)({
      cluster_id: this.options.clusterId,
      replica_addresses: [...this.options.addresses],
    });
    return this.client;
  }
}
