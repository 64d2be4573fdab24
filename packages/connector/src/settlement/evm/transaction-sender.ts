import { SigningKey, Transaction, computeAddress, type TransactionReceipt } from 'ethers';
import type { Logger } from 'pino';
import { DaemonError, type DaemonErrorCode } from '../../errors';
import { isNodeAnswer, nodeMessage, type EvmRpc } from './evm-rpc';

/**
 * Sends one signer's transactions: one local nonce counter, each transaction signed exactly once and
 * re-sent byte for byte (same hash) until it is confirmed, so a retry can never pay twice.
 *
 * Nonces: taken from `eth_getTransactionCount(pending)` at start and again after anything that leaves
 * the local counter in doubt (a nonce error, a refused or abandoned transaction); otherwise counted
 * locally. Signing and the first acceptance by a node happen one transaction at a time (a per-signer
 * queue), so a transaction that is refused never leaves a nonce gap behind it; waiting for
 * confirmations happens concurrently.
 *
 * Failures, by when they happen:
 *  - before signing (estimate, fees, nonce): nothing was signed. The node refusing (the call would
 *    revert, not enough funds) is ILPD_ERR_SETTLEMENT_TX_REJECTED with the decoded revert reason; no
 *    endpoint answering is ILPD_ERR_SETTLEMENT_UNAVAILABLE. Safe to try again later.
 *  - after signing: the same bytes are sent again (with backoff, over every endpoint) until a node has
 *    them, and again every `rebroadcastIntervalMs` while no receipt shows up (a restarted node loses its
 *    mempool). A node refusing them before any attempt could have reached another node is
 *    TX_REJECTED. A node whose chain used their nonce for another transaction (nonce too low, hash
 *    unknown to that node) proves they can never be mined: they are signed again with a fresh nonce.
 *    Any other refusal leaves them in doubt and they keep being sent. Past `confirmTimeoutMs` without a
 *    receipt: ILPD_ERR_SETTLEMENT_TX_UNCONFIRMED with the hash, whose outcome the caller must look up
 *    (it may still be mined).
 *  - mined but reverted: ILPD_ERR_SETTLEMENT_TX_REVERTED with the fee paid and the decoded reason.
 * Every signed transaction goes to `onSigned` (awaited) before it is first sent: a caller that persists
 * it can re-send it after a crash instead of signing a second payment.
 */
export interface TransactionRequest {
  /** Absent for a contract creation. */
  readonly to?: string;
  readonly data: string;
  readonly value?: bigint;
  /** What the transaction does, for logs and errors ("open channel", "redeem 0x12…"). */
  readonly label: string;
}

export interface SignedTransaction {
  readonly hash: string;
  readonly nonce: number;
  /** The signed bytes, 0x-prefixed: what is (re-)sent. */
  readonly raw: string;
  readonly label: string;
}

export interface ConfirmedTransaction {
  readonly hash: string;
  readonly nonce: number;
  /** gasUsed × effectiveGasPrice, in wei: what the signer paid. */
  readonly fee: bigint;
  readonly gasUsed: bigint;
  readonly blockNumber: number;
  readonly receipt: TransactionReceipt;
}

export interface TransactionSenderOptions {
  readonly rpc: EvmRpc;
  readonly privateKey: string;
  readonly chainId: bigint;
  /** Blocks on top of (and including) the transaction's block before it counts as confirmed. */
  readonly confirmations: number;
  readonly pollIntervalMs: number;
  readonly rebroadcastIntervalMs: number;
  readonly confirmTimeoutMs: number;
  /** Added to the gas estimate: state can change between estimate and inclusion. */
  readonly gasMarginPercent: number;
  readonly logger: Logger;
  /** Names a revert from its data (custom error, Error(string), Panic(uint256)); undefined if unknown. */
  readonly describeRevert: (data: string) => string | undefined;
  readonly onSigned?: (tx: SignedTransaction) => Promise<void> | void;
}

/** A settlement transaction failure, with what is known about the transaction. */
export class SettlementTxError extends DaemonError {
  readonly hash?: string;
  /** Wei paid for a mined (reverted) transaction; 0 when nothing was mined. */
  readonly fee: bigint;
  /** The decoded revert reason, when there is one. */
  readonly reason?: string;

  constructor(
    code: DaemonErrorCode,
    message: string,
    details: { hash?: string; fee?: bigint; reason?: string; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.name = 'SettlementTxError';
    this.hash = details.hash;
    this.fee = details.fee ?? 0n;
    this.reason = details.reason;
  }
}

const ALREADY_KNOWN = /already known|already imported|known transaction/i;
const SIGN_ATTEMPTS = 3;
const FIRST_RETRY_MS = 100;

export class TransactionSender {
  readonly address: string;
  private readonly key: SigningKey;
  private queue: Promise<unknown> = Promise.resolve();
  /** The next nonce to use; undefined = ask the chain first. */
  private nextNonce: number | undefined;
  private stopped = false;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: TransactionSenderOptions) {
    this.key = new SigningKey(options.privateKey);
    this.address = computeAddress(this.key.publicKey);
  }

  /** Learns the nonce now if the chain answers (otherwise before the first transaction). */
  async start(): Promise<void> {
    this.stopped = false;
    try {
      await this.exclusive(() => this.syncNonce());
    } catch (err) {
      this.options.logger.warn({ err, signer: this.address }, 'evm: nonce not known yet (chain unreachable)');
    }
  }

  /** Ends every wait: transactions still unconfirmed fail with TX_UNCONFIRMED (and their hash). */
  stop(): void {
    this.stopped = true;
    for (const wake of this.sleepers) wake();
  }

  async send(request: TransactionRequest): Promise<ConfirmedTransaction> {
    const signed = await this.exclusive(() => this.signUntilAccepted(request));
    return this.confirm(signed, request);
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async syncNonce(): Promise<number> {
    const nonce = await this.beforeSigning('nonce', () =>
      this.options.rpc.call((p) => p.getTransactionCount(this.address, 'pending')),
    );
    if (this.nextNonce !== nonce) {
      this.options.logger.info(
        { signer: this.address, from: this.nextNonce, to: nonce },
        'evm: nonce synced',
      );
    }
    this.nextNonce = nonce;
    return nonce;
  }

  /** Signs the transaction and gets one node to accept it; runs one at a time per signer. */
  private async signUntilAccepted(request: TransactionRequest): Promise<SignedTransaction> {
    for (let attempt = 1; ; attempt++) {
      const nonce = this.nextNonce ?? (await this.syncNonce());
      const signed = await this.sign(request, nonce);
      // From here the nonce belongs to this transaction until the chain says otherwise.
      this.nextNonce = nonce + 1;
      this.options.logger.info({ hash: signed.hash, nonce, label: request.label }, 'evm: transaction signed');
      try {
        await this.options.onSigned?.(signed);
      } catch (err) {
        this.nextNonce = undefined; // never sent: its nonce is free again
        throw err;
      }
      const accepted = await this.sendUntilAccepted(signed);
      if (accepted) return signed;
      this.nextNonce = undefined;
      if (attempt >= SIGN_ATTEMPTS) {
        throw new SettlementTxError(
          'ILPD_ERR_SETTLEMENT_TX_REJECTED',
          `${request.label}: nonce ${nonce} was taken by another transaction ${attempt} times: is another process using this key?`,
          { hash: signed.hash },
        );
      }
      this.options.logger.warn(
        { hash: signed.hash, nonce, label: request.label },
        'evm: nonce taken by another transaction; signing again with a fresh nonce',
      );
    }
  }

  private async sign(request: TransactionRequest, nonce: number): Promise<SignedTransaction> {
    const { rpc, chainId, gasMarginPercent } = this.options;
    const call = { from: this.address, to: request.to, data: request.data, value: request.value ?? 0n };
    const [estimate, fees] = await Promise.all([
      this.beforeSigning(request.label, () => rpc.call((p) => p.estimateGas(call))),
      this.beforeSigning(request.label, () => rpc.call((p) => p.getFeeData())),
    ]);
    const tx = Transaction.from({
      chainId,
      nonce,
      to: request.to ?? null,
      data: request.data,
      value: request.value ?? 0n,
      gasLimit: (estimate * BigInt(100 + gasMarginPercent)) / 100n,
      ...(fees.maxFeePerGas !== null && fees.maxPriorityFeePerGas !== null
        ? { type: 2, maxFeePerGas: fees.maxFeePerGas, maxPriorityFeePerGas: fees.maxPriorityFeePerGas }
        : { type: 0, gasPrice: fees.gasPrice }),
    });
    tx.signature = this.key.sign(tx.unsignedHash);
    return { hash: tx.hash as string, nonce, raw: tx.serialized, label: request.label };
  }

  /** Runs an RPC call made before anything is signed: refusals and outages become clear errors. */
  private async beforeSigning<T>(label: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (isNodeAnswer(err)) {
        const reason = this.revertReason(err);
        throw new SettlementTxError(
          'ILPD_ERR_SETTLEMENT_TX_REJECTED',
          `${label}: refused by the chain: ${reason}`,
          {
            reason,
            cause: err,
          },
        );
      }
      throw err; // ILPD_ERR_SETTLEMENT_UNAVAILABLE (from EvmRpc): nothing was signed
    }
  }

  /**
   * Sends the signed bytes until a node accepts them or shows it has them. False when a node's chain
   * used their nonce for another transaction: they can never be mined.
   */
  private async sendUntilAccepted(signed: SignedTransaction): Promise<boolean> {
    const deadline = Date.now() + this.options.confirmTimeoutMs;
    let delay = FIRST_RETRY_MS;
    // Whether an earlier attempt failed in transit: the bytes may sit in some node's pool even if the
    // node asked now refuses them, so a refusal is then no proof that they will never be mined.
    let maybeDelivered = false;
    for (let attempt = 1; ; attempt++) {
      let refusal: { code?: unknown } | undefined;
      try {
        await this.options.rpc.call(async (p) => {
          try {
            await p.send('eth_sendRawTransaction', [signed.raw]);
          } catch (err) {
            if (!isNodeAnswer(err)) throw err;
            if (ALREADY_KNOWN.test(nodeMessage(err))) return;
            // Refused, but known anyway (mined or pending)? Asked of the node that refused it: its view
            // of this nonce is the one that counts.
            if ((await p.getTransaction(signed.hash)) === null) throw err;
          }
        });
        return true;
      } catch (err) {
        if (isNodeAnswer(err)) refusal = err as { code?: unknown };
        else {
          maybeDelivered = true;
          if (attempt === 1 || attempt % 10 === 0) {
            this.options.logger.warn(
              { hash: signed.hash, attempt, err: nodeMessage(err) },
              'evm: no node took the transaction yet; sending the same bytes again',
            );
          }
        }
      }
      // Nonce too low and the hash unknown on that node: another transaction took the nonce.
      if (refusal?.code === 'NONCE_EXPIRED') return false;
      if (refusal !== undefined && refusal.code !== 'REPLACEMENT_UNDERPRICED' && !maybeDelivered) {
        this.nextNonce = undefined; // refused for good (e.g. funds short of value + gas): the nonce is free
        const reason = nodeMessage(refusal);
        throw new SettlementTxError(
          'ILPD_ERR_SETTLEMENT_TX_REJECTED',
          `${signed.label}: refused: ${reason}`,
          {
            hash: signed.hash,
            reason,
            cause: refusal,
          },
        );
      }
      // Otherwise in doubt (unreachable, another pending transaction holds the nonce, or an earlier
      // attempt may have landed elsewhere): the same bytes again, until the deadline.
      if (this.stopped || Date.now() >= deadline) {
        this.nextNonce = undefined; // it may or may not have arrived: ask the chain before the next one
        throw this.unconfirmed(
          signed,
          refusal === undefined ? 'no node took it' : `refused: ${nodeMessage(refusal)}`,
        );
      }
      await this.sleep(Math.min(delay, deadline - Date.now()));
      delay = Math.min(delay * 2, this.options.rebroadcastIntervalMs);
    }
  }

  /** Waits for the receipt and the confirmations, re-sending the same bytes while none shows up. */
  private async confirm(
    signed: SignedTransaction,
    request: TransactionRequest,
  ): Promise<ConfirmedTransaction> {
    const { rpc, confirmations, pollIntervalMs, rebroadcastIntervalMs, confirmTimeoutMs } = this.options;
    const deadline = Date.now() + confirmTimeoutMs;
    let lastSent = Date.now();
    for (;;) {
      try {
        const receipt = await rpc.call((p) => p.getTransactionReceipt(signed.hash));
        if (receipt !== null) {
          const head = confirmations <= 1 ? receipt.blockNumber : await rpc.call((p) => p.getBlockNumber());
          if (head - receipt.blockNumber + 1 >= confirmations)
            return await this.settled(signed, request, receipt);
        } else if (Date.now() - lastSent >= rebroadcastIntervalMs) {
          lastSent = Date.now();
          await rpc
            .call((p) => p.send('eth_sendRawTransaction', [signed.raw]))
            .catch((err: unknown) => {
              this.options.logger.debug({ hash: signed.hash, err: nodeMessage(err) }, 'evm: re-send refused');
            });
        }
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ILPD_ERR_SETTLEMENT_TX_REVERTED') throw err;
        this.options.logger.debug(
          { hash: signed.hash, err: nodeMessage(err) },
          'evm: receipt not readable yet',
        );
      }
      if (this.stopped || Date.now() >= deadline) {
        this.nextNonce = undefined;
        throw this.unconfirmed(
          signed,
          this.stopped ? 'the engine stopped' : `no receipt in ${confirmTimeoutMs} ms`,
        );
      }
      await this.sleep(Math.min(pollIntervalMs, Math.max(0, deadline - Date.now())));
    }
  }

  private async settled(
    signed: SignedTransaction,
    request: TransactionRequest,
    receipt: TransactionReceipt,
  ): Promise<ConfirmedTransaction> {
    const fee = receipt.gasUsed * receipt.gasPrice;
    if (receipt.status === 1) {
      this.options.logger.info(
        {
          hash: signed.hash,
          nonce: signed.nonce,
          block: receipt.blockNumber,
          fee: fee.toString(),
          label: signed.label,
        },
        'evm: transaction confirmed',
      );
      return {
        hash: signed.hash,
        nonce: signed.nonce,
        fee,
        gasUsed: receipt.gasUsed,
        blockNumber: receipt.blockNumber,
        receipt,
      };
    }
    const reason = await this.replayRevert(request, receipt);
    throw new SettlementTxError(
      'ILPD_ERR_SETTLEMENT_TX_REVERTED',
      `${signed.label}: transaction ${signed.hash} reverted in block ${receipt.blockNumber}: ${reason}; fee ${fee} wei`,
      { hash: signed.hash, fee, reason },
    );
  }

  /**
   * Why a mined transaction reverted: the same call replayed on the state after its block (which has the
   * transactions mined before it, the usual cause), then on the state before the block.
   */
  private async replayRevert(request: TransactionRequest, receipt: TransactionReceipt): Promise<string> {
    let lastProblem = 'the call succeeds when replayed: out of gas, or it depended on its place in the block';
    for (const blockTag of [receipt.blockNumber, Math.max(0, receipt.blockNumber - 1)]) {
      try {
        const call = {
          from: this.address,
          to: request.to,
          data: request.data,
          value: request.value ?? 0n,
          blockTag,
        };
        await this.options.rpc.call((p) => p.call(call));
      } catch (err) {
        if (isNodeAnswer(err)) return this.revertReason(err);
        lastProblem = nodeMessage(err);
      }
    }
    return `reason unknown (${lastProblem})`;
  }

  private revertReason(err: unknown): string {
    const data = (err as { data?: unknown }).data;
    const decoded =
      typeof data === 'string' && data.length >= 10 ? this.options.describeRevert(data) : undefined;
    return decoded ?? nodeMessage(err);
  }

  private unconfirmed(signed: SignedTransaction, why: string): SettlementTxError {
    return new SettlementTxError(
      'ILPD_ERR_SETTLEMENT_TX_UNCONFIRMED',
      `${signed.label}: transaction ${signed.hash} (nonce ${signed.nonce}) not confirmed: ${why}; it may still be mined`,
      { hash: signed.hash },
    );
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
