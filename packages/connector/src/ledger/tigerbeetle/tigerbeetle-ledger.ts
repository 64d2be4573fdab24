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
import {
  accountId,
  debitBalance,
  ledgerNumber,
  linkChain,
  newAccount,
  newBoot,
  transferId,
  MAX_EVENTS_PER_REQUEST,
  MAX_TRANSFERS_PER_OP,
  type AccountKind,
} from './model';
import { alignHeadroom } from './headroom';
import { TbReservation, type TbPeer, type TbOp, OpKind } from './operations';
import { recoverStalePendings } from './recovery';

export interface TigerBeetleLedgerOptions extends TigerBeetleConnectionOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxQueue: number;
  readonly pendingTimeoutMs: number;
  readonly logger: Logger;
  readonly observer?: LedgerObserver;
}

/**
 * The ledger on a TigerBeetle cluster (see model.ts for the account scheme). Limits are enforced by
 * TigerBeetle's account flags inside each linked chain, so they hold under any concurrency, across
 * processes too. Every write goes through the batch writer; reserve/post/void settle once the cluster
 * (replicated, durable) has answered.
 */
export class TigerBeetleLedger implements InspectableLedger, BatchSink<TbOp> {
  readonly backend = 'tigerbeetle' as const;
  private readonly connection: TigerBeetleConnection;
  private readonly writer: LedgerBatchWriter<TbOp>;
  private readonly peers = new Map<string, TbPeer>();
  private readonly assetsByLedger = new Map<number, string>();
  private readonly liquidity = new Map<string, { assetCode: string; assetScale: number; id: bigint }>();
  private readonly boot = newBoot();
  private seq = 0;
  private running = false;
  private stopped = false;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly timeoutSeconds: number;

  constructor(private readonly options: TigerBeetleLedgerOptions) {
    this.connection = new TigerBeetleConnection(options);
    this.timeoutSeconds = Math.max(1, Math.ceil(options.pendingTimeoutMs / 1000));
    this.writer = new LedgerBatchWriter<TbOp>(this, {
      batchSize: Math.min(options.batchSize, Math.floor(MAX_EVENTS_PER_REQUEST / MAX_TRANSFERS_PER_OP)),
      flushIntervalMs: options.flushIntervalMs,
      maxAttempts: 3,
      observer: options.observer,
      failureCode: (cause) => codeOf(cause) ?? 'ILPD_ERR_LEDGER_WRITE_FAILED',
    });
  }

  /** Connects (one lookup within requestTimeoutMs) and voids the pending transfers of earlier runs. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.stopped)
      throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'a stopped ledger cannot be restarted');
    try {
      await this.connection.request('lookup_accounts', (c) => c.lookupAccounts([1n]));
      const voided = await recoverStalePendings(this.connection, this.boot, this.options.pendingTimeoutMs);
      this.options.logger.info(
        { cluster: this.connection.description, voidedTransfers: voided },
        'tigerbeetle ledger ready',
      );
    } catch (err) {
      this.connection.destroy();
      throw err;
    }
    this.running = true;
    // After a failed request, readiness comes back with the next answer; without traffic, a probe asks.
    this.probe = setInterval(
      () => {
        if (this.running && !this.connection.lastRequestOk && !this.probing) {
          this.probing = true;
          this.connection
            .request('lookup_accounts', (c) => c.lookupAccounts([1n]))
            .catch(() => undefined)
            .finally(() => (this.probing = false));
        }
      },
      Math.max(1000, this.options.requestTimeoutMs),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.probe !== undefined) clearInterval(this.probe);
    this.probe = undefined;
    try {
      await this.writer.stop();
    } finally {
      this.connection.destroy();
    }
  }

  isReady(): boolean {
    return this.running && this.connection.lastRequestOk;
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
    const results = await this.connection.request('create_accounts', (c) => c.createAccounts(accounts));
    results.forEach((result, i) => {
      if (result.status !== CreateAccountStatus.created && result.status !== CreateAccountStatus.exists) {
        throw new DaemonError(
          'ILPD_ERR_LEDGER_WRITE_FAILED',
          `${this.connection.description}: creating account ${accounts[i].id} for ${peerId} failed: ` +
            CreateAccountStatus[result.status],
        );
      }
    });
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
      this.timeoutSeconds,
    );
    await this.run(handle, OpKind.Reserve);
    return handle;
  }

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

  /** BatchSink: one create_transfers request for the whole batch; each op is one linked chain. */
  async writeBatch(ops: readonly TbOp[]): Promise<void> {
    const transfers: Transfer[] = [];
    const starts: number[] = [];
    for (const op of ops) {
      starts.push(transfers.length);
      for (const transfer of linkChain(op.reservation.transfersFor(op.kind))) transfers.push(transfer);
    }
    if (transfers.length === 0) return;
    const results = await this.connection.request('create_transfers', (c) => c.createTransfers(transfers));
    ops.forEach((op, i) => {
      const end = i + 1 < starts.length ? starts[i + 1] : transfers.length;
      op.outcome = op.reservation.judge(
        op.kind,
        results.slice(starts[i], end).map((r) => r.status),
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
    await this.run(handle, kind);
  }

  private async run(reservation: TbReservation, kind: OpKind): Promise<void> {
    const op: TbOp = { kind, reservation, outcome: undefined };
    await this.writer.pushDurable(op);
    if (op.outcome !== undefined) throw op.outcome;
  }

  private async lookup(ids: bigint[]): Promise<Map<bigint, Account>> {
    const found = new Map<bigint, Account>();
    for (let i = 0; i < ids.length; i += MAX_EVENTS_PER_REQUEST) {
      const slice = ids.slice(i, i + MAX_EVENTS_PER_REQUEST);
      const accounts = await this.connection.request('lookup_accounts', (c) => c.lookupAccounts(slice));
      for (const account of accounts) found.set(account.id, account);
    }
    return found;
  }
}

function codeOf(err: unknown): DaemonErrorCode | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ILPD_ERR_LEDGER_UNAVAILABLE' ? code : undefined;
}
