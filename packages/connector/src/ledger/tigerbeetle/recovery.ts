import type { Logger } from 'pino';
import { CreateTransferStatus, TransferFlags, type Transfer } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';
import type { TigerBeetleConnection } from './connection';
import { POST_OFFSET, TransferCode, VOID_OFFSET, newTransfer } from './model';
import type { RequestLimits } from './request-limits';

/**
 * Pendings of an earlier run may carry a longer timeout than this run's pendingTimeoutMs (the setting
 * may have been lowered): the scan reaches this much further back.
 */
const EARLIER_TIMEOUT_MARGIN_S = 60;
/** How often recovery reports its progress at info level. */
const PROGRESS_EVERY_MS = 2000;

const VOIDED = new Set<number>([
  CreateTransferStatus.created,
  CreateTransferStatus.exists,
  CreateTransferStatus.pending_transfer_already_posted,
  CreateTransferStatus.pending_transfer_already_voided,
  CreateTransferStatus.pending_transfer_expired,
  // The void id is the one a run's own void of that pending used (in a linked chain, so other flags).
  CreateTransferStatus.exists_with_different_flags,
]);

/** One asset ledger of ours: its TigerBeetle ledger number and the accounts only ilpd uses on it. */
export interface RecoveryScope {
  readonly asset: string;
  readonly ledger: number;
  /**
   * The asset's liquidity and control accounts: every pending transfer ilpd makes has one of them on
   * one side (packet legs the liquidity account, headroom legs the control account). Their ids are
   * hashes of ilpd's own names, so no other application's transfer touches them.
   */
  readonly accounts: ReadonlySet<bigint>;
}

export interface RecoveryOptions {
  readonly currentBoot: bigint;
  readonly limits: RequestLimits;
  /** This run's pendingTimeoutMs in seconds, rounded up: no pending of ours lives longer. */
  readonly timeoutSeconds: number;
  /** performance.now() after which recovery stops where it is. */
  readonly deadline: number;
  readonly logger: Logger;
}

export interface RecoveryReport {
  /** Transfers read on the scan. */
  scanned: number;
  /** Pendings of earlier runs still within their timeout. */
  stale: number;
  /** Of those, already posted or voided by the run that made them (left alone). */
  resolved: number;
  /** Voids created. */
  voided: number;
  /** False when the deadline cut the scan short: what is left expires by its own timeout. */
  complete: boolean;
}

/**
 * Restart recovery for one asset ledger: voids the pending transfers earlier runs left that are still
 * pending. No packet of an earlier run can complete any more, and their reservations would hold the
 * peers' limits until their TigerBeetle timeout. It touches only:
 * - transfers on this ledger with ilpd's packet and headroom codes and one of this asset's own accounts
 *   on a side (never another application's transfers on the same cluster);
 * - pendings of other runs (the boot in user_data_64) that are younger than their timeout;
 * - whose post or void (deterministic ids) does not exist: posted and voided ones are left alone.
 * The scan window is measured on the cluster's clock: from the newest transfer on the ledger back by
 * the longest timeout, so the host's clock plays no part. Every request is sized to the cluster's
 * limit. Each void's id is the pending's with the void leg, so a repeated recovery is idempotent.
 */
export async function recoverStalePendings(
  connection: TigerBeetleConnection,
  scope: RecoveryScope,
  options: RecoveryOptions,
): Promise<RecoveryReport> {
  const report: RecoveryReport = { scanned: 0, stale: 0, resolved: 0, voided: 0, complete: true };
  const newest = await connection.read('query_transfers', (c) =>
    c.queryTransfers(filter(scope.ledger, 0, 0n, 1, true)),
  );
  if (newest.length === 0) return report;
  // Every transfer's timestamp is at most the cluster's clock now: a lower bound for "now".
  let clusterNow = newest[0].timestamp;
  const windowNs = BigInt(options.timeoutSeconds + EARLIER_TIMEOUT_MARGIN_S) * 1_000_000_000n;
  const since = clusterNow > windowNs ? clusterNow - windowNs : 1n;
  let lastProgress = performance.now();
  for (const code of [TransferCode.PacketLeg, TransferCode.Headroom]) {
    let timestampMin = since;
    for (;;) {
      if (performance.now() > options.deadline) {
        report.complete = false;
        return report;
      }
      const limit = options.limits.queryLimit;
      const page = await connection.read('query_transfers', (c) =>
        c.queryTransfers(filter(scope.ledger, code, timestampMin, limit, false)),
      );
      report.scanned += page.length;
      for (const t of page) if (t.timestamp > clusterNow) clusterNow = t.timestamp;
      const stale = page.filter((t) => isStalePending(t, scope, options.currentBoot, clusterNow));
      report.stale += stale.length;
      const open = await stillPending(connection, stale, options.limits);
      report.resolved += stale.length - open.length;
      if (open.length > 0) report.voided += await createVoids(connection, open.map(voidOf), options.limits);
      if (performance.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = performance.now();
        options.logger.info({ asset: scope.asset, ...report }, 'tigerbeetle recovery in progress');
      }
      if (page.length < limit) break;
      timestampMin = page[page.length - 1].timestamp + 1n;
    }
  }
  return report;
}

function filter(ledger: number, code: number, timestampMin: bigint, limit: number, newestFirst: boolean) {
  return {
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    ledger,
    code,
    timestamp_min: timestampMin,
    timestamp_max: 0n,
    limit,
    flags: newestFirst ? 1 : 0, // QueryFilterFlags.reversed
  };
}

function isStalePending(t: Transfer, scope: RecoveryScope, currentBoot: bigint, clusterNow: bigint): boolean {
  if ((t.flags & TransferFlags.pending) === 0 || t.user_data_64 === currentBoot) return false;
  if (!scope.accounts.has(t.debit_account_id) && !scope.accounts.has(t.credit_account_id)) return false;
  // Past its timeout it is expired (or about to be released by the cluster): nothing to void.
  return t.timeout === 0 || t.timestamp + BigInt(t.timeout) * 1_000_000_000n > clusterNow;
}

/** The pendings whose post and void do not exist (lookup_transfers returns only transfers that exist). */
async function stillPending(
  connection: TigerBeetleConnection,
  pendings: Transfer[],
  limits: RequestLimits,
): Promise<Transfer[]> {
  if (pendings.length === 0) return pendings;
  const ids = pendings.flatMap((p) => [resolutionId(p.id, POST_OFFSET), resolutionId(p.id, VOID_OFFSET)]);
  const found = new Set<bigint>();
  for (let i = 0; i < ids.length; i += limits.ids) {
    const slice = ids.slice(i, i + limits.ids);
    for (const t of await connection.read('lookup_transfers', (c) => c.lookupTransfers(slice))) {
      found.add(t.pending_id);
    }
  }
  return pendings.filter((p) => !found.has(p.id));
}

function resolutionId(pendingId: bigint, offset: number): bigint {
  return (pendingId & ~0xfn) | ((pendingId & 0xfn) + BigInt(offset));
}

function voidOf(pending: Transfer): Transfer {
  return newTransfer({
    id: resolutionId(pending.id, VOID_OFFSET),
    debit: pending.debit_account_id,
    credit: pending.credit_account_id,
    amount: pending.amount,
    ledger: pending.ledger,
    code: pending.code,
    flags: TransferFlags.void_pending_transfer,
    pendingId: pending.id,
    userData128: pending.user_data_128,
    userData64: pending.user_data_64,
  });
}

/** Creates the voids in requests of at most the cluster's limit, splitting one it refuses as too large. */
async function createVoids(
  connection: TigerBeetleConnection,
  voids: Transfer[],
  limits: RequestLimits,
): Promise<number> {
  let created = 0;
  for (let i = 0; i < voids.length;) {
    const slice = voids.slice(i, i + limits.transfers);
    let results;
    try {
      results = await connection.write('create_transfers (recovery voids)', (c) => c.createTransfers(slice));
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE') throw err;
      limits.refused(slice.length);
      continue;
    }
    results.forEach((result, j) => {
      if (!VOIDED.has(result.status)) {
        throw new DaemonError(
          'ILPD_ERR_LEDGER_WRITE_FAILED',
          `recovery could not void pending transfer ${slice[j].pending_id}: ${CreateTransferStatus[result.status]}`,
        );
      }
      if (result.status === CreateTransferStatus.created) created++;
    });
    i += slice.length;
  }
  return created;
}
