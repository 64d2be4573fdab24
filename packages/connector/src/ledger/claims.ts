import type { ClaimRecord, SettlementOutcome } from './types';

/**
 * One claim the ledger took as the best of its channel and direction: durable, or on its way to be
 * (its write queued or in flight). A claim is taken on top of the best one before that one is durable
 * (claims are cumulative, so a higher one is right whatever becomes of a lower one); `previous` links
 * it to the claim it superseded until it is durable, so a write that fails for good can hand the
 * channel back to the best claim that did not fail.
 */
export class ClaimEntry {
  durable = false;
  failed = false;
  previous: ClaimEntry | undefined;
  private waiters: (() => void)[] | undefined;

  constructor(
    readonly claim: ClaimRecord,
    previous: ClaimEntry | undefined,
  ) {
    this.previous = previous;
  }

  /** Resolves once the entry is durable or has failed for good (never rejects). */
  settled(): Promise<void> {
    if (this.durable || this.failed) return Promise.resolve();
    return new Promise((resolve) => (this.waiters ??= []).push(resolve));
  }

  /** @internal */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = undefined;
    if (waiters !== undefined) for (const wake of waiters) wake();
  }
}

export type ClaimDecision =
  | { readonly outcome: Exclude<SettlementOutcome, 'applied'> }
  /** Judged against a claim not yet durable: ask again once it is durable or has failed. */
  | { readonly outcome: 'wait'; readonly until: Promise<void> }
  /** Taken as the channel's best: book it, then confirm() or fail() the entry. */
  | { readonly outcome: 'apply'; readonly entry: ClaimEntry };

export function claimKey(direction: ClaimRecord['direction'], channelId: string): string {
  return `${direction}/${channelId}`;
}

/**
 * The best claim of every (direction, channel), as the backend's durable store has it plus the claims
 * being written. Both backends judge claims here, synchronously, so concurrent claims on one channel
 * are ordered: a claim is taken only above the best one (durable or not), and 'stale' or
 * 'foreign-channel' is answered only against a durable claim, so that answer never rests on a claim
 * that may still fail. The first claim stored on a channel binds the channel to its peer.
 */
export class BestClaims {
  private readonly best = new Map<string, ClaimEntry>();

  /** A durable claim read from the store at start (the highest per channel wins). */
  load(claim: ClaimRecord): void {
    const key = claimKey(claim.direction, claim.channelId);
    const known = this.best.get(key);
    if (known !== undefined && known.claim.cumulative >= claim.cumulative) return;
    const entry = new ClaimEntry(claim, undefined);
    entry.durable = true;
    this.best.set(key, entry);
  }

  decide(claim: ClaimRecord): ClaimDecision {
    const key = claimKey(claim.direction, claim.channelId);
    const current = this.best.get(key);
    if (current !== undefined) {
      const foreign = current.claim.peerId !== claim.peerId;
      if (foreign || current.claim.cumulative >= claim.cumulative) {
        if (!current.durable) return { outcome: 'wait', until: current.settled() };
        return { outcome: foreign ? 'foreign-channel' : 'stale' };
      }
    }
    const entry = new ClaimEntry(claim, current);
    this.best.set(key, entry);
    return { outcome: 'apply', entry };
  }

  /** The entry's write is durable. */
  confirm(entry: ClaimEntry): void {
    entry.durable = true;
    entry.previous = undefined;
    entry.wake();
  }

  /** The entry's write failed for good: the channel falls back to the best claim that did not fail. */
  fail(entry: ClaimEntry): void {
    entry.failed = true;
    const key = claimKey(entry.claim.direction, entry.claim.channelId);
    if (this.best.get(key) === entry) {
      let back = entry.previous;
      while (back !== undefined && back.failed) back = back.previous;
      if (back === undefined) this.best.delete(key);
      else this.best.set(key, back);
    }
    // `previous` stays: a higher claim still being written may fall back through this one.
    entry.wake();
  }

  /** The best durable claim of every channel (a claim still being written shows its durable predecessor). */
  durable(): ClaimRecord[] {
    const out: ClaimRecord[] = [];
    for (const entry of this.best.values()) {
      let e: ClaimEntry | undefined = entry;
      while (e !== undefined && !(e.durable && !e.failed)) e = e.previous;
      if (e !== undefined) out.push(e.claim);
    }
    return out;
  }
}
