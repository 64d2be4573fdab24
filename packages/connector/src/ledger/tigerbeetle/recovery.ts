import { CreateTransferStatus, TransferFlags, type Transfer } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';
import type { TigerBeetleConnection } from './connection';
import { MAX_EVENTS_PER_REQUEST, TransferCode, VOID_OFFSET, newTransfer } from './model';

/** Clock skew we tolerate between this host and the cluster when choosing the scan window. */
const SKEW_MARGIN_MS = 60_000;

const VOIDED = new Set<number>([
  CreateTransferStatus.created,
  CreateTransferStatus.exists,
  CreateTransferStatus.pending_transfer_already_posted,
  CreateTransferStatus.pending_transfer_already_voided,
  CreateTransferStatus.pending_transfer_expired,
  // The void id is the one a run's own void of that pending used (in a linked chain, so other flags).
  CreateTransferStatus.exists_with_different_flags,
]);

/**
 * Restart recovery: voids the pending transfers earlier runs left behind. No packet of an earlier run can
 * complete any more, and without this their reservations would hold the peers' limits until their
 * TigerBeetle timeout. Only transfers younger than that timeout (plus clock skew) can still be pending,
 * so only those are scanned. Each void's id is the pending's with the void leg, so a repeated recovery is
 * idempotent; pendings already posted, voided or expired are left as they are. Returns voids created.
 */
export async function recoverStalePendings(
  connection: TigerBeetleConnection,
  currentBoot: bigint,
  pendingTimeoutMs: number,
  nowMs: number = Date.now(),
): Promise<number> {
  const since = BigInt(Math.max(0, nowMs - pendingTimeoutMs - SKEW_MARGIN_MS)) * 1_000_000n;
  let voided = 0;
  for (const code of [TransferCode.PacketLeg, TransferCode.Headroom]) {
    let timestampMin = since;
    for (;;) {
      const page = await connection.request('query_transfers', (c) =>
        c.queryTransfers({
          user_data_128: 0n,
          user_data_64: 0n,
          user_data_32: 0,
          ledger: 0,
          code,
          timestamp_min: timestampMin,
          timestamp_max: 0n,
          limit: MAX_EVENTS_PER_REQUEST,
          flags: 0,
        }),
      );
      const voids = page.filter((t) => isStalePending(t, currentBoot)).map(voidOf);
      if (voids.length > 0) voided += await createVoids(connection, voids);
      if (page.length < MAX_EVENTS_PER_REQUEST) break;
      timestampMin = page[page.length - 1].timestamp + 1n;
    }
  }
  return voided;
}

function isStalePending(transfer: Transfer, currentBoot: bigint): boolean {
  return (transfer.flags & TransferFlags.pending) !== 0 && transfer.user_data_64 !== currentBoot;
}

function voidOf(pending: Transfer): Transfer {
  const leg = pending.id & 0xfn;
  return newTransfer({
    id: (pending.id & ~0xfn) | (leg + BigInt(VOID_OFFSET)),
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

async function createVoids(connection: TigerBeetleConnection, voids: Transfer[]): Promise<number> {
  const results = await connection.request('create_transfers', (c) => c.createTransfers(voids));
  let created = 0;
  results.forEach((result, i) => {
    if (!VOIDED.has(result.status)) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_WRITE_FAILED',
        `recovery could not void pending transfer ${voids[i].pending_id}: ${CreateTransferStatus[result.status]}`,
      );
    }
    if (result.status === CreateTransferStatus.created) created++;
  });
  return created;
}
