import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import type { Logger } from 'pino';
import { DaemonError } from '../errors';

/**
 * A pool of clients of one chain's RPC endpoints (JSON-RPC providers, XRPL WebSocket clients), shared
 * by every settlement engine of that chain. Calls go round robin over the members whose endpoint is
 * healthy; each endpoint has its own circuit breaker (cockatiel), so a dead endpoint costs one failed
 * call per `halfOpenAfterMs`, not one per request, and a health probe per interval brings it back.
 * Nothing here ever blocks the packet path: settlement calls it beside forwarding.
 */
export type EndpointState = 'healthy' | 'unhealthy' | 'open' | 'half-open';

export interface EndpointClientFactory<C> {
  /** Builds one client of an endpoint (not yet connected; `probe` connects when it must). */
  create(endpoint: string): C;
  /** A cheap call that proves the endpoint answers (eth_blockNumber, server_info). */
  probe(client: C): Promise<void>;
  /** Releases the client for good. */
  destroy(client: C): Promise<void> | void;
}

export interface EndpointPoolOptions<C> {
  /** Which chain this pool serves, for logs and errors ("evm", "xrpl"). */
  readonly chain: string;
  readonly endpoints: readonly string[];
  /** Clients in all, spread over the endpoints in order (at least one per endpoint). */
  readonly size: number;
  readonly factory: EndpointClientFactory<C>;
  readonly healthIntervalMs: number;
  /** Consecutive failures that open an endpoint's breaker. */
  readonly breakerFailures: number;
  /** How long an open breaker waits before letting one trial call through. */
  readonly halfOpenAfterMs: number;
  readonly logger: Logger;
  readonly onStateChange?: (endpoint: string, state: EndpointState) => void;
  /**
   * Deadline of one call (default 30 s): a client that never settles a call (a socket stuck half
   * open) fails it here, counts against its endpoint's breaker, and never holds up its caller forever.
   */
  readonly callTimeoutMs?: number;
}

interface Endpoint {
  readonly url: string;
  readonly breaker: CircuitBreakerPolicy;
  /** Outcome of the most recent call or probe: false until the first one succeeds. */
  answered: boolean;
  state: EndpointState;
}

interface Member<C> {
  readonly endpoint: Endpoint;
  readonly client: C;
}

const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export class EndpointPool<C> {
  private readonly endpoints: Endpoint[];
  private readonly members: Member<C>[] = [];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(private readonly options: EndpointPoolOptions<C>) {
    if (options.endpoints.length === 0) throw new Error(`${options.chain}: no endpoints configured`);
    this.endpoints = options.endpoints.map((url) => this.newEndpoint(url));
    const size = Math.max(options.size, this.endpoints.length);
    for (let i = 0; i < size; i++) {
      const endpoint = this.endpoints[i % this.endpoints.length];
      this.members.push({ endpoint, client: options.factory.create(endpoint.url) });
    }
  }

  /** Probes every endpoint once (without failing when none answers), then keeps probing. */
  async start(): Promise<void> {
    await this.probeAll();
    this.timer = setInterval(() => void this.probeAll(), this.options.healthIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.members.map((m) => this.options.factory.destroy(m.client)));
  }

  /** True when at least one endpoint answered its latest call and its breaker is not open. */
  isAvailable(): boolean {
    return this.endpoints.some((e) => e.state === 'healthy' || e.state === 'half-open');
  }

  states(): { endpoint: string; state: EndpointState }[] {
    return this.endpoints.map((e) => ({ endpoint: e.url, state: e.state }));
  }

  /**
   * Runs `call` on the next member whose endpoint is usable, through that endpoint's breaker. With
   * `retryOthers`, a failure moves on to the next usable endpoint (for reads and for submissions that
   * are safe to repeat, such as re-sending one signed transaction); the last error is thrown.
   */
  async run<T>(call: (client: C) => Promise<T>, options: { retryOthers?: boolean } = {}): Promise<T> {
    if (this.stopped) throw unavailable(this.options.chain, 'the pool is stopped');
    const tried = new Set<Endpoint>();
    let lastError: unknown;
    for (let i = 0; i < this.members.length; i++) {
      const member = this.pick(tried);
      if (member === undefined) break;
      tried.add(member.endpoint);
      try {
        return await this.through(member, call);
      } catch (err) {
        lastError = err;
        if (!options.retryOthers) break;
      }
    }
    if (lastError === undefined) {
      throw unavailable(this.options.chain, `no endpoint is usable (${this.describeStates()})`);
    }
    if (lastError instanceof BrokenCircuitError) {
      throw unavailable(this.options.chain, `every endpoint's circuit is open (${this.describeStates()})`);
    }
    throw lastError;
  }

  private pick(exclude: ReadonlySet<Endpoint>): Member<C> | undefined {
    // Prefer endpoints that answered; fall back to any other (a fresh pool, or every endpoint failing):
    // an open breaker refuses the call itself without sending it, or lets it through as its trial
    // call once halfOpenAfterMs has passed, so a call is never refused on stale health alone.
    for (const usable of [
      (e: Endpoint) => e.answered && e.breaker.state === CircuitState.Closed,
      (e: Endpoint) => e.breaker.state !== CircuitState.Isolated,
    ]) {
      for (let i = 0; i < this.members.length; i++) {
        const member = this.members[(this.next + i) % this.members.length];
        if (exclude.has(member.endpoint) || !usable(member.endpoint)) continue;
        this.next = (this.next + i + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }

  private async through<T>(member: Member<C>, call: (client: C) => Promise<T>): Promise<T> {
    const endpoint = member.endpoint;
    try {
      const result = await endpoint.breaker.execute(() =>
        this.withDeadline(endpoint.url, call(member.client)),
      );
      endpoint.answered = true;
      this.refresh(endpoint);
      return result;
    } catch (err) {
      if (!(err instanceof BrokenCircuitError)) endpoint.answered = false;
      this.refresh(endpoint);
      throw err;
    }
  }

  private withDeadline<T>(endpoint: string, call: Promise<T>): Promise<T> {
    const timeoutMs = this.options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(unavailable(this.options.chain, `${endpoint} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    // The call that lost the race must not surface as an unhandled rejection.
    call.catch(() => undefined);
    return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
  }

  private async probeAll(): Promise<void> {
    if (this.probing || this.stopped) return;
    this.probing = true;
    try {
      await Promise.all(
        this.endpoints.map(async (endpoint) => {
          const member = this.members.find((m) => m.endpoint === endpoint) as Member<C>;
          // Through the breaker: while open it refuses the probe unsent; after halfOpenAfterMs the probe
          // is its trial call, so an endpoint comes back without waiting for settlement traffic.
          try {
            await this.through(member, (client) => this.options.factory.probe(client));
          } catch (err) {
            this.options.logger.debug({ endpoint: endpoint.url, err }, `${this.options.chain} probe failed`);
          }
        }),
      );
    } finally {
      this.probing = false;
    }
  }

  private newEndpoint(url: string): Endpoint {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: this.options.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.options.breakerFailures),
    });
    const endpoint: Endpoint = { url, breaker, answered: false, state: 'unhealthy' };
    breaker.onStateChange(() => this.refresh(endpoint));
    return endpoint;
  }

  private refresh(endpoint: Endpoint): void {
    const breaker = endpoint.breaker.state;
    const state: EndpointState =
      breaker === CircuitState.Open || breaker === CircuitState.Isolated
        ? 'open'
        : breaker === CircuitState.HalfOpen
          ? 'half-open'
          : endpoint.answered
            ? 'healthy'
            : 'unhealthy';
    if (state === endpoint.state) return;
    const level = state === 'healthy' ? 'info' : 'warn';
    this.options.logger[level](
      { chain: this.options.chain, endpoint: endpoint.url, from: endpoint.state, to: state },
      `${this.options.chain} endpoint ${endpoint.url} is ${state}`,
    );
    endpoint.state = state;
    this.options.onStateChange?.(endpoint.url, state);
  }

  private describeStates(): string {
    return this.endpoints.map((e) => `${e.url}: ${e.state}`).join(', ');
  }
}

function unavailable(chain: string, why: string): DaemonError {
  return new DaemonError('ILPD_ERR_SETTLEMENT_UNAVAILABLE', `${chain}: ${why}`);
}
