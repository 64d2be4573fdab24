import type { Logger } from 'pino';
import { CreateAccountStatus, type Account, type Transfer } from 'tigerbeetle-node';
import { DaemonError, type DaemonErrorCode } from '../../errors';
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
import { TigerBeetleClaimsStore, type ClaimsStoreOp } from './claims-store';
import { TigerBeetleConnection, type TigerBeetleConnectionOptions } from './connection';
import { alignHeadroom } from './headroom';
import {
  accountId,
  debitBalance,
  ledgerNumber,
  MAX_TRANSFERS_PER_OP,
  newAccount,
  newBoot,
  transferId,
  type AccountKind,
} from './model';
import {
  OpKind,
  TbReservation,
  TbSettlement,
  judgeOp,
  opTransferCount,
  opTransfers,
  pendingTimeoutSeconds,
  type PacketOpKind,
  type TbOp,
  type TbPacketOp,
  type TbPeer,
  type TbSettleOp,
} from './operations';
import { reconcileClaims } from './reconcile-claims';
import { recoverStalePendings } from './recovery';
import { RequestLimits, TRANSFERS_PER_REQUEST_MAX, learnTransferLimit } from './request-limits';

/** First pause before a write whose client failed is sent again on a fresh client (doubles up to 1 s). */
const RESEND_DELAY_MS = 10;
/**
 * How long marking a claim applied in the claims store may wait for an intent's commit to ride along
 * with. Nobody waits for it: an intent left unmarked by a crash is found applied at the next start.
 */
const CLAIM_MARK_DELAY_MS = 100;

export interface TigerBeetleLedgerOptions extends TigerBeetleConnectionOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  readonly pendingTimeoutMs: number;
  /** Transfers per create_transfers request; 0 or absent = learn the cluster's limit at start. */
  readonly maxBatchEvents?: number;
  /** Time recovery may spend per start (default 10 s); what it leaves expires by its own timeout. */
  readonly recoveryBudgetMs?: number;
  /** Absolute path of the claims store (claims-store.ts). */
  readonly claimsPath: string;
  readonly logger: Logger;
  readonly observer?: LedgerObserver;
}

/** What one run's writes look like, for benchmarks and tests. */
export interface TigerBeetleWriteStats {
  /** create_transfers requests sent for packet operations, and transfers they carried. */
  requests: number;
  transfers: number;
  /** Requests the client refused as too large (split and sent again). */
  tooLarge: number;
  /** Writes sent again after their client failed (same ids: applied at most once). */
  resent: number;
  /** Reservations whose caller stopped waiting and that were voided once in place. */
  abandonedVoided: number;
}

/**
 * The ledger on a TigerBeetle cluster (see model.ts for the account scheme). Limits are enforced by
 * TigerBeetle's account flags inside each linked chain, so they hold under any concurrency, across
 * processes too. Every write goes through the batch writer, with up to requestsInFlight requests in
 * flight on as many client sessions; each request is sized to the cluster's limit.
 *
 * The outcome reported to the caller always matches the ledger. The client never drops a request, so
 * a write is never given up on: post() settles only once the cluster has answered (or, after a client
 * failure, answered the same write sent again: ids are deterministic, so it lands at most once). A
 * reservation's pending timeout ends with the packet's expiry, so a post that reaches the cluster too
 * late fails by itself. reserve() does give up after requestTimeoutMs (T00 upstream: nothing was
 * forwarded, nothing moves); the reservation is then never sent if it was not yet, and voided as soon
 * as it is known to be in place if it was.
 *
 * Settlement: a claim is judged in memory (BestClaims), written durably to the claims store as an
 * intent (claims-store.ts: TigerBeetle cannot hold a signature), then its transfer goes through the
 * batch writer like a packet's; 'applied' means both are durable. At start the store's intents are
 * settled against the cluster (reconcile-claims.ts) before any claim is judged.
 */
export class TigerBeetleLedger implements InspectableLedger, SettlementLedger, BatchSink<TbOp> {
  readonly backend = 'tigerbeetle' as const;
  private readonly connection: TigerBeetleConnection;
  private readonly writer: LedgerBatchWriter<TbOp>;
  private readonly peers = new Map<string, TbPeer>();
  private readonly assetsByLedger = new Map<number, string>();
  private readonly liquidity = new Map<string, { assetCode: string; assetScale: number; id: bigint }>();
  private readonly settlementAccounts = new Map<
    string,
    { assetCode: string; assetScale: number; id: bigint }
  >();
  /**
   * Each registered peer's posted balance as far as the cluster has confirmed it: read at its first
   * registration, then moved by every post and claim this process has confirmed (one ilpd per
   * cluster, so nothing else moves it).
   */
  private readonly knownBalances = new Map<string, bigint>();
  private readonly bestClaims = new BestClaims();
  private claimsStore: TigerBeetleClaimsStore | undefined;
  private readonly claimsWriter: LedgerBatchWriter<ClaimsStoreOp>;
  /** Recovery of each asset ledger, run once per start at the asset's first registration. */
  private readonly recoveries = new Map<string, Promise<void>>();
  private readonly boot = newBoot();
  private readonly limits: RequestLimits;
  private readonly logger: Logger;
  private seq = 0;
  private running = false;
  private stopped = false;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private recoveryDeadline = 0;
  readonly stats: TigerBeetleWriteStats = {
    requests: 0,
    transfers: 0,
    tooLarge: 0,
    resent: 0,
    abandonedVoided: 0,
  };

  constructor(private readonly options: TigerBeetleLedgerOptions) {
    this.connection = new TigerBeetleConnection(options);
    this.logger = options.logger;
    this.limits = new RequestLimits(options.maxBatchEvents || TRANSFERS_PER_REQUEST_MAX);
    this.writer = new LedgerBatchWriter<TbOp>(this, {
      batchSize: options.batchSize,
      flushIntervalMs: options.flushIntervalMs,
      maxInFlight: this.connection.concurrency,
      // writeBatch itself sends a write again until the cluster answers. A batch that fails anyway is
      // written again as a whole: ids are deterministic, so what already landed answers "exists".
      maxAttempts: 3,
      observer: options.observer,
      failureCode: (cause) => codeOf(cause) ?? 'ILPD_ERR_LEDGER_WRITE_FAILED',
    });
    // Claims store commits are group commits too: every intent queued while one commits goes in the next.
    this.claimsWriter = new LedgerBatchWriter<ClaimsStoreOp>(
      {
        writeBatch: (ops) => {
          if (this.claimsStore === undefined) throw ledgerUnavailable();
          this.claimsStore.commit(ops);
        },
      },
      { batchSize: 1000, flushIntervalMs: 0, lazyFlushMs: CLAIM_MARK_DELAY_MS },
    );
  }

  /** Connects (one lookup within requestTimeoutMs) and learns the cluster's request size limit. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.stopped) {
      throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'a stopped ledger cannot be restarted');
    }
    try {
      await this.connection.read('lookup_accounts', (c) => c.lookupAccounts([1n]));
      if (!this.options.maxBatchEvents) {
        this.limits.transfers = await learnTransferLimit(this.connection, TRANSFERS_PER_REQUEST_MAX);
      }
      this.fitBatchesToRequests();
      await this.openClaims();
      this.logger.info(
        {
          cluster: this.connection.description,
          transfersPerRequest: this.limits.transfers,
          idsPerRequest: this.limits.ids,
          requestsInFlight: this.connection.concurrency,
        },
        'tigerbeetle ledger ready',
      );
    } catch (err) {
      this.claimsStore?.close();
      this.claimsStore = undefined;
      this.connection.destroy();
      throw err;
    }
    this.running = true;
    this.recoveryDeadline = performance.now() + (this.options.recoveryBudgetMs ?? 10_000);
    // After a failed request, readiness comes back with the next answer; without traffic, a probe asks.
    this.probe = setInterval(
      () => {
        if (this.running && !this.connection.healthy && !this.probing) {
          this.probing = true;
          this.connection
            .read('lookup_accounts', (c) => c.lookupAccounts([1n]))
            .catch(() => undefined)
            .finally(() => (this.probing = false));
        }
      },
      Math.max(1000, this.options.requestTimeoutMs),
    );
  }

  /**
   * Writes everything queued and waits for the cluster's answers, for at most requestTimeoutMs when
   * the cluster does not answer; then releases the clients. A post still unanswered then is never
   * settled (its packet gets no answer from this process, as if it expired): its outcome is whatever
   * the cluster makes of it, and its pending expires with the packet.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.probe !== undefined) clearInterval(this.probe);
    this.probe = undefined;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.options.requestTimeoutMs);
    });
    try {
      const timedOut = await Promise.race([this.writer.stop().then(() => false), gaveUp]);
      if (timedOut) {
        this.logger.error(
          { unanswered: this.writer.backlog, cluster: this.connection.description },
          'tigerbeetle did not answer every write before stop; their outcome is what the cluster makes of them',
        );
      }
    } finally {
      clearTimeout(timer);
      this.connection.destroy();
      await this.claimsWriter.stop().catch(() => undefined);
      this.claimsStore?.close();
      this.claimsStore = undefined;
    }
  }

  /** Transfers one create_transfers request carries at most (learned or configured). */
  get transfersPerRequest(): number {
    return this.limits.transfers;
  }

  isReady(): boolean {
    return this.running && this.connection.healthy;
  }

  async registerPeer(account: LedgerPeerAccount): Promise<void> {
    if (!this.running) throw ledgerUnavailable();
    const { peerId, assetCode, assetScale } = account;
    const ledger = ledgerNumber(assetCode, assetScale);
    const asset = assetKey(assetCode, assetScale);
    const other = this.assetsByLedger.get(ledger);
    if (other !== undefined && other !== asset) {
      throw new DaemonError('ILPD_ERR_CONFIG', `assets ${other} and ${asset} hash to one TigerBeetle ledger`);
    }
    const id = (kind: AccountKind, owner = peerId) => accountId(kind, owner, assetCode, assetScale);
    const peer: TbPeer = {
      peerId,
      assetCode,
      assetScale,
      ledger,
      account: id('Peer'),
      headroomIn: id('HeadroomIn'),
      headroomOut: id('HeadroomOut'),
      liquidity: id('Liquidity', ''),
      control: id('Control', ''),
      settlement: id('Settlement', ''),
      maximum: account.maximum,
      minimum: account.minimum,
    };
    const accounts: Account[] = [
      newAccount(peer.liquidity, ledger, 'Liquidity'),
      newAccount(peer.control, ledger, 'Control'),
      newAccount(peer.settlement, ledger, 'Settlement'),
      newAccount(peer.account, ledger, 'Peer'),
      newAccount(peer.headroomIn, ledger, 'HeadroomIn'),
      newAccount(peer.headroomOut, ledger, 'HeadroomOut'),
    ];
    const results = await this.connection.write('create_accounts', (c) => c.createAccounts(accounts));
    results.forEach((result, i) => {
      if (result.status !== CreateAccountStatus.created && result.status !== CreateAccountStatus.exists) {
        throw new DaemonError(
          'ILPD_ERR_LEDGER_WRITE_FAILED',
          `${this.connection.description}: creating account ${accounts[i].id} for ${peerId} failed: ` +
            CreateAccountStatus[result.status],
        );
      }
    });
    await this.recoverOnce(asset, peer);
    const balance = await alignHeadroom(this.connection, peer, {
      lookup: (ids) => this.lookup(ids),
      nextTransferId: (leg) => transferId(this.boot, ++this.seq, leg),
      logger: this.options.logger,
    });
    this.assetsByLedger.set(ledger, asset);
    this.liquidity.set(asset, { assetCode, assetScale, id: peer.liquidity });
    this.settlementAccounts.set(asset, { assetCode, assetScale, id: peer.settlement });
    // A peer registered again keeps the balance this process tracks (posts may be in flight).
    if (!this.knownBalances.has(peerId)) this.knownBalances.set(peerId, balance);
    this.peers.set(peerId, peer);
  }

  async reserve(reservation: PacketReservation): Promise<PacketHandle> {
    if (!this.running) throw ledgerUnavailable();
    const { from, to } = reservationAccounts(
      this.peers,
      reservation,
      this.writer.backlog,
      this.options.maxQueue,
    );
    const handle = new TbReservation(
      this,
      this.boot,
      ++this.seq,
      from,
      reservation.incoming.amount,
      to,
      reservation.outgoing.amount,
      pendingTimeoutSeconds(reservation.expiresAtMs, this.options.pendingTimeoutMs, Date.now()),
    );
    const op = newOp(OpKind.Reserve, handle);
    let timer: NodeJS.Timeout | undefined;
    const written = this.writer.pushDurable(op);
    const gaveUp = new Promise<'gave up'>((resolve) => {
      timer = setTimeout(() => resolve('gave up'), this.options.requestTimeoutMs);
    });
    try {
      if ((await Promise.race([written, gaveUp])) === 'gave up') {
        op.abandoned = true;
        handle.state = OpKind.Void;
        written.catch(() => undefined);
        throw new DaemonError(
          'ILPD_ERR_LEDGER_UNAVAILABLE',
          `${this.connection.description}: reservation ${handle.id} not confirmed within ` +
            `${this.options.requestTimeoutMs} ms; it is voided if it lands`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
    if (op.uncertain) throw ledgerUnavailable();
    if (op.outcome !== undefined) throw op.outcome;
    return handle;
  }

  /** Posts the reservation; settles only once the cluster's answer says whether the post is in place. */
  post(handle: PacketHandle): Promise<void> {
    return this.resolve(handle, OpKind.Post);
  }

  void(handle: PacketHandle): Promise<void> {
    return this.resolve(handle, OpKind.Void);
  }

  async balances(): Promise<PeerBalance[]> {
    if (!this.running) throw ledgerUnavailable();
    await this.writer.flush();
    const peers = [...this.peers.values()];
    const found = await this.lookup(peers.map((p) => p.account));
    return peers.flatMap((peer) => {
      const account = found.get(peer.account);
      if (account === undefined) return [];
      return [
        {
          peerId: peer.peerId,
          assetCode: peer.assetCode,
          assetScale: peer.assetScale,
          balance: debitBalance(account),
          pendingIncoming: account.debits_pending,
          pendingOutgoing: account.credits_pending,
        },
      ];
    });
  }

  liquidityBalances(): Promise<LiquidityBalance[]> {
    return this.assetBalances(this.liquidity);
  }

  settlementBalances(): Promise<SettlementBalance[]> {
    return this.assetBalances(this.settlementAccounts);
  }

  async recordSettlement(claim: ClaimRecord, amount: bigint): Promise<SettlementOutcome> {
    if (!this.running) throw ledgerUnavailable();
    const peer = settlementAccount(this.peers, claim, amount);
    // Refuses (INVALID_AMOUNT) a cumulative amount wider than the claims store keeps.
    TigerBeetleClaimsStore.cumulativeKey(claim.cumulative);
    for (;;) {
      const decision = this.bestClaims.decide(claim);
      if (decision.outcome === 'wait') {
        await decision.until;
        continue;
      }
      if (decision.outcome !== 'apply') return decision.outcome;
      const { entry } = decision;
      const settlement = new TbSettlement(entry, peer, amount);
      try {
        // The intent is durable before the transfer can exist: every transfer of a claim has its claim.
        await this.claimsWriter.pushDurable({
          kind: 'intent',
          intent: { claim, amount, assetCode: peer.assetCode, assetScale: peer.assetScale },
        });
      } catch (err) {
        this.bestClaims.fail(entry);
        throw err;
      }
      if (settlement.transferCount > 0) {
        const op: TbSettleOp = {
          kind: OpKind.Settle,
          settlement,
          outcome: undefined,
          sent: false,
          abandoned: false,
          uncertain: false,
          counted: false,
        };
        try {
          await this.writer.pushDurable(op);
        } catch (err) {
          // Unanswered or failed for good: the intent stays and is settled against the cluster at the
          // next start. This run answers no more for the claim.
          this.bestClaims.fail(entry);
          throw err;
        }
        if (op.uncertain) {
          this.bestClaims.fail(entry);
          throw new DaemonError(
            'ILPD_ERR_LEDGER_UNAVAILABLE',
            `claim ${claim.cumulative} on ${claim.channelId} unanswered at stop; settled at the next start`,
          );
        }
        if (op.outcome !== undefined) {
          this.bestClaims.fail(entry);
          this.claimsWriter.push({ kind: 'drop', claim });
          throw op.outcome;
        }
      }
      const toPeer = claim.direction === 'paid' ? amount : -amount;
      this.knownBalances.set(peer.peerId, (this.knownBalances.get(peer.peerId) ?? 0n) + toPeer);
      this.bestClaims.confirm(entry);
      this.markApplied(claim);
      return 'applied';
    }
  }

  async claims(): Promise<ClaimRecord[]> {
    if (this.claimsStore === undefined) throw ledgerUnavailable();
    return this.bestClaims.durable();
  }

  postedBalance(peerId: string): bigint | undefined {
    return this.knownBalances.get(peerId);
  }

  /**
   * BatchSink: each op is one linked chain; the chains go out in create_transfers requests of at most
   * the cluster's limit (several at once when a batch needs more than one), a chain never split.
   */
  async writeBatch(ops: readonly TbOp[]): Promise<void> {
    const live: TbOp[] = [];
    for (const op of ops) {
      // A reservation nobody waits for any more and that never left: it never will.
      if (op.abandoned && !op.sent) continue;
      op.sent = true;
      live.push(op);
    }
    const requests: Promise<void>[] = [];
    let start = 0;
    let transfers = 0;
    for (let i = 0; i < live.length; i++) {
      const n = opTransferCount(live[i]);
      if (i > start && transfers + n > this.limits.transfers) {
        requests.push(this.writeOps(live.slice(start, i)));
        start = i;
        transfers = 0;
      }
      transfers += n;
    }
    if (start < live.length) requests.push(this.writeOps(live.slice(start)));
    await Promise.all(requests);
  }

  /**
   * One writer batch is one request: a batch of the most ops whose chains surely fit, so a packet's op
   * never waits behind a second request of its own batch.
   */
  private fitBatchesToRequests(): void {
    this.writer.resize(
      Math.max(1, Math.min(this.options.batchSize, Math.floor(this.limits.transfers / MAX_TRANSFERS_PER_OP))),
    );
  }

  /** One create_transfers request for these ops, split if the cluster refuses it as too large. */
  private async writeOps(ops: readonly TbOp[]): Promise<void> {
    const transfers: Transfer[] = [];
    const starts: number[] = [];
    for (const op of ops) {
      starts.push(transfers.length);
      for (const transfer of opTransfers(op)) transfers.push(transfer);
    }
    if (transfers.length === 0) return;
    if (transfers.length > this.limits.transfers && ops.length > 1) return this.writeHalves(ops);
    let results;
    try {
      results = await this.sendUntilAnswered(transfers);
    } catch (err) {
      if (codeOf(err) === 'ILPD_ERR_LEDGER_UNAVAILABLE' && this.stopped) {
        // The clients were released at stop with this write unanswered: it may still be applied.
        for (const op of ops) op.uncertain = true;
        return;
      }
      if (codeOf(err) !== 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE' || ops.length === 1) throw err;
      // Never sent, so never applied: split it and send the halves.
      this.stats.tooLarge++;
      this.limits.refused(transfers.length);
      this.fitBatchesToRequests();
      this.logger.warn(
        { refused: transfers.length, transfersPerRequest: this.limits.transfers },
        'tigerbeetle refused a request as too large; requests are split to the lower size from now on',
      );
      return this.writeHalves(ops);
    }
    this.stats.requests++;
    this.stats.transfers += transfers.length;
    ops.forEach((op, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : transfers.length;
      op.outcome = judgeOp(
        op,
        results.slice(starts[i], end).map((r) => r.status),
      );
      if (op.kind === OpKind.Settle || op.outcome !== undefined) return;
      if (op.abandoned) this.voidAbandoned(op.reservation);
      if (op.kind === OpKind.Post && !op.counted) {
        op.counted = true;
        const { from, inAmount, to, outAmount } = op.reservation;
        this.knownBalances.set(from.peerId, (this.knownBalances.get(from.peerId) ?? 0n) + inAmount);
        this.knownBalances.set(to.peerId, (this.knownBalances.get(to.peerId) ?? 0n) - outAmount);
      }
    });
  }

  private async writeHalves(ops: readonly TbOp[]): Promise<void> {
    const half = Math.ceil(ops.length / 2);
    await Promise.all([this.writeOps(ops.slice(0, half)), this.writeOps(ops.slice(half))]);
  }

  /**
   * Sends a write until the cluster answers it. A client that fails (evicted, or any error other than
   * "too large") may have sent it already, so the same transfers go again on a fresh client: with
   * deterministic ids the cluster applies them at most once and answers "exists" for what is in place.
   */
  private async sendUntilAnswered(transfers: Transfer[]) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.connection.write('create_transfers', (c) => c.createTransfers(transfers));
      } catch (err) {
        if (codeOf(err) !== 'ILPD_ERR_LEDGER_UNAVAILABLE' || this.stopped) throw err;
        this.stats.resent++;
        this.logger.warn({ err, attempt }, 'tigerbeetle write failed; sending it again until answered');
        await new Promise((r) => setTimeout(r, Math.min(1000, RESEND_DELAY_MS * 2 ** attempt)));
      }
    }
  }

  /** A reservation the caller gave up on turned out to be in place: void it (after it, never before). */
  private voidAbandoned(reservation: TbReservation): void {
    this.stats.abandonedVoided++;
    this.writer.pushDurable(newOp(OpKind.Void, reservation)).catch((err: unknown) => {
      this.logger.warn(
        { err, reservation: String(reservation.id) },
        'void of an abandoned reservation failed',
      );
    });
  }

  private async resolve(handle: PacketHandle, kind: PacketOpKind): Promise<void> {
    if (!(handle instanceof TbReservation) || handle.owner !== this || handle.state !== OpKind.Reserve) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_NOT_PENDING',
        `cannot ${kind === OpKind.Post ? 'post' : 'void'} reservation ${String(handle?.id)}: unknown or already resolved`,
      );
    }
    handle.state = kind;
    const op = newOp(kind, handle);
    await this.writer.pushDurable(op);
    if (op.uncertain && kind === OpKind.Post) {
      // Neither Fulfill nor Reject can be known to match the ledger: the packet gets no answer from
      // this process (its sender sees it expire) and the post lands or expires with the reservation.
      this.logger.error(
        { reservation: String(handle.id) },
        'post unanswered at stop; its packet is not answered',
      );
      await new Promise<never>(() => undefined);
    }
    if (op.outcome !== undefined) throw op.outcome;
  }

  /** Voids what earlier runs left pending on this asset's ledger, once per start, within the deadline. */
  private recoverOnce(asset: string, peer: TbPeer): Promise<void> {
    let recovery = this.recoveries.get(asset);
    if (recovery === undefined) {
      recovery = (async () => {
        const started = performance.now();
        const report = await recoverStalePendings(
          this.connection,
          { asset, ledger: peer.ledger, accounts: new Set([peer.liquidity, peer.control]) },
          {
            currentBoot: this.boot,
            limits: this.limits,
            timeoutSeconds: Math.ceil(this.options.pendingTimeoutMs / 1000),
            deadline: this.recoveryDeadline,
            logger: this.logger,
          },
        );
        const fields = { asset, ...report, ms: Math.round(performance.now() - started) };
        if (report.complete) this.logger.info(fields, 'tigerbeetle recovery done');
        else
          this.logger.warn(
            fields,
            'tigerbeetle recovery stopped at its deadline; the pendings left expire by their own timeout',
          );
      })();
      this.recoveries.set(asset, recovery);
      // A failed recovery is tried again at the asset's next registration.
      recovery.catch(() => this.recoveries.delete(asset));
    }
    return recovery;
  }

  /** Opens the claims store and settles its intents against the cluster (reconcile-claims.ts). */
  private async openClaims(): Promise<void> {
    const store = TigerBeetleClaimsStore.open(this.options.claimsPath);
    this.claimsStore = store;
    const report = await reconcileClaims(this.connection, store, this.limits, this.logger);
    for (const claim of report.applied) this.bestClaims.load(claim);
    const { applied, ...counts } = report;
    this.logger.info(
      { path: this.options.claimsPath, claims: applied.length, ...counts },
      'tigerbeetle claims store opened',
    );
  }

  /** Marks a claim applied in the claims store, with the next commit (nobody waits: see CLAIM_MARK_DELAY_MS). */
  private markApplied(claim: ClaimRecord): void {
    try {
      this.claimsWriter.push({ kind: 'applied', claim });
    } catch {
      // The store is closing: the intent is found applied at the next start.
    }
  }

  private async assetBalances(
    accounts: ReadonlyMap<string, { assetCode: string; assetScale: number; id: bigint }>,
  ): Promise<AssetAccountBalance[]> {
    if (!this.running) throw ledgerUnavailable();
    await this.writer.flush();
    const assets = [...accounts.values()];
    const found = await this.lookup(assets.map((a) => a.id));
    return assets.flatMap((asset) => {
      const account = found.get(asset.id);
      return account === undefined
        ? []
        : [{ assetCode: asset.assetCode, assetScale: asset.assetScale, balance: debitBalance(account) }];
    });
  }

  private async lookup(ids: bigint[]): Promise<Map<bigint, Account>> {
    const found = new Map<bigint, Account>();
    for (let i = 0; i < ids.length; i += this.limits.ids) {
      const slice = ids.slice(i, i + this.limits.ids);
      const accounts = await this.connection.read('lookup_accounts', (c) => c.lookupAccounts(slice));
      for (const account of accounts) found.set(account.id, account);
    }
    return found;
  }
}

function newOp(kind: PacketOpKind, reservation: TbReservation): TbPacketOp {
  return {
    kind,
    reservation,
    outcome: undefined,
    sent: false,
    abandoned: false,
    uncertain: false,
    counted: false,
  };
}

function codeOf(err: unknown): DaemonErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ILPD_ERR_LEDGER_UNAVAILABLE' || code === 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE'
    ? code
    : undefined;
}
