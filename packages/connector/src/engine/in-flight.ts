import type { NextHopBudget } from '../ports';

/**
 * What is in flight, and who may add to it. The one count of incoming Prepares admitted to the packet
 * path and not yet answered lives here: the engine admits against it, shutdown waits for zero, /metrics
 * reports it. Admission is per peer, out of a global pool, in packets and in ILP bytes:
 *
 * - the pool (`engine.maxQueue` packets, `engine.maxInFlightBytes` bytes) bounds the whole process;
 * - half of the pool is reserved in equal shares, one per peer: a peer below its share is admitted
 *   whatever the others hold, so no peer (nor any group of peers) can lock another one out;
 * - the other half is shared: a peer above its reserved share draws on it, first come first served;
 * - each peer has its own budget (`peers[].budget.inFlightPackets` / `inFlightBytes`), a hard cap on
 *   what it alone may have in flight, wherever its Prepares wait (our stages, the ledger, a next hop).
 *
 * Invariant: Σ packets ≤ Σ reserved + shared capacity = engine.maxQueue, and likewise for bytes, so
 * the pool is never exceeded. A peer that exhausts its budget gets T05; one that finds the shared half
 * taken (and is above its reserved share) gets T03.
 *
 * Separately, `tryHold`/`releaseHold` count what a next hop holds: Prepares forwarded to a peer and not
 * yet answered by it, capped by its `heldPackets` / `heldBytes` (T02 beyond). A receiver that never
 * answers therefore pins at most its own held budget, and the senders paying it keep the rest of theirs.
 */
export interface PeerBudget {
  readonly inFlightPackets: number;
  readonly inFlightBytes: number;
  readonly heldPackets: number;
  readonly heldBytes: number;
}

/** The budget of a peer with none of its own: only the pool bounds it (and it gets T03, never T05). */
export const NO_PEER_BUDGET: PeerBudget = Object.freeze({
  inFlightPackets: Number.POSITIVE_INFINITY,
  inFlightBytes: Number.POSITIVE_INFINITY,
  heldPackets: Number.POSITIVE_INFINITY,
  heldBytes: Number.POSITIVE_INFINITY,
});

export interface PoolLimits {
  readonly maxPackets: number;
  readonly maxBytes: number;
}

/** Verdicts of `admit` (numbers, so shedding a flood allocates nothing). */
export const ADMITTED = 0;
export const PEER_BUDGET_EXHAUSTED = 1;
export const POOL_EXHAUSTED = 2;
export type AdmissionVerdict = typeof ADMITTED | typeof PEER_BUDGET_EXHAUSTED | typeof POOL_EXHAUSTED;

/** One peer's figures, for /metrics. */
export interface PeerInFlight {
  readonly peerId: string;
  readonly packets: number;
  readonly bytes: number;
  readonly heldPackets: number;
  readonly heldBytes: number;
  readonly reservedPackets: number;
  readonly reservedBytes: number;
  /** Prepares refused, by the budget that refused them, since start. */
  readonly refusedByPeerBudget: number;
  readonly refusedByPool: number;
  readonly refusedByHeldBudget: number;
}

class PeerUsage implements PeerInFlight {
  packets = 0;
  bytes = 0;
  heldPackets = 0;
  heldBytes = 0;
  reservedPackets = 0;
  reservedBytes = 0;
  refusedByPeerBudget = 0;
  refusedByPool = 0;
  refusedByHeldBudget = 0;
  /** False once removed: the entry stays until what it has in flight is answered. */
  configured = true;

  constructor(
    readonly peerId: string,
    public budget: PeerBudget,
  ) {}

  /** Packets above the reserved share: what the peer draws from the shared half. */
  sharedPackets(packets = this.packets): number {
    return packets > this.reservedPackets ? packets - this.reservedPackets : 0;
  }

  sharedBytes(bytes = this.bytes): number {
    return bytes > this.reservedBytes ? bytes - this.reservedBytes : 0;
  }
}

export class InFlight implements NextHopBudget {
  private packetCount = 0;
  private byteCount = 0;
  /** What peers draw from the shared half, and its capacity. */
  private sharedPackets = 0;
  private sharedBytes = 0;
  private sharedPacketCapacity: number;
  private sharedByteCapacity: number;
  private readonly peers = new Map<string, PeerUsage>();
  private idleWaiters: (() => void)[] = [];

  /**
   * @param defaultBudget the budget of a peer that sends before `setPeer` named it (the composition
   *   root registers every configured peer first; this covers peers added while running).
   */
  constructor(
    readonly limits: PoolLimits,
    private readonly defaultBudget: PeerBudget,
  ) {
    this.sharedPacketCapacity = limits.maxPackets;
    this.sharedByteCapacity = limits.maxBytes;
  }

  /** Prepares admitted and not yet answered (all peers). */
  get value(): number {
    return this.packetCount;
  }

  /** ILP bytes of those Prepares. */
  get bytes(): number {
    return this.byteCount;
  }

  /** Adds a peer (or changes its budget); every peer's reserved share is recomputed. */
  setPeer(peerId: string, budget: PeerBudget): void {
    const usage = this.peers.get(peerId);
    if (usage === undefined) this.peers.set(peerId, new PeerUsage(peerId, budget));
    else {
      usage.budget = budget;
      usage.configured = true;
    }
    this.recomputeShares();
  }

  /** Removes a peer's reserved share; its figures go once nothing of it is in flight. */
  removePeer(peerId: string): void {
    const usage = this.peers.get(peerId);
    if (usage === undefined) return;
    usage.configured = false;
    this.forgetIfIdle(usage);
    this.recomputeShares();
  }

  /** Admits one Prepare of `bytes` from `peerId` (counted until `release`), or says which bound refused it. */
  admit(peerId: string, bytes: number): AdmissionVerdict {
    const usage = this.peers.get(peerId) ?? this.register(peerId);
    const budget = usage.budget;
    if (usage.packets >= budget.inFlightPackets || usage.bytes + bytes > budget.inFlightBytes) {
      usage.refusedByPeerBudget++;
      return PEER_BUDGET_EXHAUSTED;
    }
    const morePackets = usage.sharedPackets(usage.packets + 1) - usage.sharedPackets();
    const moreBytes = usage.sharedBytes(usage.bytes + bytes) - usage.sharedBytes();
    if (
      (morePackets > 0 && this.sharedPackets + morePackets > this.sharedPacketCapacity) ||
      (moreBytes > 0 && this.sharedBytes + moreBytes > this.sharedByteCapacity)
    ) {
      usage.refusedByPool++;
      return POOL_EXHAUSTED;
    }
    usage.packets++;
    usage.bytes += bytes;
    this.sharedPackets += morePackets;
    this.sharedBytes += moreBytes;
    this.packetCount++;
    this.byteCount += bytes;
    return ADMITTED;
  }

  /** Ends what `admit` began (exactly once per admitted Prepare, with the same size). */
  release(peerId: string, bytes: number): void {
    const usage = this.peers.get(peerId);
    if (usage === undefined) throw new Error(`InFlight.release for ${peerId}, which has nothing in flight`);
    this.sharedPackets -= usage.sharedPackets() - usage.sharedPackets(usage.packets - 1);
    this.sharedBytes -= usage.sharedBytes() - usage.sharedBytes(usage.bytes - bytes);
    usage.packets--;
    usage.bytes -= bytes;
    this.packetCount--;
    this.byteCount -= bytes;
    if (!usage.configured) this.forgetIfIdle(usage);
    if (this.packetCount === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Counts a Prepare forwarded to `peerId` until `releaseHold`; false when its held budget is full. */
  tryHold(peerId: string, bytes: number): boolean {
    const usage = this.peers.get(peerId) ?? this.register(peerId);
    const budget = usage.budget;
    if (usage.heldPackets >= budget.heldPackets || usage.heldBytes + bytes > budget.heldBytes) {
      usage.refusedByHeldBudget++;
      return false;
    }
    usage.heldPackets++;
    usage.heldBytes += bytes;
    return true;
  }

  releaseHold(peerId: string, bytes: number): void {
    const usage = this.peers.get(peerId);
    if (usage === undefined) throw new Error(`InFlight.releaseHold for ${peerId}, which holds nothing`);
    usage.heldPackets--;
    usage.heldBytes -= bytes;
    if (!usage.configured) this.forgetIfIdle(usage);
  }

  /** Resolves once nothing is in flight (immediately if nothing is). */
  whenIdle(): Promise<void> {
    if (this.packetCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Every peer's figures (for /metrics). */
  perPeer(): Iterable<PeerInFlight> {
    return this.peers.values();
  }

  private register(peerId: string): PeerUsage {
    this.setPeer(peerId, this.defaultBudget);
    return this.peers.get(peerId) as PeerUsage;
  }

  private forgetIfIdle(usage: PeerUsage): void {
    if (usage.packets === 0 && usage.heldPackets === 0) this.peers.delete(usage.peerId);
  }

  /**
   * Half of the pool, split equally among the configured peers, each share capped by the peer's own
   * budget; the rest is shared. What peers draw from the shared half is recounted against the new
   * shares (it may exceed the capacity for a moment, until answers bring it down).
   */
  private recomputeShares(): void {
    let configured = 0;
    for (const usage of this.peers.values()) if (usage.configured) configured++;
    const packetShare = configured === 0 ? 0 : Math.floor(this.limits.maxPackets / 2 / configured);
    const byteShare = configured === 0 ? 0 : Math.floor(this.limits.maxBytes / 2 / configured);
    let reservedPackets = 0;
    let reservedBytes = 0;
    let sharedPackets = 0;
    let sharedBytes = 0;
    for (const usage of this.peers.values()) {
      usage.reservedPackets = usage.configured ? Math.min(packetShare, usage.budget.inFlightPackets) : 0;
      usage.reservedBytes = usage.configured ? Math.min(byteShare, usage.budget.inFlightBytes) : 0;
      reservedPackets += usage.reservedPackets;
      reservedBytes += usage.reservedBytes;
      sharedPackets += usage.sharedPackets();
      sharedBytes += usage.sharedBytes();
    }
    this.sharedPacketCapacity = this.limits.maxPackets - reservedPackets;
    this.sharedByteCapacity = this.limits.maxBytes - reservedBytes;
    this.sharedPackets = sharedPackets;
    this.sharedBytes = sharedBytes;
  }
}
