import type { Logger } from 'pino';
import { Wallet, hashes, isValidClassicAddress } from 'xrpl';
import { DaemonError } from '../../errors';
import type { ChainName, ChannelEngine, ChannelState, TxOutcome } from '../channel-engine';
import type { EndpointState } from '../endpoint-pool';
import { inlineSignatureVerifier, type SignatureVerifier } from '../signature-pool';
import { checkIncomingChannel, type ChannelCheck } from './channel-acceptance';
import {
  MAX_CLAIM_DROPS,
  claimKeyType,
  createClaimSigner,
  verifyClaimSignature,
  type ClaimSigner,
} from './claim-signature';
import { channelNode, channelState, rippleTimeToMs, type PayChannelFields } from './pay-channel';
import {
  XrplTransactionSubmitter,
  settlementError,
  type ValidatedTransaction,
} from './transaction-submitter';
import { XrplRpc } from './xrpl-rpc';

/**
 * XRP Ledger payment channels behind the `ChannelEngine` seam. Amounts are drops. Our side holds one
 * account (the secret is a family seed, ed25519 or secp256k1); its key signs both our transactions and
 * the claims on the channels we open (a channel's PublicKey is our account key).
 *
 *  - openChannel  PaymentChannelCreate (SettleDelay = `settleDelaySeconds`, no CancelAfter);
 *  - deposit      PaymentChannelFund;
 *  - signClaim    "CLM\0" ‖ channel ‖ drops, signed natively (claim-signature.ts);
 *  - startClose   PaymentChannelClaim with tfClose from the source: Expiration = now + SettleDelay
 *                 (or removal at once when every drop is already paid out);
 *  - finishClose  after the expiration, a PaymentChannelClaim from the source that removes the channel
 *                 and returns what was not paid out;
 *  - readChannel  `ledger_entry` in the last validated ledger;
 *  - verifyClaim  native verification against the channel's PublicKey;
 *  - redeem       PaymentChannelClaim from the destination with Balance = Amount = the claim (+ tfClose).
 * Every transaction goes through one serial submitter and resolves only on a validated result; the
 * channel state a transaction returns is read from its own metadata (exact, and independent of how far
 * each server of the pool has got).
 */
export interface XrplChannelEngineOptions {
  /** rippled WebSocket URLs (ws:// or wss://). */
  readonly servers: readonly string[];
  readonly poolSize: number;
  /** Our account's family seed ("s…"); never logged. */
  readonly secret: string;
  /** SettleDelay of the channels we open, seconds. */
  readonly settleDelaySeconds: number;
  /** The smallest SettleDelay we accept on a peer's channel to us, seconds. */
  readonly minIncomingSettleDelaySeconds: number;
  /** LastLedgerSequence = the current ledger + this. */
  readonly ledgerOffset: number;
  readonly healthIntervalMs: number;
  readonly breakerFailures: number;
  readonly halfOpenAfterMs: number;
  readonly connectionTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How often a pending transaction is looked up. */
  readonly pollIntervalMs?: number;
  /** How often a pending transaction's blob is sent again. */
  readonly resubmitIntervalMs?: number;
  /** The most we pay as a fee, drops. */
  readonly maxFeeDrops?: bigint;
  /** How many times a transaction that expired unvalidated is signed again. */
  readonly maxResigns?: number;
  /** How long preparing a transaction may wait for a usable server before failing (nothing sent). */
  readonly prepareTimeoutMs?: number;
  readonly logger: Logger;
  readonly onEndpointStateChange?: (endpoint: string, state: EndpointState) => void;
  /** Where claim checks run (default: inline). */
  readonly verifier?: SignatureVerifier;
}

const TF_CLOSE = 0x00020000;
const MAX_UINT32 = 0xffffffff;

export class XrplChannelEngine implements ChannelEngine {
  readonly chain: ChainName = 'xrpl';
  readonly chainScale = 6;
  readonly ourAddress: string;
  /** Our account key: the PublicKey of the channels we open. */
  readonly publicKey: string;
  private readonly wallet: Wallet;
  private readonly claimSigner: ClaimSigner;
  private readonly rpc: XrplRpc;
  private readonly submitter: XrplTransactionSubmitter;
  private readonly logger: Logger;

  constructor(private readonly options: XrplChannelEngineOptions) {
    for (const [name, value, max] of [
      ['settleDelaySeconds', options.settleDelaySeconds, MAX_UINT32],
      ['minIncomingSettleDelaySeconds', options.minIncomingSettleDelaySeconds, MAX_UINT32],
      // A pending transaction is looked up over [signing ledger - 1, LastLedgerSequence]; rippled
      // searches at most 1000 ledgers per lookup.
      ['ledgerOffset', options.ledgerOffset, 998],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > max) {
        throw new DaemonError(
          'ILPD_ERR_CONFIG',
          `xrpl ${name}: expected an integer from 1 to ${max}, got ${value}`,
        );
      }
    }
    try {
      this.wallet = Wallet.fromSeed(options.secret);
    } catch {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        'xrpl secret: expected an XRPL family seed ("s…"); it does not decode',
      );
    }
    this.ourAddress = this.wallet.classicAddress;
    this.publicKey = this.wallet.publicKey.toUpperCase();
    this.claimSigner = createClaimSigner(this.wallet.privateKey);
    this.logger = options.logger.child({ chain: 'xrpl', account: this.ourAddress });
    const pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.rpc = new XrplRpc({
      servers: options.servers,
      poolSize: options.poolSize,
      connectionTimeoutMs: options.connectionTimeoutMs ?? 5000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      healthIntervalMs: options.healthIntervalMs,
      breakerFailures: options.breakerFailures,
      halfOpenAfterMs: options.halfOpenAfterMs,
      logger: this.logger,
      onStateChange: options.onEndpointStateChange,
    });
    this.submitter = new XrplTransactionSubmitter({
      wallet: this.wallet,
      rpc: this.rpc,
      ledgerOffset: options.ledgerOffset,
      pollIntervalMs,
      resubmitIntervalMs: options.resubmitIntervalMs ?? pollIntervalMs * 4,
      maxFeeDrops: options.maxFeeDrops ?? 1000n,
      maxResigns: options.maxResigns ?? 3,
      prepareTimeoutMs: options.prepareTimeoutMs ?? 30_000,
      logger: this.logger,
    });
  }

  start(): Promise<void> {
    return this.rpc.start();
  }

  async stop(): Promise<void> {
    this.submitter.stop();
    await this.rpc.stop();
  }

  isAvailable(): boolean {
    return this.rpc.isAvailable();
  }

  endpointStates(): { endpoint: string; state: EndpointState }[] {
    return this.rpc.states();
  }

  // The sender's side.

  async openChannel(receiver: string, deposit: bigint): Promise<ChannelState> {
    if (!isValidClassicAddress(receiver) || receiver === this.ourAddress) {
      throw invalid(`cannot open a channel to ${receiver}: not a classic address of another account`);
    }
    checkDrops('deposit', deposit);
    const tx = await this.submitter.submit({
      TransactionType: 'PaymentChannelCreate',
      Destination: receiver,
      Amount: deposit.toString(),
      SettleDelay: this.options.settleDelaySeconds,
      PublicKey: this.publicKey,
    });
    const expectedId = hashes.hashPaymentChannel(this.ourAddress, receiver, tx.sequence);
    const node = channelNode(tx.meta, expectedId);
    if (node?.change !== 'created') {
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_TX_FAILED',
        `xrpl: PaymentChannelCreate ${tx.hash} created no channel`,
        {
          hash: tx.hash,
          feeDrops: tx.fee,
        },
      );
    }
    return channelState(node.id, node.fields, Date.now());
  }

  async deposit(channelId: string, amount: bigint): Promise<ChannelState> {
    checkChannelId(channelId);
    checkDrops('amount', amount);
    const tx = await this.submitter.submit({
      TransactionType: 'PaymentChannelFund',
      Channel: channelId.toUpperCase(),
      Amount: amount.toString(),
    });
    return this.afterTransaction(tx, channelId, 'PaymentChannelFund');
  }

  async signClaim(channel: ChannelState, cumulative: bigint): Promise<string> {
    this.checkOurs(channel);
    checkDrops('cumulative', cumulative);
    if (cumulative > channel.deposit) {
      throw invalid(
        `will not sign ${cumulative} drops on ${channel.channelId}: its deposit is ${channel.deposit}`,
      );
    }
    return this.claimSigner(channel.channelId, cumulative);
  }

  async startClose(channel: ChannelState): Promise<TxOutcome> {
    this.checkOurs(channel);
    const tx = await this.submitter.submit({
      TransactionType: 'PaymentChannelClaim',
      Channel: channel.channelId,
      Flags: TF_CLOSE,
    });
    const node = channelNode(tx.meta, channel.channelId);
    if (node === undefined) throw channelGone(channel.channelId, tx, 'the close request found no channel');
    return { hash: tx.hash, fee: tx.fee };
  }

  async finishClose(channel: ChannelState): Promise<TxOutcome> {
    this.checkOurs(channel);
    const current = await this.readChannel(channel.channelId);
    if (current === undefined) {
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
        `xrpl: channel ${channel.channelId} is already closed`,
      );
    }
    if (current.closesAtMs === undefined) {
      throw invalid(`channel ${channel.channelId} has no expiration: startClose it first`);
    }
    // rippled judges expiry by the parent ledger's close time, never by our clock: wait for a validated
    // ledger closed at or after the expiration, so the transaction cannot land as a no-op.
    const ledgerCloseMs = await this.validatedCloseTimeMs();
    if (ledgerCloseMs < current.closesAtMs) {
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_TOO_EARLY',
        `xrpl: channel ${channel.channelId} can be finalised from ${new Date(current.closesAtMs).toISOString()}; ` +
          `the last validated ledger closed at ${new Date(ledgerCloseMs).toISOString()}`,
      );
    }
    const tx = await this.submitter.submit({
      TransactionType: 'PaymentChannelClaim',
      Channel: channel.channelId,
    });
    const node = channelNode(tx.meta, channel.channelId);
    if (node?.change !== 'deleted') {
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_TX_FAILED',
        `xrpl: ${tx.hash} did not remove channel ${channel.channelId} (${node?.change ?? 'untouched'})`,
        { hash: tx.hash, feeDrops: tx.fee },
      );
    }
    return { hash: tx.hash, fee: tx.fee };
  }

  // The receiver's side.

  async readChannel(channelId: string): Promise<ChannelState | undefined> {
    checkChannelId(channelId);
    const [answer, ledgerCloseMs] = await Promise.all([
      this.rpc.request<{ node: PayChannelFields & { LedgerEntryType: string } }>({
        command: 'ledger_entry',
        payment_channel: channelId.toUpperCase(),
        ledger_index: 'validated',
      }),
      this.validatedCloseTimeMs(),
    ]);
    if (!answer.ok) {
      if (answer.error === 'entryNotFound') return undefined;
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_TX_FAILED',
        `xrpl: ledger_entry ${channelId}: ${answer.error} (${answer.message})`,
      );
    }
    if (answer.result.node.LedgerEntryType !== 'PayChannel') return undefined;
    // Expiry is judged as rippled judges it, by ledger close times, and by our clock when that is later
    // (the next ledger will close at least that late).
    return channelState(channelId, answer.result.node, Math.max(Date.now(), ledgerCloseMs));
  }

  async verifyClaim(channel: ChannelState, cumulative: bigint, signature: string): Promise<boolean> {
    if (channel.publicKey === undefined) return false;
    return (this.options.verifier ?? inlineSignatureVerifier).verify({
      chain: 'xrpl',
      channelId: channel.channelId,
      drops: cumulative,
      signature,
      publicKey: channel.publicKey,
    });
  }

  /**
   * Whether a peer's channel to us may be credited: destination us, a usable key, no CancelAfter, no
   * close requested, SettleDelay at least `minIncomingSettleDelaySeconds`.
   */
  checkIncomingChannel(channel: ChannelState): ChannelCheck {
    return checkIncomingChannel(channel, {
      ourAddress: this.ourAddress,
      minSettleDelaySeconds: this.options.minIncomingSettleDelaySeconds,
    });
  }

  async redeem(
    channel: ChannelState,
    cumulative: bigint,
    signature: string,
    close: boolean,
  ): Promise<TxOutcome> {
    if (channel.receiver !== this.ourAddress) {
      throw invalid(`channel ${channel.channelId} pays ${channel.receiver}, not us`);
    }
    const publicKey = channel.publicKey;
    if (publicKey === undefined || claimKeyType(publicKey) === undefined) {
      throw invalid(`channel ${channel.channelId} has no usable claim key`);
    }
    checkDrops('cumulative', cumulative);
    if (channel.status === 'closed') {
      // Past its Expiration / CancelAfter a claim only removes the channel and pays nothing.
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
        `xrpl: channel ${channel.channelId} expired at ${new Date(channel.closesAtMs ?? 0).toISOString()}; its claims can no longer be redeemed`,
      );
    }
    const claimsMore = cumulative > channel.paidOut;
    if (!claimsMore && !close) {
      // rippled would take the fee and answer tecUNFUNDED_PAYMENT.
      throw invalid(
        `nothing to redeem on ${channel.channelId}: ${channel.paidOut} drops are already paid out`,
      );
    }
    if (claimsMore) {
      if (cumulative > channel.deposit) {
        throw invalid(
          `claim of ${cumulative} drops exceeds the deposit of ${channel.channelId} (${channel.deposit})`,
        );
      }
      // rippled would refuse it with temBAD_SIGNATURE; refusing here says why without a round trip.
      if (!verifyClaimSignature(channel.channelId, cumulative, signature, publicKey)) {
        throw invalid(`the claim signature for ${cumulative} drops on ${channel.channelId} is not valid`);
      }
    }
    const tx = await this.submitter.submit({
      TransactionType: 'PaymentChannelClaim',
      Channel: channel.channelId,
      ...(claimsMore
        ? {
            Balance: cumulative.toString(),
            Amount: cumulative.toString(),
            Signature: signature.toUpperCase(),
            PublicKey: publicKey,
          }
        : {}),
      Flags: close ? TF_CLOSE : 0,
    });
    const node = channelNode(tx.meta, channel.channelId);
    const paidOut = BigInt(String(node?.fields.Balance ?? '0'));
    if (node === undefined || (claimsMore && paidOut < cumulative)) {
      // A channel past its Expiration / CancelAfter is removed by the next transaction that touches it,
      // which then succeeds without paying the claim: the rest went back to the source.
      throw channelGone(
        channel.channelId,
        tx,
        `it had expired: the claim of ${cumulative} drops was not paid`,
      );
    }
    return { hash: tx.hash, fee: tx.fee };
  }

  private checkOurs(channel: ChannelState): void {
    if (channel.sender !== this.ourAddress) {
      throw invalid(`channel ${channel.channelId} is from ${channel.sender}, not from us`);
    }
    if (channel.publicKey !== undefined && channel.publicKey.toUpperCase() !== this.publicKey) {
      throw invalid(
        `channel ${channel.channelId} takes claims signed by ${channel.publicKey}, not by our key`,
      );
    }
  }

  /** The channel after our transaction, from its metadata; gone when the transaction removed it. */
  private afterTransaction(tx: ValidatedTransaction, channelId: string, type: string): ChannelState {
    const node = channelNode(tx.meta, channelId);
    if (node === undefined || node.change === 'deleted') {
      throw channelGone(channelId, tx, `it had expired: ${type} removed it and returned its funds`);
    }
    return channelState(node.id, node.fields, Date.now());
  }

  private async validatedCloseTimeMs(): Promise<number> {
    const answer = await this.rpc.request<{ ledger: { close_time: number } }>({
      command: 'ledger',
      ledger_index: 'validated',
    });
    if (!answer.ok) throw new DaemonError('ILPD_ERR_SETTLEMENT_UNAVAILABLE', `xrpl: ledger: ${answer.error}`);
    return rippleTimeToMs(answer.result.ledger.close_time);
  }
}

function invalid(message: string): DaemonError {
  return new DaemonError('ILPD_ERR_SETTLEMENT_INVALID', `xrpl: ${message}`);
}

function channelGone(channelId: string, tx: ValidatedTransaction, why: string): DaemonError {
  return settlementError(
    'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
    `xrpl: channel ${channelId} is gone: ${why} (${tx.hash})`,
    {
      hash: tx.hash,
      feeDrops: tx.fee,
    },
  );
}

function checkDrops(name: string, drops: bigint): void {
  if (drops <= 0n || drops > MAX_CLAIM_DROPS) {
    throw invalid(`${name}: expected 1 to ${MAX_CLAIM_DROPS} drops, got ${drops}`);
  }
}

function checkChannelId(channelId: string): void {
  if (!/^[0-9A-Fa-f]{64}$/.test(channelId)) throw invalid(`not a channel id: ${channelId}`);
}
