import type { ClaimEntry } from '../claims';
import type { ClaimRecord, PacketHandle } from '../types';
import { PacketState, type PacketRecord, type SettlementRecord, type StoredAccount } from './sqlite-store';

/** In-memory state of one account; authoritative while the ledger runs (loaded from the store at start). */
export class AccountState {
  /** Posted balance, positive = owed to us (per asset, peers + liquidity + settlement sum to zero). */
  balance: bigint;
  pendingIn = 0n;
  pendingOut = 0n;
  /**
   * Posted changes to `balance` (posts and settlements) not yet durable. Limit checks ignore the
   * headroom they would free until the change is on disk: one that then fails for good is undone, and
   * must not have let another packet past a limit meanwhile.
   */
  unconfirmedUp = 0n;
  unconfirmedDown = 0n;
  maximum: bigint | undefined;
  minimum: bigint | undefined;

  constructor(
    readonly stored: StoredAccount,
    readonly liquidity: AccountState | undefined,
  ) {
    this.balance = stored.balance;
  }

  /** The posted balance without the changes that are not durable yet. */
  get durableBalance(): bigint {
    return this.balance - this.unconfirmedUp + this.unconfirmedDown;
  }
}

/** One packet's reservation: the handle callers hold and the record the store writes. */
export class Reservation implements PacketHandle, PacketRecord {
  state: PacketState = PacketState.Pending;
  /** Number of the batch that carries this packet's post or void (coalesces the pending write away). */
  resolutionBatch = 0;
  /** Set once the batch holding this packet's pending row has committed. */
  pendingRowCommitted = false;
  /** Neighbours in OpenReservations while this reservation is pending there. */
  olderOpen: Reservation | undefined;
  newerOpen: Reservation | undefined;
  readonly inAccountId: number;
  readonly inLiquidityId: number;
  readonly outAccountId: number;
  readonly outLiquidityId: number;

  constructor(
    readonly owner: object,
    readonly boot: number,
    readonly seq: number,
    readonly inAccount: AccountState,
    readonly inAmount: bigint,
    readonly outAccount: AccountState,
    readonly outAmount: bigint,
    readonly createdAtMs: number,
    /** Wall-clock expiry of the incoming Prepare: from then on the reservation can only be voided. */
    readonly expiresAtMs: number = Infinity,
  ) {
    this.inAccountId = inAccount.stored.id;
    this.inLiquidityId = (inAccount.liquidity as AccountState).stored.id;
    this.outAccountId = outAccount.stored.id;
    this.outLiquidityId = (outAccount.liquidity as AccountState).stored.id;
  }

  /** 128 bits: the run's boot number, then the packet's sequence number within the run. */
  get id(): bigint {
    return (BigInt(this.boot) << 64n) | BigInt(this.seq);
  }

  /** Releases the reserved amounts (on post, void or timeout). */
  release(state: PacketState): void {
    this.state = state;
    this.inAccount.pendingIn -= this.inAmount;
    this.outAccount.pendingOut -= this.outAmount;
  }

  /** Marks the posted legs as not yet durable (see AccountState.unconfirmedUp): they free no headroom yet. */
  holdUntilDurable(): void {
    this.inAccount.unconfirmedUp += this.inAmount;
    this.outAccount.unconfirmedDown += this.outAmount;
  }

  /** The posted legs are durable (or undone): the headroom they free counts from now on. */
  releaseDurableHold(): void {
    this.inAccount.unconfirmedUp -= this.inAmount;
    this.outAccount.unconfirmedDown -= this.outAmount;
  }

  /** Applies the posted legs to the four accounts they touch (the peers' and their liquidity accounts). */
  applyPost(): void {
    // Additions and subtractions, never a multiplication by a sign: one BigInt allocated per leg.
    this.inAccount.balance += this.inAmount;
    (this.inAccount.liquidity as AccountState).balance -= this.inAmount;
    this.outAccount.balance -= this.outAmount;
    (this.outAccount.liquidity as AccountState).balance += this.outAmount;
  }

  /** Undoes applyPost() (a post whose batch never became durable). */
  undoPost(): void {
    this.inAccount.balance -= this.inAmount;
    (this.inAccount.liquidity as AccountState).balance += this.inAmount;
    this.outAccount.balance += this.outAmount;
    (this.outAccount.liquidity as AccountState).balance -= this.outAmount;
  }
}

/**
 * The pending reservations, oldest first, as an intrusive doubly linked list through the reservations
 * themselves. Adding and removing allocate nothing and leave no references behind: a Set churned at
 * packet rate kept each removed reservation reachable long enough for the young-generation GC to
 * promote it, which multiplied the scavenge pauses in every packet's latency.
 */
export class OpenReservations {
  private oldestEntry: Reservation | undefined;
  private newestEntry: Reservation | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The longest-pending reservation. */
  oldest(): Reservation | undefined {
    return this.oldestEntry;
  }

  add(res: Reservation): void {
    res.olderOpen = this.newestEntry;
    res.newerOpen = undefined;
    if (this.newestEntry === undefined) this.oldestEntry = res;
    else this.newestEntry.newerOpen = res;
    this.newestEntry = res;
    this.count++;
  }

  /** Removes `res` if it is in the list. */
  delete(res: Reservation): void {
    if (res !== this.oldestEntry && res.olderOpen === undefined) return;
    const older = res.olderOpen;
    const newer = res.newerOpen;
    if (older === undefined) this.oldestEntry = newer;
    else older.newerOpen = newer;
    if (newer === undefined) this.newestEntry = older;
    else newer.olderOpen = older;
    res.olderOpen = undefined;
    res.newerOpen = undefined;
    this.count--;
  }
}

/**
 * One claim being booked: the handle the store writes and the in-memory balance change it makes. Like
 * a post, it moves the balances at once and frees the headroom it gives only once durable.
 */
export class Settlement implements SettlementRecord {
  readonly peerAccountId: number;
  readonly settlementAccountId: number;

  constructor(
    readonly entry: ClaimEntry,
    private readonly peer: AccountState,
    private readonly account: AccountState,
    readonly amount: bigint,
  ) {
    this.peerAccountId = peer.stored.id;
    this.settlementAccountId = account.stored.id;
  }

  get claim(): ClaimRecord {
    return this.entry.claim;
  }

  /** Moves the balances; the headroom this frees counts only from releaseDurableHold() on. */
  apply(): void {
    if (this.entry.claim.direction === 'paid') {
      this.peer.balance += this.amount;
      this.account.balance -= this.amount;
      this.peer.unconfirmedUp += this.amount;
    } else {
      this.peer.balance -= this.amount;
      this.account.balance += this.amount;
      this.peer.unconfirmedDown += this.amount;
    }
  }

  releaseDurableHold(): void {
    if (this.entry.claim.direction === 'paid') this.peer.unconfirmedUp -= this.amount;
    else this.peer.unconfirmedDown -= this.amount;
  }

  /** Undoes apply() (a settlement whose batch never became durable). */
  undo(): void {
    this.releaseDurableHold();
    if (this.entry.claim.direction === 'paid') {
      this.peer.balance -= this.amount;
      this.account.balance += this.amount;
    } else {
      this.peer.balance += this.amount;
      this.account.balance -= this.amount;
    }
  }
}
