import type { Logger } from 'pino';
import { DaemonError } from '../../errors';
import { LedgerBatchWriter, type BatchSink } from '../batch-writer';
import { BestClaims } from '../claims';
import { assetKey, ledgerUnavailable, reservationAccounts, settlementAccount } from '../guards';
import type { AssetAccountBalance, InspectableLedger, LiquidityBalance, SettlementBalance } from '../inspect';
import type {
  ClaimRecord,
  LedgerObserver,
  LedgerPeerAccount,
  PacketHandle,
  PacketReservation,
  PeerBalance,
  SettlementLedger,
  SettlementOutcome,
} from '../types';
import { AccountState, OpenReservations, Reservation, Settlement } from './accounts';
import {
  PacketState,
  SETTLEMENT_WRITE,
  type PacketWrite,
  type SettlementWrite,
  type StoredAccount,
} from './sqlite-store';
import { LedgerWriterThread } from './writer-thread-client';

/**
 * How long a reservation's pending row may wait to ride along with a durable write (a post or void)
 * before it is written on its own. Nobody waits for that row (recovery voids pending rows, so one lost
 * in a crash changes nothing), and most packets are answered well within this: their pending and post
 * then become one row in one commit instead of two commits.
 */
const PENDING_ROW_DELAY_MS = 100;

export interface EmbeddedLedgerOptions {
  /** Absolute path of the SQLite file. */
  readonly path: string;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  readonly pendingTimeoutMs: number;
  readonly logger: Logger;
  readonly observer?: LedgerObserver;
  /** Milliseconds clock for reservation ages (tests pin it). */
  readonly now?: () => number;
  /** Entry file of the writer thread (tests start drills); defaults to the built-in one. */
  readonly writerThreadFile?: string;
}

interface PacketOp extends PacketWrite {
  readonly packet: Reservation;
}

interface SettlementOp extends SettlementWrite {
  readonly settlement: Settlement;
}

/** One write through the batch writer: packets and settlements share its group commit. */
type Write = PacketOp | SettlementOp;

/**
 * The default ledger: SQLite on local disk. Limits are enforced on in-memory balances, checked and
 * reserved synchronously inside reserve(), so no interleaving of concurrent packets can exceed a limit.
 * Every state change then goes through the batch writer to a dedicated writer thread that owns the
 * SQLite connection (group commit: one transaction per batch, the next batch sent as soon as the last
 * is durable), so no fsync ever blocks the event loop; a post resolves only once durable. Claims are
 * judged in memory (BestClaims) and ride the same batches: a claim row and its balance change commit in
 * one transaction.
 */
export class EmbeddedLedger implements InspectableLedger, SettlementLedger, BatchSink<Write> {
  readonly backend = 'embedded' as const;
  private thread: LedgerWriterThread | undefined;
  private readonly writer: LedgerBatchWriter<Write>;
  private readonly peers = new Map<string, AccountState>();
  private readonly accounts = new Map<number, AccountState>();
  private readonly liquidity = new Map<string, AccountState>();
  private readonly settlementAccounts = new Map<string, AccountState>();
  private readonly bestClaims = new BestClaims();
  /** Unresolved reservations in creation order, for the pendingTimeoutMs safety net. */
  private readonly open = new OpenReservations();
  private sweeper: NodeJS.Timeout | undefined;
  private boot = 0;
  private seq = 0;
  private batchNumber = 0;
  private running = false;
  private stopped = false;
  private healthy = true;
  private starting: Promise<void> | undefined;
  /** registerPeer calls run one at a time, so an account is never loaded into memory twice. */
  private registering: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: EmbeddedLedgerOptions) {
    // Reservation ages are measured on the monotonic clock: a wall-clock step (NTP) must never make
    // the safety-net sweep void live reservations.
    this.now = options.now ?? (() => performance.now());
    this.writer = new LedgerBatchWriter<Write>(this, {
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      lazyFlushMs: PENDING_ROW_DELAY_MS,
      observer: options.observer,
    });
  }

  start(): Promise<void> {
    if (this.stopped)
      return Promise.reject(
        new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'a stopped ledger cannot be restarted'),
      );
    this.starting ??= this.openStore();
    return this.starting;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting?.catch(() => undefined);
    const thread = this.thread;
    if (thread === undefined) return;
    this.running = false;
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.writer.stop();
    this.thread = undefined;
    await thread.close();
  }

  isReady(): boolean {
    return this.running && this.healthy;
  }

  registerPeer(account: LedgerPeerAccount): Promise<void> {
    const registered = this.registering.then(() => this.register(account));
    this.registering = registered.catch(() => undefined);
    return registered;
  }

  reserve(reservation: PacketReservation): Promise<PacketHandle> {
    if (!this.running) return Promise.reject(ledgerUnavailable());
    let from: AccountState;
    let to: AccountState;
    try {
      ({ from, to } = reservationAccounts(
        this.peers,
        reservation,
        this.writer.backlog,
        this.options.maxQueue,
      ));
    } catch (err) {
      return Promise.reject(err);
    }
    const { incoming, outgoing } = reservation;
    // Check both limits before touching either account: the reservation is all or nothing. Pending
    // reservations count against a limit; pending ones in the other direction give no headroom.
    if (
      from.maximum !== undefined &&
      from.balance + from.unconfirmedDown + from.pendingIn + incoming.amount > from.maximum
    ) {
      return Promise.reject(
        limitExceeded(`peer ${incoming.peerId} would owe us more than its maximum`, from.maximum),
      );
    }
    if (
      to.minimum !== undefined &&
      to.balance - to.unconfirmedUp - to.pendingOut - outgoing.amount < to.minimum
    ) {
      return Promise.reject(
        limitExceeded(`we would owe peer ${outgoing.peerId} more than its minimum`, to.minimum),
      );
    }
    from.pendingIn += incoming.amount;
    to.pendingOut += outgoing.amount;
    const handle = new Reservation(
      this,
      this.boot,
      ++this.seq,
      from,
      incoming.amount,
      to,
      outgoing.amount,
      this.now(),
      reservation.expiresAtMs,
    );
    this.open.add(handle);
    // Nobody waits for the pending row: one lost in a crash is exactly what recovery would void anyway.
    this.writer.push({ state: PacketState.Pending, packet: handle });
    return Promise.resolve(handle);
  }

  post(handle: PacketHandle): Promise<void> {
    const res = this.pendingReservation(handle);
    if (res === undefined) return Promise.reject(notPending(handle, 'post'));
    if (Date.now() >= res.expiresAtMs) {
      // Past the packet's expiry the sender has given up on it: a post now would charge it for a
      // packet it considers failed. The reservation is voided instead, as TigerBeetle's timeout does.
      this.settle(res, PacketState.Voided);
      void this.writeResolution(res).catch(() => undefined);
      return Promise.reject(notPending(handle, 'post'));
    }
    this.settle(res, PacketState.Posted);
    res.applyPost();
    // The post frees no headroom until it is durable: writeBatch releases the hold once the batch
    // commits, onBatchFailed undoes the post and the hold together.
    res.holdUntilDurable();
    try {
      return this.writer.pushDurable({ state: PacketState.Posted, packet: res });
    } catch (err) {
      res.releaseDurableHold();
      return Promise.reject(err);
    }
  }

  void(handle: PacketHandle): Promise<void> {
    const res = this.pendingReservation(handle);
    if (res === undefined) return Promise.reject(notPending(handle, 'void'));
    this.settle(res, PacketState.Voided);
    return this.writeResolution(res);
  }

  async balances(): Promise<PeerBalance[]> {
    await this.writer.flush();
    const out: PeerBalance[] = [];
    for (const account of this.accounts.values()) {
      if (account.stored.kind !== 'peer') continue;
      out.push({
        peerId: account.stored.peerId,
        assetCode: account.stored.assetCode,
        assetScale: account.stored.assetScale,
        balance: account.balance,
        pendingIncoming: account.pendingIn,
        pendingOutgoing: account.pendingOut,
      });
    }
    return out;
  }

  async liquidityBalances(): Promise<LiquidityBalance[]> {
    await this.writer.flush();
    return assetBalances(this.liquidity);
  }

  async settlementBalances(): Promise<SettlementBalance[]> {
    await this.writer.flush();
    return assetBalances(this.settlementAccounts);
  }

  async recordSettlement(claim: ClaimRecord, amount: bigint): Promise<SettlementOutcome> {
    if (!this.running) throw ledgerUnavailable();
    const peer = settlementAccount(this.peers, claim, amount);
    const account = this.settlementAccounts.get(assetKey(peer.stored.assetCode, peer.stored.assetScale));
    // Created with the asset's first peer, so a registered peer always has one.
    if (account === undefined) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT',
        `no settlement account for ${claim.peerId}'s asset`,
      );
    }
    for (;;) {
      const decision = this.bestClaims.decide(claim);
      if (decision.outcome === 'wait') {
        await decision.until;
        continue;
      }
      if (decision.outcome !== 'apply') return decision.outcome;
      const settlement = new Settlement(decision.entry, peer, account, amount);
      settlement.apply();
      let durable: Promise<void>;
      try {
        // A claim rides along with the next packet commit (or goes alone after the lazy delay): under
        // traffic, settlement adds no commit that the packets' posts would have to wait behind.
        durable = this.writer.pushPatient({ state: SETTLEMENT_WRITE, settlement });
      } catch (err) {
        settlement.undo();
        this.bestClaims.fail(decision.entry);
        throw err;
      }
      // A batch that fails for good undoes the settlement first (onBatchFailed), then rejects here.
      await durable;
      return 'applied';
    }
  }

  async claims(): Promise<ClaimRecord[]> {
    if (this.thread === undefined) throw ledgerUnavailable();
    await this.writer.flush();
    return this.bestClaims.durable();
  }

  postedBalance(peerId: string): bigint | undefined {
    return this.peers.get(peerId)?.durableBalance;
  }

  /** BatchSink: one SQLite transaction per batch, committed by the writer thread. */
  async writeBatch(writes: readonly Write[], attempt: number): Promise<void> {
    const thread = this.thread;
    if (thread === undefined) throw ledgerUnavailable();
    const batch = ++this.batchNumber;
    let coalesced = false;
    for (const write of writes) {
      if (write.state === PacketState.Posted || write.state === PacketState.Voided) {
        write.packet.resolutionBatch = batch;
      }
    }
    for (const write of writes) {
      if (write.state === PacketState.Pending && write.packet.resolutionBatch === batch) coalesced = true;
    }
    // A pending and its resolution in one batch become one row write: the resolution inserts the row.
    const rows = coalesced
      ? writes.filter((w) => w.state !== PacketState.Pending || w.packet.resolutionBatch !== batch)
      : writes;
    try {
      await thread.commit(rows, attempt > 0);
    } catch (err) {
      this.healthy = false;
      throw err;
    }
    this.healthy = true;
    for (const write of rows) {
      if (write.state === PacketState.Pending) write.packet.pendingRowCommitted = true;
      else if (write.state === PacketState.Posted) write.packet.releaseDurableHold();
      else if (write.state === SETTLEMENT_WRITE) {
        write.settlement.releaseDurableHold();
        this.bestClaims.confirm(write.settlement.entry);
      }
    }
  }

  /** BatchSink: a batch that never committed. Posts in it are undone in memory so memory matches disk. */
  onBatchFailed(writes: readonly Write[], error: DaemonError): void {
    this.options.logger.error({ err: error, size: writes.length }, 'ledger batch failed for good');
    for (const write of writes) {
      if (write.state === SETTLEMENT_WRITE) {
        write.settlement.undo();
        this.bestClaims.fail(write.settlement.entry);
        continue;
      }
      if (write.state !== PacketState.Posted) continue;
      write.packet.releaseDurableHold();
      write.packet.undoPost();
      write.packet.state = PacketState.Voided;
    }
  }

  private writeResolution(res: Reservation): Promise<void> {
    try {
      return this.writer.pushDurable({ state: res.state, packet: res });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private settle(res: Reservation, state: PacketState): void {
    res.release(state);
    this.open.delete(res);
  }

  private pendingReservation(handle: PacketHandle): Reservation | undefined {
    return handle instanceof Reservation && handle.owner === this && handle.state === PacketState.Pending
      ? handle
      : undefined;
  }

  /** The safety net: a reservation nobody posted or voided within pendingTimeoutMs is voided. */
  private voidTimedOut(): void {
    const cutoff = this.now() - this.options.pendingTimeoutMs;
    let voided = 0;
    for (let res = this.open.oldest(); res !== undefined; res = this.open.oldest()) {
      if (res.createdAtMs > cutoff) break;
      this.settle(res, PacketState.Voided);
      this.writeResolution(res).catch(() => undefined);
      voided++;
    }
    if (voided > 0) {
      this.options.logger.warn(
        { voided, pendingTimeoutMs: this.options.pendingTimeoutMs },
        'voided timed-out reservations',
      );
    }
  }

  private async openStore(): Promise<void> {
    const thread = new LedgerWriterThread({
      path: this.options.path,
      logger: this.options.logger,
      file: this.options.writerThreadFile,
    });
    try {
      const { boot, voided, accounts, claims } = await thread.recover();
      this.boot = boot;
      for (const stored of accounts) this.loadAccount(stored);
      for (const claim of claims) this.bestClaims.load(claim);
      this.options.logger.info(
        { path: this.options.path, boot, voidedReservations: voided, claims: claims.length },
        'embedded ledger opened',
      );
    } catch (err) {
      this.starting = undefined;
      await thread.close();
      throw err;
    }
    this.thread = thread;
    if (this.stopped) return;
    this.running = true;
    const sweepMs = Math.min(1000, Math.max(10, Math.floor(this.options.pendingTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.voidTimedOut(), sweepMs);
  }

  private async register(account: LedgerPeerAccount): Promise<void> {
    const thread = this.requireThread();
    const { assetCode, assetScale } = account;
    const liquidity = await this.liquidityFor(thread, assetCode, assetScale);
    if (!this.settlementAccounts.has(assetKey(assetCode, assetScale))) {
      this.loadAccount(await thread.ensureAccount({ kind: 'settlement', peerId: '', assetCode, assetScale }));
    }
    const stored = await thread.ensureAccount({
      kind: 'peer',
      peerId: account.peerId,
      assetCode,
      assetScale,
    });
    const state = this.accounts.get(stored.id) ?? this.loadAccount(stored, liquidity);
    state.maximum = account.maximum;
    state.minimum = account.minimum;
    this.peers.set(account.peerId, state);
  }

  private async liquidityFor(
    thread: LedgerWriterThread,
    assetCode: string,
    assetScale: number,
  ): Promise<AccountState> {
    const existing = this.liquidity.get(assetKey(assetCode, assetScale));
    if (existing !== undefined) return existing;
    return this.loadAccount(
      await thread.ensureAccount({ kind: 'liquidity', peerId: '', assetCode, assetScale }),
    );
  }

  private loadAccount(stored: StoredAccount, liquidity?: AccountState): AccountState {
    if (stored.kind !== 'peer') {
      const state = new AccountState(stored, undefined);
      const byAsset = stored.kind === 'liquidity' ? this.liquidity : this.settlementAccounts;
      byAsset.set(assetKey(stored.assetCode, stored.assetScale), state);
      this.accounts.set(stored.id, state);
      return state;
    }
    const own = liquidity ?? this.liquidity.get(assetKey(stored.assetCode, stored.assetScale));
    // Accounts load in id order and a liquidity account is always created before its first peer's.
    if (own === undefined)
      throw new Error(`ledger account ${stored.id} has no liquidity account for its asset`);
    const state = new AccountState(stored, own);
    this.accounts.set(stored.id, state);
    return state;
  }

  private requireThread(): LedgerWriterThread {
    if (this.thread === undefined || !this.running) throw ledgerUnavailable();
    return this.thread;
  }
}

function assetBalances(accounts: ReadonlyMap<string, AccountState>): AssetAccountBalance[] {
  return [...accounts.values()].map((account) => ({
    assetCode: account.stored.assetCode,
    assetScale: account.stored.assetScale,
    balance: account.balance,
  }));
}

function notPending(handle: PacketHandle, action: string): DaemonError {
  return new DaemonError(
    'ILPD_ERR_LEDGER_NOT_PENDING',
    `cannot ${action} reservation ${String(handle?.id)}: unknown, already resolved or timed out`,
  );
}

function limitExceeded(what: string, limit: bigint): DaemonError {
  return new DaemonError('ILPD_ERR_LEDGER_LIMIT_EXCEEDED', `${what} ${limit} allows`);
}
