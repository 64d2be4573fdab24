import { FetchRequest, JsonRpcProvider, Network } from 'ethers';
import type { Logger } from 'pino';
import { DaemonError, isDaemonErrorCode } from '../../errors';
import { EndpointPool, type EndpointClientFactory, type EndpointState } from '../endpoint-pool';

/**
 * JSON-RPC access to one EVM chain: ethers `JsonRpcProvider`s in an `EndpointPool` (round robin over
 * healthy endpoints, one circuit breaker per endpoint, `eth_blockNumber` health probes).
 *
 * Providers are built for settlement, not for dapps: the chain id is static (never asked again, so a
 * dead endpoint costs one failed call, not a network-detection retry loop), JSON-RPC batching is off
 * (batching stalls every call ~10 ms against a nearby node), ethers' result cache is off (a receipt
 * poll must see the chain now), and every request has a timeout (a hung node must fail the call).
 */
export interface EvmRpcOptions {
  readonly urls: readonly string[];
  readonly poolSize: number;
  readonly chainId: bigint;
  readonly requestTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly breakerFailures: number;
  readonly halfOpenAfterMs: number;
  readonly logger: Logger;
  readonly onStateChange?: (endpoint: string, state: EndpointState) => void;
}

export function providerFactory(
  chainId: bigint,
  requestTimeoutMs: number,
): EndpointClientFactory<JsonRpcProvider> {
  const network = Network.from(chainId);
  return {
    create(url) {
      const request = new FetchRequest(url);
      request.timeout = requestTimeoutMs;
      return new JsonRpcProvider(request, network, {
        staticNetwork: network,
        batchMaxCount: 1,
        cacheTimeout: -1,
      });
    },
    async probe(provider) {
      await provider.send('eth_blockNumber', []);
    },
    destroy(provider) {
      provider.destroy();
    },
  };
}

/**
 * Whether an error is the node's own answer (a JSON-RPC error object: revert, nonce too low, insufficient
 * funds, already known, ...) rather than a failure to reach it (refused, timed out, HTTP 5xx). ethers
 * keeps the JSON-RPC error object in `info.error`, or in `error` when it could not classify it.
 */
export function isNodeAnswer(err: unknown): boolean {
  const e = err as { info?: { error?: unknown }; error?: { code?: unknown }; payload?: unknown } | null;
  if (typeof e?.info?.error === 'object' && e.info.error !== null) return true;
  return typeof e?.error?.code === 'number' && e.payload !== undefined;
}

/** The node's error message of an answer (e.g. "nonce too low"), or the error's own message. */
export function nodeMessage(err: unknown): string {
  const e = err as {
    info?: { error?: { message?: unknown } };
    error?: { message?: unknown };
    message?: unknown;
  };
  const message = e?.info?.error?.message ?? e?.error?.message ?? e?.message;
  return typeof message === 'string' ? message : String(err);
}

/** A node's answer carried through the pool as a value: it says nothing against the endpoint's health. */
class NodeAnswer {
  constructor(readonly error: unknown) {}
}

export class EvmRpc {
  readonly pool: EndpointPool<JsonRpcProvider>;

  constructor(options: EvmRpcOptions) {
    this.pool = new EndpointPool<JsonRpcProvider>({
      chain: 'evm',
      endpoints: options.urls,
      size: options.poolSize,
      factory: providerFactory(options.chainId, options.requestTimeoutMs),
      healthIntervalMs: options.healthIntervalMs,
      breakerFailures: options.breakerFailures,
      halfOpenAfterMs: options.halfOpenAfterMs,
      logger: options.logger,
      onStateChange: options.onStateChange,
    });
  }

  start(): Promise<void> {
    return this.pool.start();
  }

  stop(): Promise<void> {
    return this.pool.stop();
  }

  /**
   * Runs a call on a healthy endpoint. A failure to reach the endpoint counts against its breaker and,
   * with `retryOthers` (the default: reads, and re-sending one signed transaction, are safe to repeat),
   * moves on to the next endpoint; when no endpoint answers, the call fails with
   * ILPD_ERR_SETTLEMENT_UNAVAILABLE (the last transport error as its cause). An error the node answered
   * with is thrown as ethers made it, without touching the endpoint's health: a revert is not an outage.
   */
  async call<T>(call: (provider: JsonRpcProvider) => Promise<T>, retryOthers = true): Promise<T> {
    let result: T | NodeAnswer;
    try {
      result = await this.pool.run<T | NodeAnswer>(
        async (provider) => {
          try {
            return await call(provider);
          } catch (err) {
            if (isNodeAnswer(err)) return new NodeAnswer(err);
            throw err;
          }
        },
        { retryOthers },
      );
    } catch (err) {
      if (isDaemonErrorCode((err as { code?: unknown }).code)) throw err;
      throw new DaemonError('ILPD_ERR_SETTLEMENT_UNAVAILABLE', `evm: ${nodeMessage(err)}`, { cause: err });
    }
    if (result instanceof NodeAnswer) throw result.error;
    return result;
  }
}
