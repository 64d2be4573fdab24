import type { PeerConfig } from '../config/types';
import { AmountThroughputLimiter } from './stages/throughput';
import { PacketRateLimiter } from './stages/rate-limit';

/** Per-peer state the packet path keeps: its config and the token buckets on its incoming Prepares. */
export interface PeerState {
  readonly id: string;
  readonly config: PeerConfig;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly rateLimiter?: PacketRateLimiter;
  readonly throughputLimiter?: AmountThroughputLimiter;
}

export function buildPeerStates(peers: readonly PeerConfig[], nowMs: number): Map<string, PeerState> {
  const states = new Map<string, PeerState>();
  for (const peer of peers) {
    states.set(peer.id, {
      id: peer.id,
      config: peer,
      assetCode: peer.assetCode,
      assetScale: peer.assetScale,
      rateLimiter:
        peer.rateLimit === undefined
          ? undefined
          : new PacketRateLimiter(peer.id, peer.rateLimit.packetsPerSecond, peer.rateLimit.burst, nowMs),
      throughputLimiter:
        peer.throughput === undefined
          ? undefined
          : new AmountThroughputLimiter(
              peer.id,
              peer.throughput.amountPerSecond,
              peer.throughput.burstAmount,
              nowMs,
            ),
    });
  }
  return states;
}
