import { createHash, randomBytes } from 'node:crypto';
import { AccountFlags, TransferFlags, type Account, type Transfer } from 'tigerbeetle-node';

/**
 * How ilpd maps its ledger onto TigerBeetle.
 *
 * Each asset (code + scale) is one TigerBeetle ledger. Per asset: a liquidity account (the connector's
 * side of every packet leg) and a control account (the other side of every headroom transfer). Per peer:
 * - the peer account P: debits = what the peer came to owe us, credits = what we came to owe it, so
 *   balance = debits_posted - credits_posted, pending incoming = debits_pending, pending outgoing =
 *   credits_pending. Only packet legs touch P or liquidity, so per asset they sum to zero.
 * - headroom-in HI (debits_must_not_exceed_credits): credits_posted - debits_posted - debits_pending is
 *   how much more the peer may come to owe us (maximum - balance - pending incoming);
 * - headroom-out HO (credits_must_not_exceed_debits): debits_posted - credits_posted - credits_pending is
 *   how much more we may come to owe it (balance - pending outgoing - minimum).
 * A reservation is one linked chain of pending transfers: the packet legs plus a pending debit of HI
 * (incoming) / credit of HO (outgoing) of the same amount, so TigerBeetle itself refuses a chain that
 * would exceed a limit (exceeds_credits / exceeds_debits) and pending reservations count. A post posts
 * the chain and adds "relief" transfers: what a peer came to owe us more widens its outgoing headroom,
 * what we came to owe it more widens its incoming headroom.
 *
 *
 * Settlement: per asset a settlement account S, the other side of every claim booked. A paid claim is a
 * transfer P → S (debit P: the peer's balance rises, we owe it less), a received claim S → P. Per asset,
 * the peer accounts, liquidity and S sum to zero. A claim's transfer widens one headroom in the same
 * linked chain (paid: headroom-out, received: headroom-in, as a post's relief) and narrows the other
 * with a balancing transfer after the chain, which moves at most what the headroom has (a headroom
 * cannot go below zero; a settlement is never refused for a limit).
 *
 * Ids are deterministic so a retried request is recognised ("exists") and never counted twice: accounts
 * are hashes of (kind, peer, asset); a packet's transfer id is boot (64 bits: ms clock + 16 random bits,
 * unique per process) | packet sequence (60 bits) | leg (4 bits); a claim's is a hash of (direction,
 * channel, cumulative amount) | leg (4 bits), so a claim replayed by any run is "exists".
 */
export const AccountCode = {
  Peer: 1,
  Liquidity: 2,
  HeadroomIn: 3,
  HeadroomOut: 4,
  Control: 5,
  Settlement: 6,
} as const;
export type AccountKind = keyof typeof AccountCode;

export const TransferCode = {
  PacketLeg: 1,
  Headroom: 2,
  Relief: 3,
  LimitAdjustment: 4,
  Settlement: 5,
} as const;

/** Low 4 bits of a claim's transfer ids. */
export const SettlementLeg = { Claim: 0, Widen: 1, Narrow: 2 } as const;

/** Low 4 bits of a transfer id. Post = pending leg + 4, void = pending leg + 8. */
export const Leg = {
  InPending: 0,
  InHeadroomPending: 1,
  OutPending: 2,
  OutHeadroomPending: 3,
  ReliefIn: 12,
  ReliefOut: 13,
  AdjustIn: 14,
  AdjustOut: 15,
} as const;
export const POST_OFFSET = 4;
export const VOID_OFFSET = 8;

/** The most transfers one packet operation needs (a post: four legs and two reliefs). */
export const MAX_TRANSFERS_PER_OP = 6;

export function newBoot(nowMs: number = Date.now()): bigint {
  return (BigInt(nowMs) << 16n) | BigInt(randomBytes(2).readUInt16BE(0));
}

export function transferId(boot: bigint, seq: number, leg: number): bigint {
  return (boot << 64n) | (BigInt(seq) << 4n) | BigInt(leg);
}

export function packetId(boot: bigint, seq: number): bigint {
  return (boot << 64n) | BigInt(seq);
}

function hash(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Ledger number of an asset: nonzero u32 from a hash (collisions are detected at registration). */
export function ledgerNumber(assetCode: string, assetScale: number): number {
  const value = hash(`ilpd/ledger/${assetCode}/${assetScale}`).readUInt32BE(0);
  return value === 0 ? 1 : value;
}

export function accountId(kind: AccountKind, peerId: string, assetCode: string, assetScale: number): bigint {
  const digest = hash(`ilpd/account/${kind}/${peerId}/${assetCode}/${assetScale}`);
  const id = (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
  // 0 and 2^128 - 1 are reserved by TigerBeetle.
  return id === 0n || id === (1n << 128n) - 1n ? 1n : id;
}

/** Id of one of a claim's transfers: hash of (direction, channel, cumulative) with the leg in the low bits. */
export function settlementTransferId(
  direction: 'paid' | 'received',
  channelId: string,
  cumulative: bigint,
  leg: number,
): bigint {
  const digest = hash(`ilpd/claim/${direction}/${channelId}/${cumulative}`);
  const base = ((digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8)) & ~0xfn;
  // Never 0 (reserved) whatever the leg; never 2^128 - 1 since legs are below 15.
  return (base === 0n ? 0x10n : base) | BigInt(leg);
}

export function newAccount(id: bigint, ledger: number, kind: AccountKind): Account {
  const flags =
    kind === 'HeadroomIn'
      ? AccountFlags.debits_must_not_exceed_credits
      : kind === 'HeadroomOut'
        ? AccountFlags.credits_must_not_exceed_debits
        : AccountFlags.none;
  return {
    id,
    debits_pending: 0n,
    debits_posted: 0n,
    credits_pending: 0n,
    credits_posted: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    reserved: 0,
    ledger,
    code: AccountCode[kind],
    flags,
    timestamp: 0n,
  };
}

export interface TransferSpec {
  id: bigint;
  debit: bigint;
  credit: bigint;
  amount: bigint;
  ledger: number;
  code: number;
  flags: number;
  pendingId?: bigint;
  timeoutSeconds?: number;
  userData128?: bigint;
  userData64?: bigint;
}

export function newTransfer(spec: TransferSpec): Transfer {
  return {
    id: spec.id,
    debit_account_id: spec.debit,
    credit_account_id: spec.credit,
    amount: spec.amount,
    pending_id: spec.pendingId ?? 0n,
    user_data_128: spec.userData128 ?? 0n,
    user_data_64: spec.userData64 ?? 0n,
    user_data_32: 0,
    timeout: spec.timeoutSeconds ?? 0,
    ledger: spec.ledger,
    code: spec.code,
    flags: spec.flags,
    timestamp: 0n,
  };
}

/** Links every transfer of a chain to the next; the last closes the chain. */
export function linkChain(chain: Transfer[]): Transfer[] {
  for (let i = 0; i < chain.length - 1; i++) chain[i].flags |= TransferFlags.linked;
  return chain;
}

/** Balance view of a TigerBeetle account, from ilpd's side (positive = owed to us). */
export function debitBalance(account: Account): bigint {
  return account.debits_posted - account.credits_posted;
}
