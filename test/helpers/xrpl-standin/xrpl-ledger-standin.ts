import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Wallet, decode, encodeAccountPublic, hashes, verifySignature } from 'xrpl';
import WebSocket from 'ws';
import {
  LedgerState,
  accountRootJson,
  affectedNodes,
  payChannelJson,
  type AccountRoot,
  type PayChannel,
} from './ledger-objects';
import { ENGINE_RESULT_CODES, applyTransaction, type EngineResult, type LedgerFees } from './transactors';

/**
 * A STAND-IN for rippled, for tests only: a local WebSocket server speaking rippled's JSON API (v2
 * response shapes) for the methods ilpd uses, over a small in-memory ledger that really applies
 * Payment (XRP), PaymentChannelCreate, PaymentChannelFund and PaymentChannelClaim. Every submitted
 * blob's signature is verified with xrpl.js; ledgers close on a timer and a closed ledger is validated
 * at once. It is not rippled: see README.md in this folder for what it models and what it does not.
 */
export interface XrplLedgerStandInOptions {
  /** 0 (the default) picks a free port; restarts reuse the port first bound. */
  readonly port?: number;
  readonly host?: string;
  /** Ledger close interval; 0 closes only on `closeLedger()`. Default 200 ms. */
  readonly closeIntervalMs?: number;
  readonly baseFeeDrops?: bigint;
  /** Account reserve; default 1 XRP, as on mainnet since 2024. */
  readonly reserveBaseDrops?: bigint;
  /** Reserve per owned object (a channel is one); default 0.2 XRP. */
  readonly reserveIncrementDrops?: bigint;
  readonly networkId?: number;
}

export interface SubmissionEvent {
  readonly hash: string;
  readonly account: string;
  readonly sequence: number;
  readonly transactionType: string;
  /** The preliminary result the submitter was told. */
  readonly engineResult: string;
  /** False when the submission was dropped by `dropSubmissions`. */
  readonly kept: boolean;
}

interface TxRecord {
  readonly hash: string;
  readonly txJson: Record<string, unknown>;
  readonly meta: Record<string, unknown>;
  readonly ledgerIndex: number;
}

interface ClosedLedger {
  readonly index: number;
  readonly hash: string;
  readonly closeTime: number;
  readonly parentCloseTime: number;
  readonly parentHash: string;
  readonly txHashes: readonly string[];
}

class RpcError extends Error {
  constructor(
    readonly error: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Seconds between the Unix epoch and the XRP Ledger's (2000-01-01T00:00:00Z). */
export const RIPPLE_EPOCH_OFFSET = 946_684_800;
/** rippled's genesis account in standalone mode: every drop starts there. */
export const GENESIS_SEED = 'snoPBrXtMeMyMHUVTgbuqAfg1SUTb';
const TOTAL_DROPS = 100_000_000_000_000_000n;
/** rippled refuses `tx` lookups over more ledgers than this. */
const MAX_TX_RANGE = 1000;

export class XrplLedgerStandIn extends EventEmitter {
  readonly genesis = Wallet.fromSeed(GENESIS_SEED);
  readonly fees: LedgerFees;
  private readonly host: string;
  private boundPort: number;
  private server: WebSocket.Server | undefined;
  private readonly sockets = new Set<WebSocket>();
  private readonly ledgerSubscribers = new Set<WebSocket>();
  private timer: NodeJS.Timeout | undefined;
  private clockOffsetSeconds = 0;
  private dropFilter: ((tx: Record<string, unknown>) => boolean) | undefined;

  private open: LedgerState;
  private validated: LedgerState;
  private openIndex: number;
  private openTxHashes: string[] = [];
  private readonly closed: ClosedLedger[] = [];
  private readonly txs = new Map<string, TxRecord>();
  private readonly submissionLog: SubmissionEvent[] = [];

  private constructor(private readonly options: XrplLedgerStandInOptions) {
    super();
    this.host = options.host ?? '127.0.0.1';
    this.boundPort = options.port ?? 0;
    this.fees = {
      baseFee: options.baseFeeDrops ?? 10n,
      reserveBase: options.reserveBaseDrops ?? 1_000_000n,
      reserveIncrement: options.reserveIncrementDrops ?? 200_000n,
    };
    const genesis: AccountRoot = {
      address: this.genesis.address,
      balance: TOTAL_DROPS,
      sequence: 1,
      ownerCount: 0,
      previousTxnId: '0'.repeat(64),
      previousTxnLgrSeq: 0,
    };
    this.open = new LedgerState(new Map([[genesis.address, genesis]]));
    this.validated = this.open.clone();
    const closeTime = this.nowRippleSeconds();
    this.closed.push({
      index: 1,
      hash: ledgerHash(1, closeTime, []),
      closeTime,
      parentCloseTime: closeTime,
      parentHash: '0'.repeat(64),
      txHashes: [],
    });
    this.openIndex = 2;
  }

  /** Starts a stand-in listening on 127.0.0.1 (a free port unless `port` is given). */
  static async start(options: XrplLedgerStandInOptions = {}): Promise<XrplLedgerStandIn> {
    const standIn = new XrplLedgerStandIn(options);
    await standIn.listen();
    const interval = options.closeIntervalMs ?? 200;
    if (interval > 0) {
      standIn.timer = setInterval(() => standIn.closeLedger(), interval);
      standIn.timer.unref();
    }
    return standIn;
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `ws://${this.host}:${this.boundPort}`;
  }

  get isServing(): boolean {
    return this.server !== undefined;
  }

  /**
   * Stops serving (an outage of this server): every client socket is cut and the port closed. The
   * ledger keeps its state and keeps closing, as the network does while one of its servers is down.
   */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    for (const socket of this.sockets) socket.terminate();
    this.sockets.clear();
    this.ledgerSubscribers.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves again on the same port, with the state it had. */
  async restart(): Promise<void> {
    if (this.server === undefined) await this.listen();
  }

  /** Releases everything: the server, its sockets and the close timer. */
  async close(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.stop();
  }

  /** Moves the ledger clock (close times) forward, so tests need not wait out settle delays. */
  advanceClock(seconds: number): void {
    this.clockOffsetSeconds += seconds;
  }

  /**
   * While set, matching submissions are answered with a preliminary tesSUCCESS and then lost, as a
   * transaction that never makes it into a validated ledger (it expires at its LastLedgerSequence).
   */
  dropSubmissions(filter: ((tx: Record<string, unknown>) => boolean) | undefined): void {
    this.dropFilter = filter;
  }

  get openLedgerIndex(): number {
    return this.openIndex;
  }

  get validatedLedgerIndex(): number {
    return this.lastClosed().index;
  }

  /** Close time of the last validated ledger, in ms since the Unix epoch. */
  get validatedCloseTimeMs(): number {
    return (this.lastClosed().closeTime + RIPPLE_EPOCH_OFFSET) * 1000;
  }

  /** Every submission seen, in order, with the preliminary result given. */
  get submissions(): readonly SubmissionEvent[] {
    return this.submissionLog;
  }

  /** An account in the last validated ledger. */
  account(address: string): Readonly<AccountRoot> | undefined {
    return this.validated.accounts.get(address);
  }

  /** A channel in the last validated ledger. */
  channel(id: string): Readonly<PayChannel> | undefined {
    return this.validated.channels.get(id.toUpperCase());
  }

  /** Funds (or creates) an account with a Payment from the genesis account; resolves once validated. */
  async fund(address: string, dropsAmount: bigint): Promise<string> {
    const genesis = this.open.accounts.get(this.genesis.address) as AccountRoot;
    const { tx_blob: blob } = this.genesis.sign({
      TransactionType: 'Payment',
      Account: this.genesis.address,
      Destination: address,
      Amount: dropsAmount.toString(),
      Fee: this.fees.baseFee.toString(),
      Sequence: genesis.sequence,
      LastLedgerSequence: this.openIndex + 10,
    });
    const answer = this.submitBlob(blob);
    if (answer.engine_result !== 'tesSUCCESS') {
      throw new Error(`stand-in: funding ${address} failed with ${String(answer.engine_result)}`);
    }
    await this.nextClose();
    return String((answer.tx_json as Record<string, unknown>).hash);
  }

  /** Resolves after the next ledger close (closes one at once when there is no close timer). */
  nextClose(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.once('ledgerClosed', () => resolve()));
    if (this.timer === undefined) this.closeLedger();
    return closed;
  }

  /** Closes the open ledger; a closed ledger is validated at once (there is no consensus here). */
  closeLedger(): void {
    const parent = this.lastClosed();
    // Close times never go backwards; unlike rippled they need not advance by a second per ledger,
    // so ledger time follows the wall clock (plus advanceClock) even with fast closes.
    const closeTime = Math.max(parent.closeTime, this.nowRippleSeconds());
    const ledger: ClosedLedger = {
      index: this.openIndex,
      hash: ledgerHash(this.openIndex, closeTime, this.openTxHashes),
      closeTime,
      parentCloseTime: parent.closeTime,
      parentHash: parent.hash,
      txHashes: this.openTxHashes,
    };
    this.closed.push(ledger);
    this.validated = this.open.clone();
    this.openIndex += 1;
    this.openTxHashes = [];
    const message = JSON.stringify({
      type: 'ledgerClosed',
      fee_base: Number(this.fees.baseFee),
      ledger_hash: ledger.hash,
      ledger_index: ledger.index,
      ledger_time: ledger.closeTime,
      reserve_base: Number(this.fees.reserveBase),
      reserve_inc: Number(this.fees.reserveIncrement),
      txn_count: ledger.txHashes.length,
      validated_ledgers: `1-${ledger.index}`,
    });
    for (const socket of this.ledgerSubscribers) socket.send(message);
    this.emit('ledgerClosed', ledger.index);
  }

  private lastClosed(): ClosedLedger {
    return this.closed[this.closed.length - 1];
  }

  private nowRippleSeconds(): number {
    return Math.floor(Date.now() / 1000) - RIPPLE_EPOCH_OFFSET + this.clockOffsetSeconds;
  }

  private async listen(): Promise<void> {
    // WebSocket.Server (not the named export): the root's `ws` is the 6.x that the reference BTP stack
    // pulls in, and this works with it and with 8.x alike.
    const server = new WebSocket.Server({ host: this.host, port: this.boundPort });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    this.boundPort = (server.address() as AddressInfo).port;
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.ledgerSubscribers.delete(socket);
      });
      socket.on('message', (data) => this.onMessage(socket, String(data)));
    });
    this.server = server;
  }

  private onMessage(socket: WebSocket, text: string): void {
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(text) as Record<string, unknown>;
    } catch {
      socket.send(JSON.stringify({ type: 'response', status: 'error', error: 'badSyntax' }));
      return;
    }
    const id = request.id;
    try {
      const result = this.dispatch(socket, request);
      // The submit hook may have cut this connection (an outage in the middle of a request).
      if (socket.readyState !== WebSocket.OPEN) return;
      socket.send(JSON.stringify({ id, result, status: 'success', type: 'response', api_version: 2 }));
    } catch (err) {
      if (socket.readyState !== WebSocket.OPEN) return;
      const rpc = err instanceof RpcError ? err : new RpcError('internal', String(err));
      socket.send(
        JSON.stringify({
          id,
          error: rpc.error,
          error_message: rpc.message,
          ...rpc.extra,
          request,
          status: 'error',
          type: 'response',
          api_version: 2,
        }),
      );
    }
  }

  private dispatch(socket: WebSocket, request: Record<string, unknown>): Record<string, unknown> {
    switch (request.command) {
      case 'ping':
        return {};
      case 'server_info':
        return this.serverInfo();
      case 'fee':
        return this.feeResult();
      case 'ledger_current':
        return { ledger_current_index: this.openIndex };
      case 'ledger_closed':
        return { ledger_hash: this.lastClosed().hash, ledger_index: this.lastClosed().index };
      case 'ledger':
        return this.ledgerResult(request);
      case 'account_info':
        return this.accountInfo(request);
      case 'account_channels':
        return this.accountChannels(request);
      case 'ledger_entry':
        return this.ledgerEntry(request);
      case 'submit':
        if (typeof request.tx_blob !== 'string') {
          throw new RpcError('notSupported', 'the stand-in accepts signed tx_blob submissions only');
        }
        return this.submitBlob(request.tx_blob);
      case 'tx':
        return this.txResult(request);
      case 'subscribe':
      case 'unsubscribe':
        return this.subscription(socket, request);
      default:
        throw new RpcError(
          'unknownCmd',
          `Unknown method (not modeled by the stand-in): ${String(request.command)}`,
        );
    }
  }

  private serverInfo(): Record<string, unknown> {
    const last = this.lastClosed();
    const info: Record<string, unknown> = {
      build_version: 'xrpl-ledger-standin',
      complete_ledgers: `1-${last.index}`,
      hostid: 'STANDIN',
      io_latency_ms: 1,
      load_factor: 1,
      peers: 0,
      server_state: 'full',
      validated_ledger: {
        age: Math.max(0, this.nowRippleSeconds() - last.closeTime),
        base_fee_xrp: Number(this.fees.baseFee) / 1e6,
        hash: last.hash,
        reserve_base_xrp: Number(this.fees.reserveBase) / 1e6,
        reserve_inc_xrp: Number(this.fees.reserveIncrement) / 1e6,
        seq: last.index,
      },
      validation_quorum: 0,
    };
    if (this.options.networkId !== undefined) info.network_id = this.options.networkId;
    return { info };
  }

  private feeResult(): Record<string, unknown> {
    const base = this.fees.baseFee.toString();
    return {
      current_ledger_size: String(this.openTxHashes.length),
      current_queue_size: '0',
      drops: { base_fee: base, median_fee: base, minimum_fee: base, open_ledger_fee: base },
      expected_ledger_size: '1000',
      ledger_current_index: this.openIndex,
      levels: { median_level: '256', minimum_level: '256', open_ledger_level: '256', reference_level: '256' },
      max_queue_size: '2000',
    };
  }

  /** The state a request asks for: the open ledger ("current", the default) or the last validated. */
  private selectLedger(request: Record<string, unknown>): {
    state: LedgerState;
    fields: Record<string, unknown>;
  } {
    const which = request.ledger_index ?? 'current';
    if (which === 'current') {
      return { state: this.open, fields: { ledger_current_index: this.openIndex, validated: false } };
    }
    const last = this.lastClosed();
    if (which === 'validated' || which === 'closed' || which === last.index) {
      return {
        state: this.validated,
        fields: { ledger_hash: last.hash, ledger_index: last.index, validated: true },
      };
    }
    throw new RpcError(
      'lgrNotFound',
      'ledgerNotFound (the stand-in keeps the current and last validated states only)',
    );
  }

  private ledgerResult(request: Record<string, unknown>): Record<string, unknown> {
    const which = request.ledger_index ?? 'current';
    if (which === 'current') {
      const last = this.lastClosed();
      return {
        ledger: {
          closed: false,
          ledger_index: this.openIndex,
          parent_close_time: last.closeTime,
          parent_hash: last.hash,
        },
        ledger_current_index: this.openIndex,
        validated: false,
      };
    }
    const index = which === 'validated' || which === 'closed' ? this.lastClosed().index : Number(which);
    const ledger = this.closed.find((l) => l.index === index);
    if (ledger === undefined) throw new RpcError('lgrNotFound', 'ledgerNotFound');
    return {
      ledger: {
        closed: true,
        close_time: ledger.closeTime,
        close_time_iso: new Date((ledger.closeTime + RIPPLE_EPOCH_OFFSET) * 1000)
          .toISOString()
          .replace('.000', ''),
        ledger_hash: ledger.hash,
        ledger_index: ledger.index,
        parent_close_time: ledger.parentCloseTime,
        parent_hash: ledger.parentHash,
        ...(request.transactions === true ? { transactions: ledger.txHashes } : {}),
      },
      ledger_hash: ledger.hash,
      ledger_index: ledger.index,
      validated: true,
    };
  }

  private accountInfo(request: Record<string, unknown>): Record<string, unknown> {
    const { state, fields } = this.selectLedger(request);
    const account = state.accounts.get(String(request.account));
    if (account === undefined)
      throw new RpcError('actNotFound', 'Account not found.', { account: request.account });
    return { account_data: accountRootJson(account), ...fields };
  }

  private accountChannels(request: Record<string, unknown>): Record<string, unknown> {
    const { state, fields } = this.selectLedger(request);
    if (!state.accounts.has(String(request.account))) throw new RpcError('actNotFound', 'Account not found.');
    const channels = [...state.channels.values()]
      .filter((c) => c.account === request.account)
      .filter(
        (c) => request.destination_account === undefined || c.destination === request.destination_account,
      )
      .map((c) => ({
        account: c.account,
        amount: c.amount.toString(),
        balance: c.balance.toString(),
        channel_id: c.id,
        destination_account: c.destination,
        public_key: encodeAccountPublic(Buffer.from(c.publicKey, 'hex')),
        public_key_hex: c.publicKey,
        settle_delay: c.settleDelay,
        ...(c.expiration === undefined ? {} : { expiration: c.expiration }),
        ...(c.cancelAfter === undefined ? {} : { cancel_after: c.cancelAfter }),
      }));
    return { account: request.account, channels, ...fields };
  }

  private ledgerEntry(request: Record<string, unknown>): Record<string, unknown> {
    const { state, fields } = this.selectLedger(request);
    const id = request.payment_channel ?? request.index;
    if (typeof id !== 'string' || !/^[0-9A-Fa-f]{64}$/.test(id)) {
      throw new RpcError('malformedRequest', 'the stand-in looks up payment_channel (or index) entries only');
    }
    const channel = state.channels.get(id.toUpperCase());
    if (channel !== undefined) return { index: channel.id, node: payChannelJson(channel), ...fields };
    const account = [...state.accounts.values()].find(
      (a) => hashes.hashAccountRoot(a.address) === id.toUpperCase(),
    );
    if (account !== undefined) return { index: id.toUpperCase(), node: accountRootJson(account), ...fields };
    throw new RpcError('entryNotFound', 'Entry not found.');
  }

  private txResult(request: Record<string, unknown>): Record<string, unknown> {
    const hash = String(request.transaction ?? '').toUpperCase();
    const record = this.txs.get(hash);
    const validatedIndex = this.lastClosed().index;
    if (record !== undefined) {
      const ledger = this.closed.find((l) => l.index === record.ledgerIndex);
      if (ledger === undefined) return { hash, tx_json: record.txJson, validated: false };
      return {
        close_time_iso: new Date((ledger.closeTime + RIPPLE_EPOCH_OFFSET) * 1000)
          .toISOString()
          .replace('.000', ''),
        hash,
        ledger_hash: ledger.hash,
        ledger_index: ledger.index,
        meta: record.meta,
        tx_json: record.txJson,
        validated: true,
      };
    }
    const extra: Record<string, unknown> = {};
    if (request.min_ledger !== undefined && request.max_ledger !== undefined) {
      const min = Number(request.min_ledger);
      const max = Number(request.max_ledger);
      if (min > max) throw new RpcError('invalidLgrRange', 'Ledger range is invalid.');
      if (max - min > MAX_TX_RANGE) throw new RpcError('excessiveLgrRange', 'Ledger range exceeds 1000.');
      // Every ledger from 1 to the last validated one is kept, so the range is fully searched once
      // it is validated.
      extra.searched_all = min >= 1 && max <= validatedIndex;
    }
    throw new RpcError('txnNotFound', 'Transaction not found.', extra);
  }

  private subscription(socket: WebSocket, request: Record<string, unknown>): Record<string, unknown> {
    const streams = Array.isArray(request.streams) ? request.streams : [];
    if (streams.some((s) => s !== 'ledger') || request.accounts !== undefined) {
      throw new RpcError('malformedStream', 'the stand-in publishes the ledger stream only');
    }
    if (request.command === 'unsubscribe') {
      this.ledgerSubscribers.delete(socket);
      return {};
    }
    if (streams.length === 0) return {};
    this.ledgerSubscribers.add(socket);
    const last = this.lastClosed();
    return {
      fee_base: Number(this.fees.baseFee),
      ledger_hash: last.hash,
      ledger_index: last.index,
      ledger_time: last.closeTime,
      reserve_base: Number(this.fees.reserveBase),
      reserve_inc: Number(this.fees.reserveIncrement),
      validated_ledgers: `1-${last.index}`,
    };
  }

  /** rippled's `submit` of a signed blob: decode, check the signature, apply to the open ledger. */
  private submitBlob(blob: string): Record<string, unknown> {
    let tx: Record<string, unknown>;
    try {
      tx = decode(blob) as Record<string, unknown>;
    } catch (err) {
      throw new RpcError('invalidTransaction', `the blob does not decode: ${String(err)}`);
    }
    if (tx.Signers !== undefined || tx.SigningPubKey === '' || tx.SigningPubKey === undefined) {
      throw new RpcError(
        'invalidTransaction',
        'fails local checks: multi-signing is not modeled by the stand-in.',
      );
    }
    let signatureValid: boolean;
    try {
      signatureValid = verifySignature(blob);
    } catch {
      signatureValid = false;
    }
    if (!signatureValid) throw new RpcError('invalidTransaction', 'fails local checks: Invalid signature.');

    const hash = hashes.hashSignedTx(blob);
    const txJson = { ...tx, hash };
    const dropped = this.dropFilter?.(tx) === true;
    let result: EngineResult;
    if (dropped) {
      result = 'tesSUCCESS';
    } else {
      const last = this.lastClosed();
      const outcome = applyTransaction(
        {
          state: this.open,
          openLedgerIndex: this.openIndex,
          parentCloseTime: last.closeTime,
          fees: this.fees,
          networkId: this.options.networkId,
        },
        tx,
      );
      result = outcome.result;
      if (outcome.applied) {
        const meta: Record<string, unknown> = {
          AffectedNodes: affectedNodes(this.open, outcome.state, hash, this.openIndex),
          TransactionIndex: this.openTxHashes.length,
          TransactionResult: result,
        };
        if (tx.TransactionType === 'Payment')
          meta.delivered_amount = result === 'tesSUCCESS' ? tx.Amount : 'unavailable';
        this.open = outcome.state;
        this.openTxHashes.push(hash);
        this.txs.set(hash, { hash, txJson: tx, meta, ledgerIndex: this.openIndex });
      }
    }
    const applied = dropped || result === 'tesSUCCESS' || result.startsWith('tec');
    const account = this.open.accounts.get(String(tx.Account));
    const event: SubmissionEvent = {
      hash,
      account: String(tx.Account),
      sequence: Number(tx.Sequence),
      transactionType: String(tx.TransactionType),
      engineResult: result,
      kept: !dropped,
    };
    this.submissionLog.push(event);
    this.emit('submit', event);
    return {
      accepted: applied,
      account_sequence_available: account?.sequence ?? 0,
      account_sequence_next: account?.sequence ?? 0,
      applied,
      broadcast: applied,
      engine_result: result,
      engine_result_code: ENGINE_RESULT_CODES[result],
      engine_result_message: `${result} (stand-in)`,
      kept: applied,
      open_ledger_cost: this.fees.baseFee.toString(),
      queued: false,
      tx_blob: blob,
      tx_json: txJson,
      validated_ledger_index: this.lastClosed().index,
    };
  }
}

function ledgerHash(index: number, closeTime: number, txHashes: readonly string[]): string {
  return createHash('sha512')
    .update(`${index}:${closeTime}:${txHashes.join(',')}`)
    .digest('hex')
    .slice(0, 64)
    .toUpperCase();
}
