import { DaemonError } from '../errors';
import type { ClaimRecord, PacketReservation } from './types';

/**
 * Preconditions every ledger backend checks the same way, in the same order, so both backends answer
 * a bad or unaffordable request with the same code (the conformance suite holds them to it).
 */

/** The error for any call on a ledger that is not (or no longer) running. */
export function ledgerUnavailable(): DaemonError {
  return new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'the ledger is not running');
}

/** One asset's key in per-asset maps: code and scale together (USD at scale 2 and 9 are two assets). */
export function assetKey(assetCode: string, assetScale: number): string {
  return `${assetCode}/${assetScale}`;
}

/**
 * The registered accounts of a reservation's two peers, once its preconditions hold: both peers are
 * registered (else UNKNOWN_ACCOUNT), neither amount is negative (INVALID_AMOUNT) and the write queue
 * has room (else OVERLOADED, T03: the packet is shed before it reserves anything).
 */
export function reservationAccounts<Account>(
  peers: ReadonlyMap<string, Account>,
  reservation: PacketReservation,
  backlog: number,
  maxQueue: number,
): { from: Account; to: Account } {
  const { incoming, outgoing } = reservation;
  const from = peers.get(incoming.peerId);
  const to = peers.get(outgoing.peerId);
  if (from === undefined || to === undefined) {
    const peerId = from === undefined ? incoming.peerId : outgoing.peerId;
    throw new DaemonError('ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT', `peer ${peerId} is not registered`);
  }
  if (incoming.amount < 0n || outgoing.amount < 0n) {
    throw new DaemonError('ILPD_ERR_INVALID_AMOUNT', 'reservation amounts must not be negative');
  }
  if (backlog >= maxQueue) {
    throw new DaemonError('ILPD_ERR_LEDGER_OVERLOADED', `ledger write queue holds ${backlog} transfers`);
  }
  return { from, to };
}

/**
 * The registered account a claim books to, once its preconditions hold: the peer is registered (else
 * UNKNOWN_ACCOUNT), the amount is not negative and the claim's cumulative amount is above 0 (else
 * INVALID_AMOUNT: a claim of 0 pays nothing and could never be above a stored one).
 */
export function settlementAccount<Account>(
  peers: ReadonlyMap<string, Account>,
  claim: ClaimRecord,
  amount: bigint,
): Account {
  const account = peers.get(claim.peerId);
  if (account === undefined) {
    throw new DaemonError('ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT', `peer ${claim.peerId} is not registered`);
  }
  if (amount < 0n)
    throw new DaemonError('ILPD_ERR_INVALID_AMOUNT', 'a settlement amount must not be negative');
  if (claim.cumulative <= 0n) {
    throw new DaemonError('ILPD_ERR_INVALID_AMOUNT', 'a claim must pay more than 0 in total');
  }
  if (claim.direction !== 'paid' && claim.direction !== 'received') {
    throw new DaemonError('ILPD_ERR_INVALID_AMOUNT', `unknown claim direction ${String(claim.direction)}`);
  }
  return account;
}
