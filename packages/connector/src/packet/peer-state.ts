import type { PeerConfig } from '../config/types';
import { AmountThroughputLimiter } from './stages/throughput';
import { PacketRateLimiter } from './stages/rate-limit';

/**
 * Per-peer state the packet path keeps: its current config, the token buckets on its incoming
 * Prepares, and how many packets it takes part in right now (as sender or as next hop), so a peer
 * that is disabled or removed at runtime can be drained before its session closes.
 */
export class PeerState {
  config: PeerConfig;
  rateLimiter: PacketRateLimiter | undefined;
  throughputLimiter: AmountThroughputLimiter | undefined;
  private packets = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(config: PeerConfig, nowMs: number) {
    this.config = config;
    this.rateLimiter = rateLimiterFor(config, nowMs);
    this.throughputLimiter = throughputLimiterFor(config, nowMs);
  }

  get id(): string {
    return this.config.id;
  }

  get assetCode(): string {
    return this.config.assetCode;
  }

  get assetScale(): number {
    return this.config.assetScale;
  }

  /** False while the peer is disabled, or draining before its removal: its Prepares are refused. */
  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Packets this peer takes part in that are not answered (and settled in the ledger) yet. */
  get packetsInFlight(): number {
    return this.packets;
  }

  /**
   * A new config for the same peer. A token bucket is rebuilt (full) only when its own settings
   * changed: an unrelated change must not hand a peer that is at its rate a fresh burst.
   */
  reconfigure(config: PeerConfig, nowMs: number): void {
    if (!sameJson(config.rateLimit, this.config.rateLimit)) this.rateLimiter = rateLimiterFor(config, nowMs);
    if (!sameJson(config.throughput, this.config.throughput)) {
      this.throughputLimiter = throughputLimiterFor(config, nowMs);
    }
    this.config = config;
  }

  beginPacket(): void {
    this.packets++;
  }

  endPacket(): void {
    if (--this.packets > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once no packet of this peer is in flight (at once when none is). */
  whenIdle(): Promise<void> {
    if (this.packets === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** The packet path's peers by id; the set changes at runtime (admin API, SIGHUP). */
export class PeerTable {
  private readonly states = new Map<string, PeerState>();

  constructor(peers: readonly PeerConfig[], nowMs: number) {
    this.apply(peers, nowMs);
  }

  get(peerId: string): PeerState | undefined {
    return this.states.get(peerId);
  }

  /**
   * Installs a peer set: a peer already known keeps its state object (its counts and buckets, which
   * packets in flight hold on to), new peers get one, peers absent from the set are dropped.
   */
  apply(peers: readonly PeerConfig[], nowMs: number): void {
    const ids = new Set<string>();
    for (const peer of peers) {
      ids.add(peer.id);
      const state = this.states.get(peer.id);
      if (state === undefined) this.states.set(peer.id, new PeerState(peer, nowMs));
      else state.reconfigure(peer, nowMs);
    }
    for (const id of [...this.states.keys()]) if (!ids.has(id)) this.states.delete(id);
  }

  /** Resolves once none of these peers has a packet in flight. */
  async whenIdle(peerIds: readonly string[]): Promise<void> {
    await Promise.all(peerIds.map((id) => this.states.get(id)?.whenIdle()));
  }
}

function rateLimiterFor(peer: PeerConfig, nowMs: number): PacketRateLimiter | undefined {
  return peer.rateLimit === undefined
    ? undefined
    : new PacketRateLimiter(peer.id, peer.rateLimit.packetsPerSecond, peer.rateLimit.burst, nowMs);
}

function throughputLimiterFor(peer: PeerConfig, nowMs: number): AmountThroughputLimiter | undefined {
  return peer.throughput === undefined
    ? undefined
    : new AmountThroughputLimiter(
        peer.id,
        peer.throughput.amountPerSecond,
        peer.throughput.burstAmount,
        nowMs,
      );
}

function sameJson(a: unknown, b: unknown): boolean {
  const json = (v: unknown) =>
    JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return json(a) === json(b);
}
