import type { Logger } from 'pino';
import { CreateAccountStatus, type Account, type Transfer } from 'tigerbeetle-node';
import { DaemonError, type DaemonErrorCode } from '../../errors';
import { LedgerBatchWriter, type BatchSink } from '../batch-writer';
import { assetKey, ledgerUnavailable, reservationAccounts } from '../guards';
import type { InspectableLedger, LiquidityBalance } from '../inspect';
import type {
  LedgerObserver,
  LedgerPeerAccount,
  PacketHandle,
  PacketReservation,
  PeerBalance,
} from '../types';
import { TigerBeetleConnection, type TigerBeetleConnectionOptions } from './connection';
import { alignHeadroom } from './headroom';
import {
  accountId,
  debitBalance,
  ledgerNumber,
  linkChain,
  MAX_TRANSFERS_PER_OP,
  newAccount,
  newBoot,
  transferId,
  type AccountKind,
} from './model';
import { OpKind, TbReservation, pendingTimeoutSeconds, type TbOp, type TbPeer } from './operations';
import { recoverStalePendings } from './recovery';
import { RequestLimits, TRANSFERS_PER_REQUEST_MAX, learnTransferLimit } from './request-limits';

/** First pause before a write whose client failed is sent again on a fresh client (doubles up to 1 s). */
const RESEND_DELAY_MS = 10;

export interface TigerBeetleLedgerOptions extends TigerBeetleConnectionOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  readonly pendingTimeoutMs: number;
  /** Transfers per create_transfers request; 0 or absent = learn the cluster's limit at start. */
  readonly maxBatchEvents?: number;
  /** Time recovery may spend per start (default 10 s); what it leaves expires by its own timeout. */
  readonly recoveryBudgetMs?: number;
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
 */
export class TigerBeetleLedger implements InspectableLedger, BatchSink<TbOp> {
  readonly backend = 'tigerbeetle' as const;
  private readonly connection: TigerBeetleConnection;
  private readonly writer: LedgerBatchWriter<TbOp>;
  private readonly peers = new Map<string, TbPeer>();
  private readonly assetsByLedger = new Map<number, string>();
  private readonly liquidity = new Map<string, { assetCode: string; assetScale: number; id: bigint }>();
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
      maximum: account.maximum,
      minimum: account.minimum,
    };
    const accounts: Account[] = [
      newAccount(peer.liquidity, ledger, 'Liquidity'),
      newAccount(peer.control, ledger, 'Control'),
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
    await alignHeadroom(this.connection, peer, {
      lookup: (ids) => this.lookup(ids),
      nextTransferId: (leg) => transferId(this.boot, ++this.seq, leg),
      logger: this.options.logger,
    });
    this.assetsByLedger.set(ledger, asset);
    this.liquidity.set(asset, { assetCode, assetScale, id: peer.liquidity });
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

  async liquidityBalances(): Promise<LiquidityBalance[]> {
    if (!this.running) throw ledgerUnavailable();
    await this.writer.flush();
    const assets = [...this.liquidity.values()];
    const found = await this.lookup(assets.map((a) => a.id));
    return assets.flatMap((asset) => {
      const account = found.get(asset.id);
      return account === undefined
        ? []
        : [{ assetCode: asset.assetCode, assetScale: asset.assetScale, balance: debitBalance(account) }];
    });
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
      const n = live[i].reservation.transferCount(live[i].kind);
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
      for (const transfer of linkChain(op.reservation.transfersFor(op.kind))) transfers.push(transfer);
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
      op.outcome = op.reservation.judge(
        op.kind,
        results.slice(starts[i], end).map((r) => r.status),
      );
      if (op.abandoned && op.outcome === undefined) this.voidAbandoned(op.reservation);
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

  private async resolve(handle: PacketHandle, kind: OpKind): Promise<void> {
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

function newOp(kind: OpKind, reservation: TbReservation): TbOp {
  return { kind, reservation, outcome: undefined, sent: false, abandoned: false, uncertain: false };
}

function codeOf(err: unknown): DaemonErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ILPD_ERR_LEDGER_UNAVAILABLE' || code === 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE'
    ? code
    : undefined;
}
