import type { Logger } from 'pino';
import { CreateTransferStatus, type Transfer } from 'tigerbeetle-node';
import type { ClaimRecord } from '../types';
import type { ClaimIntent, ClaimsStoreOp, TigerBeetleClaimsStore } from './claims-store';
import type { TigerBeetleConnection } from './connection';
import { SettlementLeg, accountId, ledgerNumber, settlementTransferId } from './model';
import { CLAIM_DONE, claimTransfer } from './operations';
import type { RequestLimits } from './request-limits';

export interface ClaimsReconciliation {
  /** The best applied claim of every channel after reconciliation (and any lower ones applied now). */
  readonly applied: ClaimRecord[];
  /** Intents found: whose transfer was in the cluster, sent now, or refused (dropped). */
  readonly intents: number;
  readonly alreadyInCluster: number;
  readonly appliedLate: number;
  readonly dropped: number;
}

/**
 * Settles the claims store against the cluster at start, before any claim is judged. An intent is a
 * claim written before its transfer was sent; the run that wrote it may have stopped anywhere after.
 * - its transfer exists (looked up by its deterministic id): it is applied;
 * - it does not: its transfer is sent now, alone (the headrooms are aligned to the balance when the
 *   peer registers). The run that wrote it may still have that transfer in flight; the id is the same,
 *   so whichever lands second answers "exists" and the amount is booked once. An intent is applied
 *   rather than dropped because a higher claim on the channel may already be booked with an amount
 *   computed on top of it: dropping it would leave the channel's booked total short of its best claim.
 * - the cluster refuses it (id_already_failed: the run that wrote it was refused too; an account gone):
 *   it is dropped, its amount was never booked.
 * A claim of amount 0 has no transfer: its intent is applied as it is.
 */
export async function reconcileClaims(
  connection: TigerBeetleConnection,
  store: TigerBeetleClaimsStore,
  limits: RequestLimits,
  logger: Logger,
): Promise<ClaimsReconciliation> {
  const { applied, intents } = store.load();
  const report = { applied, intents: intents.length, alreadyInCluster: 0, appliedLate: 0, dropped: 0 };
  if (intents.length === 0) return report;
  const ops: ClaimsStoreOp[] = [];
  const withTransfer = intents.filter((i) => i.amount > 0n);
  for (const intent of intents) if (intent.amount === 0n) ops.push({ kind: 'applied', claim: intent.claim });
  const ids = withTransfer.map((i) => mainId(i.claim));
  const found = new Set<bigint>();
  for (let i = 0; i < ids.length; i += limits.ids) {
    const slice = ids.slice(i, i + limits.ids);
    for (const t of await connection.read('lookup_transfers (claims)', (c) => c.lookupTransfers(slice))) {
      found.add(t.id);
    }
  }
  const missing: ClaimIntent[] = [];
  for (const intent of withTransfer) {
    if (found.has(mainId(intent.claim))) {
      report.alreadyInCluster++;
      ops.push({ kind: 'applied', claim: intent.claim });
    } else {
      missing.push(intent);
    }
  }
  for (let i = 0; i < missing.length;) {
    const slice = missing.slice(i, i + limits.transfers);
    const transfers: Transfer[] = slice.map((intent) => transferOf(intent));
    let results;
    try {
      results = await connection.write('create_transfers (claims)', (c) => c.createTransfers(transfers));
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'ILPD_ERR_LEDGER_REQUEST_TOO_LARGE') throw err;
      limits.refused(slice.length);
      continue;
    }
    slice.forEach((intent, j) => {
      const status = results[j].status;
      if (CLAIM_DONE.has(status)) {
        if (status === CreateTransferStatus.created) report.appliedLate++;
        else report.alreadyInCluster++;
        ops.push({ kind: 'applied', claim: intent.claim });
        return;
      }
      report.dropped++;
      ops.push({ kind: 'drop', claim: intent.claim });
      logger.warn(
        {
          peer: intent.claim.peerId,
          direction: intent.claim.direction,
          channel: intent.claim.channelId,
          cumulative: intent.claim.cumulative.toString(),
          status: CreateTransferStatus[status] ?? status,
        },
        'a claim written before a stop was refused by the cluster; dropped, nothing booked',
      );
    });
    i += slice.length;
  }
  store.commit(ops);
  return {
    ...report,
    applied: [...applied, ...ops.flatMap((op) => (op.kind === 'applied' ? [op.claim] : []))],
  };
}

function mainId(claim: ClaimRecord): bigint {
  return settlementTransferId(claim.direction, claim.channelId, claim.cumulative, SettlementLeg.Claim);
}

function transferOf(intent: ClaimIntent): Transfer {
  const { claim, assetCode, assetScale, amount } = intent;
  return claimTransfer(
    claim,
    {
      account: accountId('Peer', claim.peerId, assetCode, assetScale),
      settlement: accountId('Settlement', '', assetCode, assetScale),
      ledger: ledgerNumber(assetCode, assetScale),
    },
    amount,
  );
}
