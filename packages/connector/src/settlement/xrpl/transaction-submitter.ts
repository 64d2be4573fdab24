import type { Logger } from 'pino';
import type { Transaction, Wallet } from 'xrpl';
import { DaemonError, type DaemonErrorCode } from '../../errors';
import type { XrplRpc } from './xrpl-rpc';

/**
 * Submits one account's transactions, one at a time, and resolves each only on a validated result.
 *
 * Lifecycle of one transaction:
 *  1. prepare: Sequence (from `account_info` once, then tracked locally), Fee (`fee`, capped),
 *     LastLedgerSequence = the current ledger + `ledgerOffset`; sign once (one hash).
 *  2. submit that blob, and submit the same blob again every `resubmitIntervalMs` until the outcome is
 *     known (copies of one signed blob apply once at most: the Sequence sees to it);
 *  3. poll `tx` by hash over [the ledger open at signing, LastLedgerSequence]:
 *     - found in a validated ledger: final. tesSUCCESS resolves; tec* rejects (the fee was taken and the
 *       sequence used, nothing else changed);
 *     - not found, and the server has searched every ledger up to LastLedgerSequence (`searched_all`):
 *       it can never apply. Re-sign with a fresh Sequence, fee and window (up to `maxResigns` times).
 *  A submission answered tem* (or refused by rippled before it applies) can never apply and rejects at
 *  once. tefPAST_SEQ / terPRE_SEQ / tefMAX_LEDGER on a blob that no server may have taken mean the local
 *  Sequence or window was stale: resync and re-sign. After any answer that leaves the outcome open (a
 *  transport failure, a preliminary tes/tec, terQUEUED), only step 3 decides, so a transaction in flight
 *  during an outage resolves exactly once, with the hash it was signed with.
 *
 * The local Sequence advances only past validated transactions; any other ending resyncs it from
 * `account_info`. Until a signed transaction's outcome is known the queue waits (the next transaction
 * needs to know which Sequence is free), however long the chain is unreachable; `stop()` ends the wait
 * with ILPD_ERR_SETTLEMENT_TX_UNKNOWN, naming the hash, so that a later start can look it up.
 */
export interface TransactionSubmitterOptions {
  readonly wallet: Wallet;
  readonly rpc: XrplRpc;
  readonly ledgerOffset: number;
  readonly pollIntervalMs: number;
  readonly resubmitIntervalMs: number;
  readonly maxFeeDrops: bigint;
  readonly maxResigns: number;
  /** How long preparing (before anything is signed) may wait for a usable server. */
  readonly prepareTimeoutMs: number;
  readonly logger: Logger;
}

/** The fields of a transaction that the caller chooses; the submitter fills in the rest. */
export type TransactionFields = Record<string, unknown> & { readonly TransactionType: string };

export interface ValidatedTransaction {
  readonly hash: string;
  /** Fee paid, in drops (burned). */
  readonly fee: bigint;
  readonly sequence: number;
  readonly ledgerIndex: number;
  readonly meta: TransactionMeta;
}

export interface TransactionMeta {
  readonly TransactionResult: string;
  readonly AffectedNodes: readonly Record<string, AffectedNode>[];
}

export interface AffectedNode {
  readonly LedgerEntryType: string;
  readonly LedgerIndex: string;
  readonly NewFields?: Record<string, unknown>;
  readonly FinalFields?: Record<string, unknown>;
  readonly PreviousFields?: Record<string, unknown>;
}

/** What a settlement error says beyond its code (own properties: they survive a worker boundary). */
export interface TransactionErrorDetails {
  readonly engineResult?: string;
  readonly hash?: string;
  /** Drops burned as the fee, when the transaction made it into a validated ledger. */
  readonly feeDrops?: bigint;
}

export function settlementError(
  code: DaemonErrorCode,
  message: string,
  details: TransactionErrorDetails = {},
): DaemonError & TransactionErrorDetails {
  return Object.assign(new DaemonError(code, message), details);
}

interface Signed {
  readonly blob: string;
  readonly hash: string;
  readonly sequence: number;
  readonly fee: bigint;
  readonly minLedger: number;
  readonly lastLedger: number;
}

type Verdict =
  | {
      readonly kind: 'validated';
      readonly result: string;
      readonly ledgerIndex: number;
      readonly meta: TransactionMeta;
    }
  | { readonly kind: 'refused'; readonly result: string }
  | { readonly kind: 'resign'; readonly result: string }
  | { readonly kind: 'expired' };

export class XrplTransactionSubmitter {
  private tail: Promise<unknown> = Promise.resolve();
  private nextSequence: number | undefined;
  private stopped = false;
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly options: TransactionSubmitterOptions) {}

  /** Queues a transaction of our account; resolves once it is validated with tesSUCCESS. */
  submit(fields: TransactionFields): Promise<ValidatedTransaction> {
    const run = this.tail.then(() => this.run(fields));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Ends every wait: queued transactions fail as unavailable, one in flight as unknown. */
  stop(): void {
    this.stopped = true;
    for (const wake of this.wakeups) wake();
  }

  private async run(fields: TransactionFields): Promise<ValidatedTransaction> {
    const type = fields.TransactionType;
    for (let attempt = 0; ; attempt++) {
      if (this.stopped)
        throw settlementError('ILPD_ERR_SETTLEMENT_UNAVAILABLE', `xrpl: stopped before ${type} was sent`);
      const signed = await this.prepare(fields);
      const log = this.options.logger.child({ tx: type, hash: signed.hash, sequence: signed.sequence });
      log.debug({ fee: signed.fee.toString(), lastLedger: signed.lastLedger }, 'xrpl transaction signed');
      const verdict = await this.drive(signed, log);
      if (verdict.kind === 'validated') {
        this.nextSequence = signed.sequence + 1;
        const details = { engineResult: verdict.result, hash: signed.hash, feeDrops: signed.fee };
        if (verdict.result !== 'tesSUCCESS') {
          log.warn(
            { result: verdict.result, ledger: verdict.ledgerIndex },
            'xrpl transaction failed on ledger',
          );
          throw settlementError(
            'ILPD_ERR_SETTLEMENT_TX_FAILED',
            `xrpl: ${type} ${signed.hash} failed with ${verdict.result} in ledger ${verdict.ledgerIndex} (fee of ${signed.fee} drops paid)`,
            details,
          );
        }
        log.info({ ledger: verdict.ledgerIndex, fee: signed.fee.toString() }, 'xrpl transaction validated');
        return {
          hash: signed.hash,
          fee: signed.fee,
          sequence: signed.sequence,
          ledgerIndex: verdict.ledgerIndex,
          meta: verdict.meta,
        };
      }
      this.nextSequence = undefined;
      if (verdict.kind === 'refused') {
        log.warn({ result: verdict.result }, 'xrpl transaction refused');
        throw settlementError(
          'ILPD_ERR_SETTLEMENT_TX_FAILED',
          `xrpl: ${type} was refused with ${verdict.result}; it was not applied and no fee was paid`,
          { engineResult: verdict.result, hash: signed.hash },
        );
      }
      const why =
        verdict.kind === 'expired' ? 'was not validated by its last ledger' : `got ${verdict.result}`;
      if (attempt >= this.options.maxResigns) {
        throw settlementError(
          'ILPD_ERR_SETTLEMENT_TX_EXPIRED',
          `xrpl: ${type} ${why}, after ${attempt + 1} signed attempts; nothing was applied`,
          { hash: signed.hash },
        );
      }
      log.warn({ attempt: attempt + 1 }, `xrpl transaction ${why}: re-signing with a fresh sequence`);
    }
  }

  /** Sequence, fee and window from the chain, then one signature. Nothing is sent yet. */
  private async prepare(fields: TransactionFields): Promise<Signed> {
    const { wallet } = this.options;
    const { sequence, fee, current } = await this.chainParameters(fields.TransactionType);
    const lastLedger = current + this.options.ledgerOffset;
    const tx = {
      Flags: 0,
      ...fields,
      Account: wallet.address,
      Sequence: sequence,
      Fee: fee.toString(),
      LastLedgerSequence: lastLedger,
    } as unknown as Transaction;
    let signed: { tx_blob: string; hash: string };
    try {
      signed = wallet.sign(tx); // validates the fields too
    } catch (err) {
      throw settlementError(
        'ILPD_ERR_SETTLEMENT_INVALID',
        `xrpl: cannot sign ${fields.TransactionType}: ${(err as Error).message}`,
      );
    }
    return {
      blob: signed.tx_blob,
      hash: signed.hash,
      sequence,
      fee,
      minLedger: Math.max(1, current - 1),
      lastLedger,
    };
  }

  /** Our next Sequence, the fee to pay and the current ledger, retried while no server answers. */
  private async chainParameters(type: string): Promise<{ sequence: number; fee: bigint; current: number }> {
    const deadline = Date.now() + this.options.prepareTimeoutMs;
    for (;;) {
      try {
        if (this.nextSequence === undefined) {
          const address = this.options.wallet.address;
          const info = await this.options.rpc.request<{ account_data: { Sequence: number } }>({
            command: 'account_info',
            account: address,
            ledger_index: 'current',
          });
          if (!info.ok) {
            throw settlementError(
              'ILPD_ERR_SETTLEMENT_TX_FAILED',
              `xrpl: cannot read account ${address}: ${info.error} (${info.message}); is it funded?`,
            );
          }
          this.nextSequence = info.result.account_data.Sequence;
        }
        const fee = await this.options.rpc.request<FeeResult>({ command: 'fee' });
        if (!fee.ok) throw new Error(`fee: ${fee.error} (${fee.message})`);
        return {
          sequence: this.nextSequence,
          fee: this.feeDrops(fee.result),
          current: fee.result.ledger_current_index,
        };
      } catch (err) {
        if ((err as { code?: unknown }).code === 'ILPD_ERR_SETTLEMENT_TX_FAILED') throw err;
        if (this.stopped || Date.now() >= deadline) {
          throw settlementError(
            'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
            `xrpl: could not prepare ${type} (nothing was sent): ${(err as Error).message}`,
          );
        }
        this.options.logger.debug({ err }, 'xrpl prepare failed; retrying');
        await this.sleep(this.options.pollIntervalMs);
      }
    }
  }

  private feeDrops(fee: FeeResult): bigint {
    const drops = fee.drops;
    let wanted = BigInt(drops.base_fee);
    for (const other of [drops.minimum_fee, drops.open_ledger_fee]) {
      if (BigInt(other) > wanted) wanted = BigInt(other);
    }
    if (wanted > this.options.maxFeeDrops) {
      this.options.logger.warn(
        { wanted: wanted.toString(), cap: this.options.maxFeeDrops.toString() },
        'xrpl open ledger fee is above the cap: paying the cap, the transaction may wait',
      );
      return this.options.maxFeeDrops;
    }
    return wanted;
  }

  /** Submits (and re-submits) one signed blob and watches for its final outcome. */
  private async drive(signed: Signed, log: Logger): Promise<Verdict> {
    // Whether any server may have taken this blob: until then a stale-sequence answer is safe to
    // act on by re-signing; afterwards only a validated ledger decides.
    let maybeTaken = false;
    let submitDue = true;
    let lastSubmit = 0;
    for (;;) {
      if (this.stopped) {
        throw settlementError(
          maybeTaken ? 'ILPD_ERR_SETTLEMENT_TX_UNKNOWN' : 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
          `xrpl: stopped while transaction ${signed.hash} (sequence ${signed.sequence}, last ledger ${signed.lastLedger}) was ${maybeTaken ? 'pending: look it up by hash' : 'not yet sent'}`,
          { hash: signed.hash },
        );
      }
      if (submitDue || Date.now() - lastSubmit >= this.options.resubmitIntervalMs) {
        lastSubmit = Date.now();
        submitDue = false;
        try {
          const answer = await this.options.rpc.request<SubmitResult>({
            command: 'submit',
            tx_blob: signed.blob,
          });
          if (!answer.ok) {
            // rippled refused the blob itself (bad signature, malformed): no copy of it can ever apply.
            if (answer.error === 'invalidTransaction') {
              return { kind: 'refused', result: `${answer.error}: ${answer.message}` };
            }
            log.warn({ error: answer.error, message: answer.message }, 'xrpl submit answered with an error');
          } else {
            const result = answer.result.engine_result;
            const verdict = this.preliminary(result, maybeTaken);
            if (verdict !== undefined) return verdict;
            if (result === 'tesSUCCESS' || result === 'terQUEUED' || result.startsWith('tec'))
              maybeTaken = true;
            log.debug({ result }, 'xrpl submit answered');
          }
        } catch (err) {
          maybeTaken = true; // it may have reached a server before the failure
          submitDue = true;
          log.debug({ err }, 'xrpl submit failed; will resend the same blob');
        }
      }
      try {
        const found = await this.options.rpc.request<TxResult>({
          command: 'tx',
          transaction: signed.hash,
          min_ledger: signed.minLedger,
          max_ledger: signed.lastLedger,
        });
        if (found.ok && found.result.validated === true && found.result.meta !== undefined) {
          return {
            kind: 'validated',
            result: found.result.meta.TransactionResult,
            ledgerIndex: Number(found.result.ledger_index),
            meta: found.result.meta,
          };
        }
        if (!found.ok && found.error === 'txnNotFound' && found.data.searched_all === true) {
          return { kind: 'expired' };
        }
      } catch (err) {
        log.debug({ err }, 'xrpl tx lookup failed; will ask again');
      }
      await this.sleep(this.options.pollIntervalMs);
    }
  }

  /** A submit answer that settles the outcome by itself, or undefined to keep watching. */
  private preliminary(result: string, maybeTaken: boolean): Verdict | undefined {
    if (result.startsWith('tem')) return { kind: 'refused', result };
    const stale = result === 'tefPAST_SEQ' || result === 'tefMAX_LEDGER' || result === 'terPRE_SEQ';
    if (stale && !maybeTaken) return { kind: 'resign', result };
    if (result.startsWith('tef') && !stale && !maybeTaken) return { kind: 'refused', result };
    // tes / tec / terQUEUED: applied to a server's open ledger, final only once validated. Other ter /
    // tel: not applied now, the blob is resent until its window closes. A tef after an earlier copy may
    // have applied (tefPAST_SEQ because it did): only the ledger can tell.
    return undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeups.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeups.add(done);
    });
  }
}

interface FeeResult {
  readonly ledger_current_index: number;
  readonly drops: {
    readonly base_fee: string;
    readonly minimum_fee: string;
    readonly open_ledger_fee: string;
  };
}

interface SubmitResult {
  readonly engine_result: string;
}

interface TxResult {
  readonly validated?: boolean;
  readonly ledger_index?: number;
  readonly meta?: TransactionMeta;
}
