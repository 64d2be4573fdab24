import { TransferFlags, type Transfer } from 'tigerbeetle-node';
import type { TigerBeetleConnection } from './connection';

/**
 * How many events one TigerBeetle request may carry. A request is at most the cluster's request size
 * limit: 1 MiB (the message size) by default, 32 KiB on `tigerbeetle start --development`
 * (src/tigerbeetle/cli.zig, start_defaults_development). Of that, 256 bytes are the message header and
 * one element is the multi-batch trailer (src/vsr/multi_batch.zig). A Transfer or Account is 128 bytes,
 * an id 16, so: 8189 transfers (2031 ids on --development, 253 transfers). A reply is bounded by the
 * message size, 1 MiB, so a lookup or query returns at most 8189 accounts or transfers.
 */
export const TRANSFERS_PER_REQUEST_MAX = 8189;
export const TRANSFERS_PER_REQUEST_DEVELOPMENT = 253;
const RESULTS_PER_REPLY_MAX = 8189;

export class RequestLimits {
  constructor(
    /** Transfers (or accounts) per create request. */
    public transfers: number,
  ) {}

  /** Ids per lookup: the same request size in 16-byte ids, within what one reply can return. */
  get ids(): number {
    return Math.min(RESULTS_PER_REPLY_MAX, (this.transfers + 1) * 8 - 1);
  }

  /** Transfers per query page. */
  get queryLimit(): number {
    return Math.min(RESULTS_PER_REPLY_MAX, this.transfers);
  }

  /** The cluster refused a request of `transfers` transfers as too large: the limit is below it. */
  refused(transfers: number): void {
    this.transfers = Math.max(1, Math.min(this.transfers, Math.floor(transfers / 2)));
  }
}

/**
 * Learns the cluster's create_transfers limit without changing anything: a probe is a batch of
 * transfers with id 0, which the state machine answers with id_must_not_be_zero for each and applies
 * none of; one the client refuses as too large (ERR_TOO_MUCH_DATA) is never sent. One probe on a
 * production cluster (8189 fit), two on a --development one, a binary search on any other limit.
 */
export async function learnTransferLimit(connection: TigerBeetleConnection, cap: number): Promise<number> {
  const fits = async (n: number): Promise<boolean> => {
    try {
      await connection.write('create_transfers (size probe)', (c) => c.createTransfers(zeroIdTransfers(n)));
      return true;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE') return false;
      throw err;
    }
  };
  if (await fits(cap)) return cap;
  let lo = 0;
  let hi = cap;
  const development = Math.min(TRANSFERS_PER_REQUEST_DEVELOPMENT, cap - 1);
  if (await fits(development)) lo = development;
  else hi = development;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) lo = mid;
    else hi = mid;
  }
  return Math.max(1, lo);
}

function zeroIdTransfers(n: number): Transfer[] {
  const transfer: Transfer = {
    id: 0n,
    debit_account_id: 0n,
    credit_account_id: 0n,
    amount: 0n,
    pending_id: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    timeout: 0,
    ledger: 0,
    code: 0,
    flags: TransferFlags.none,
    timestamp: 0n,
  };
  return Array.from({ length: n }, () => transfer);
}
