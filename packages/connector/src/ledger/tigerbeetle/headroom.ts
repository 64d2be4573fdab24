import type { Logger } from 'pino';
import { CreateTransferStatus, TransferFlags, type Account, type Transfer } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';
import type { TigerBeetleConnection } from './connection';
import { Leg, TransferCode, debitBalance, newTransfer } from './model';
import type { TbPeer } from './operations';

export interface HeadroomDeps {
  lookup(ids: bigint[]): Promise<Map<bigint, Account>>;
  /** A fresh transfer id of this run with the given leg. */
  nextTransferId(leg: number): bigint;
  readonly logger: Logger;
}

/**
 * Moves a peer's headroom accounts so they match its configured limits and current balance:
 * headroom-in = maximum - balance - pending incoming, headroom-out = balance - pending outgoing - minimum.
 * Run at registration (start-up, before traffic). Headroom cannot go below zero (the account flags are
 * what enforces the limits), so a peer already beyond a lowered limit gets zero headroom and a warning.
 * Resolves with the peer's posted balance it aligned to.
 */
export async function alignHeadroom(
  connection: TigerBeetleConnection,
  peer: TbPeer,
  deps: HeadroomDeps,
): Promise<bigint> {
  const found = await deps.lookup([peer.account, peer.headroomIn, peer.headroomOut]);
  const account = found.get(peer.account);
  const hi = found.get(peer.headroomIn);
  const ho = found.get(peer.headroomOut);
  if (account === undefined || hi === undefined || ho === undefined) {
    throw new DaemonError(
      'ILPD_ERR_LEDGER_WRITE_FAILED',
      `accounts of ${peer.peerId} missing after creation`,
    );
  }
  const balance = debitBalance(account);
  const transfers: Transfer[] = [];
  if (peer.maximum !== undefined) {
    const want = clamp(peer, 'maximum', peer.maximum - balance - account.debits_pending, deps.logger);
    const have = hi.credits_posted - hi.debits_posted - hi.debits_pending;
    const t = adjustment(peer, 'in', want - have, deps);
    if (t !== undefined) transfers.push(t);
  }
  if (peer.minimum !== undefined) {
    const want = clamp(peer, 'minimum', balance - account.credits_pending - peer.minimum, deps.logger);
    const have = ho.debits_posted - ho.credits_posted - ho.credits_pending;
    const t = adjustment(peer, 'out', want - have, deps);
    if (t !== undefined) transfers.push(t);
  }
  if (transfers.length === 0) return balance;
  const results = await connection.write('create_transfers', (c) => c.createTransfers(transfers));
  results.forEach((result, i) => {
    if (result.status !== CreateTransferStatus.created && result.status !== CreateTransferStatus.exists) {
      throw new DaemonError(
        'ILPD_ERR_LEDGER_WRITE_FAILED',
        `${connection.description}: limit adjustment ${transfers[i].id} for ${peer.peerId} failed: ` +
          CreateTransferStatus[result.status],
      );
    }
  });
  return balance;
}

function clamp(peer: TbPeer, limit: 'maximum' | 'minimum', want: bigint, logger: Logger): bigint {
  if (want >= 0n) return want;
  logger.warn(
    { peer: peer.peerId, [limit]: String(peer[limit]) },
    `peer balance is already beyond its ${limit}; no headroom until it moves back`,
  );
  return 0n;
}

/** Widens (delta > 0) or narrows (delta < 0) a headroom against the control account; undefined for 0. */
function adjustment(
  peer: TbPeer,
  direction: 'in' | 'out',
  delta: bigint,
  deps: HeadroomDeps,
): Transfer | undefined {
  if (delta === 0n) return undefined;
  const headroom = direction === 'in' ? peer.headroomIn : peer.headroomOut;
  // Incoming headroom lives in HI's credits, outgoing headroom in HO's debits.
  const widen = direction === 'in' ? [peer.control, headroom] : [headroom, peer.control];
  const [debit, credit] = delta > 0n ? widen : [widen[1], widen[0]];
  return newTransfer({
    id: deps.nextTransferId(direction === 'in' ? Leg.AdjustIn : Leg.AdjustOut),
    debit,
    credit,
    amount: delta > 0n ? delta : -delta,
    ledger: peer.ledger,
    code: TransferCode.LimitAdjustment,
    flags: TransferFlags.none,
  });
}
