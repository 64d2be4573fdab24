import { CreateTransferStatus, TransferFlags, type Transfer } from 'tigerbeetle-node';
import { DaemonError } from '../../errors';
import type { ClaimEntry } from '../claims';
import type { ClaimRecord, PacketHandle } from '../types';
import {
  Leg,
  POST_OFFSET,
  SettlementLeg,
  TransferCode,
  VOID_OFFSET,
  linkChain,
  newTransfer,
  packetId,
  settlementTransferId,
  transferId,
} from './model';

/** A registered peer's TigerBeetle accounts and limits. */
export interface TbPeer {
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly ledger: number;
  readonly account: bigint;
  readonly headroomIn: bigint;
  readonly headroomOut: bigint;
  readonly liquidity: bigint;
  readonly control: bigint;
  readonly settlement: bigint;
  readonly maximum?: bigint;
  readonly minimum?: bigint;
}

export const OpKind = { Reserve: 0, Post: 1, Void: 2, Settle: 3 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];
export type PacketOpKind = Exclude<OpKind, typeof OpKind.Settle>;

/** One write through the batch writer: a packet operation or a claim. */
export type TbOp = TbPacketOp | TbSettleOp;

export interface TbSettleOp extends TbOpState {
  readonly kind: typeof OpKind.Settle;
  readonly settlement: TbSettlement;
}

export interface TbPacketOp extends TbOpState {
  readonly kind: PacketOpKind;
  readonly reservation: TbReservation;
}

/** The op's transfers, linked as they are sent. */
export function opTransfers(op: TbOp): Transfer[] {
  return op.kind === OpKind.Settle
    ? op.settlement.transfers()
    : linkChain(op.reservation.transfersFor(op.kind));
}

export function opTransferCount(op: TbOp): number {
  return op.kind === OpKind.Settle ? op.settlement.transferCount : op.reservation.transferCount(op.kind);
}

/** The op's outcome from the statuses of its transfers: undefined when it is in place. */
export function judgeOp(op: TbOp, statuses: readonly number[]): DaemonError | undefined {
  return op.kind === OpKind.Settle ? op.settlement.judge(statuses) : op.reservation.judge(op.kind, statuses);
}

interface TbOpState {
  /** Set by the batch write when TigerBeetle refused this op's chain. */
  outcome: DaemonError | undefined;
  /** Set once the op's chain is in a request handed to the client: from then on it may be applied. */
  sent: boolean;
  /**
   * A reservation whose caller stopped waiting (requestTimeoutMs): never sent if not sent yet, voided
   * as soon as it is known to be in place otherwise.
   */
  abandoned: boolean;
  /** Set when the clients were released (stop) before the cluster answered this op's request. */
  uncertain: boolean;
  /** Set once a post's balance change is counted in the ledger's known balances (a batch may be judged twice). */
  counted: boolean;
}

interface PendingLeg {
  readonly leg: number;
  readonly debit: bigint;
  readonly credit: bigint;
  readonly amount: bigint;
  readonly ledger: number;
  readonly code: number;
}

const S = CreateTransferStatus;
/** Statuses that mean "this transfer is (now or from an earlier attempt) in place". */
const DONE = new Set<number>([S.created, S.exists]);
const POST_DONE = new Set<number>([S.created, S.exists, S.pending_transfer_already_posted]);
const VOID_DONE = new Set<number>([
  S.created,
  S.exists,
  S.pending_transfer_already_voided,
  S.pending_transfer_expired,
]);

/**
 * A reservation's TigerBeetle timeout, in whole seconds from the pending's cluster timestamp: it
 * expires no later than the incoming Prepare (about when, or up to the reserve's latency after), so a
 * post the cluster applies after the packet's expiry fails by itself (pending_transfer_expired) rather
 * than charge a peer who was told the packet expired; and never later than pendingTimeoutMs. At least
 * one second: 0 would mean no timeout at all.
 */
export function pendingTimeoutSeconds(expiresAtMs: number, pendingTimeoutMs: number, nowMs: number): number {
  const safetyNet = Math.ceil(pendingTimeoutMs / 1000);
  const untilExpiry = Math.floor((expiresAtMs - nowMs) / 1000);
  return Math.max(1, Math.min(safetyNet, untilExpiry));
}

/**
 * One packet's reservation on TigerBeetle: its pending legs (zero-amount legs are left out: TigerBeetle
 * refuses empty transfers), and the chains that reserve, post or void them. Which headroom and relief
 * transfers exist is fixed at reserve time from the peers' limits then.
 */
export class TbReservation implements PacketHandle {
  state: PacketOpKind = OpKind.Reserve;
  private readonly legs: PendingLeg[] = [];
  private readonly reliefs: Transfer[] = [];

  constructor(
    readonly owner: object,
    private readonly boot: bigint,
    private readonly seq: number,
    readonly from: TbPeer,
    readonly inAmount: bigint,
    readonly to: TbPeer,
    readonly outAmount: bigint,
    private readonly timeoutSeconds: number,
  ) {
    const packet = TransferCode.PacketLeg;
    const headroom = TransferCode.Headroom;
    if (inAmount > 0n) {
      this.leg(Leg.InPending, from.account, from.liquidity, inAmount, from.ledger, packet);
      if (from.maximum !== undefined) {
        this.leg(Leg.InHeadroomPending, from.headroomIn, from.control, inAmount, from.ledger, headroom);
      }
      // The peer now owes us more, so we may come to owe it more before its minimum.
      if (from.minimum !== undefined)
        this.relief(Leg.ReliefIn, from.headroomOut, from.control, inAmount, from.ledger);
    }
    if (outAmount > 0n) {
      this.leg(Leg.OutPending, to.liquidity, to.account, outAmount, to.ledger, packet);
      if (to.minimum !== undefined) {
        this.leg(Leg.OutHeadroomPending, to.control, to.headroomOut, outAmount, to.ledger, headroom);
      }
      // We now owe the peer more, so it may come to owe us more before its maximum.
      if (to.maximum !== undefined)
        this.relief(Leg.ReliefOut, to.control, to.headroomIn, outAmount, to.ledger);
    }
  }

  get id(): bigint {
    return packetId(this.boot, this.seq);
  }

  transfersFor(kind: PacketOpKind): Transfer[] {
    if (kind === OpKind.Reserve) {
      return this.legs.map((l) =>
        newTransfer({
          id: transferId(this.boot, this.seq, l.leg),
          debit: l.debit,
          credit: l.credit,
          amount: l.amount,
          ledger: l.ledger,
          code: l.code,
          flags: TransferFlags.pending,
          timeoutSeconds: this.timeoutSeconds,
          userData128: this.id,
          userData64: this.boot,
        }),
      );
    }
    const post = kind === OpKind.Post;
    const resolutions = this.legs.map((l) =>
      newTransfer({
        id: transferId(this.boot, this.seq, l.leg + (post ? POST_OFFSET : VOID_OFFSET)),
        debit: l.debit,
        credit: l.credit,
        amount: l.amount,
        ledger: l.ledger,
        code: l.code,
        flags: post ? TransferFlags.post_pending_transfer : TransferFlags.void_pending_transfer,
        pendingId: transferId(this.boot, this.seq, l.leg),
        userData128: this.id,
        userData64: this.boot,
      }),
    );
    // Fresh objects each time: linkChain sets flags in place and a batch may be replayed.
    return post ? [...resolutions, ...this.reliefs.map((t) => ({ ...t }))] : resolutions;
  }

  /** Transfers the chain of an op of this kind holds. */
  transferCount(kind: PacketOpKind): number {
    return kind === OpKind.Post ? this.legs.length + this.reliefs.length : this.legs.length;
  }

  /** The op's outcome from its chain's statuses: undefined when the chain is in place. */
  judge(kind: PacketOpKind, statuses: readonly number[]): DaemonError | undefined {
    const done = kind === OpKind.Reserve ? DONE : kind === OpKind.Post ? POST_DONE : VOID_DONE;
    // A chain is atomic: one member found done (e.g. "exists" on a replay) means all of it is; the
    // others then report linked_event_failed.
    const failures = statuses.filter((s) => !done.has(s) && s !== S.linked_event_failed);
    if (failures.length === 0) return undefined;
    const names = failures.map((s) => S[s] ?? String(s)).join(', ');
    if (kind === OpKind.Reserve) {
      // Only the headroom accounts carry limit flags; an id that already failed failed on a limit too.
      const limit = failures.every(
        (s) => s === S.exceeds_credits || s === S.exceeds_debits || s === S.id_already_failed,
      );
      return new DaemonError(
        limit ? 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED' : 'ILPD_ERR_LEDGER_WRITE_FAILED',
        `TigerBeetle refused reservation ${this.id}: ${names}`,
      );
    }
    return new DaemonError(
      'ILPD_ERR_LEDGER_NOT_PENDING',
      `TigerBeetle refused to ${kind === OpKind.Post ? 'post' : 'void'} reservation ${this.id}: ${names}`,
    );
  }

  private leg(
    leg: number,
    debit: bigint,
    credit: bigint,
    amount: bigint,
    ledger: number,
    code: number,
  ): void {
    this.legs.push({ leg, debit, credit, amount, ledger, code });
  }

  private relief(leg: number, debit: bigint, credit: bigint, amount: bigint, ledger: number): void {
    this.reliefs.push(
      newTransfer({
        id: transferId(this.boot, this.seq, leg),
        debit,
        credit,
        amount,
        ledger,
        code: TransferCode.Relief,
        flags: TransferFlags.none,
        userData128: this.id,
        userData64: this.boot,
      }),
    );
  }
}

/** Statuses that mean a claim's transfer is in place: "exists" with other flags is the same claim sent
 * alone by reconciliation (or in its chain by the run that made it). */
export const CLAIM_DONE = new Set<number>([
  S.created,
  S.exists,
  S.exists_with_different_flags,
  S.linked_event_failed,
]);

/**
 * One claim's transfers on TigerBeetle: the claim's transfer between the peer's and the settlement
 * account, linked with the widening of one headroom (the change frees headroom as a post's relief does,
 * and only once it is in the cluster), then the narrowing of the other headroom as a separate balancing
 * transfer (it moves what the headroom has, at most the amount; its outcome does not decide the claim's).
 * A claim of amount 0 has no transfers. Ids derive from the claim, so a replay by any run is "exists".
 */
export class TbSettlement {
  readonly transferCount: number;
  private readonly chain: Transfer[] = [];
  private readonly narrowing: Transfer | undefined;

  constructor(
    readonly entry: ClaimEntry,
    readonly peer: TbPeer,
    readonly amount: bigint,
  ) {
    const { direction, channelId, cumulative } = entry.claim;
    const id = (leg: number) => settlementTransferId(direction, channelId, cumulative, leg);
    const paid = direction === 'paid';
    if (amount > 0n) {
      const { ledger, control } = peer;
      this.chain.push(claimTransfer(entry.claim, peer, amount));
      // paid: the peer owes us more (relatively), so we may come to owe it more: widen headroom-out and
      // narrow headroom-in. received: the other way round.
      const widen = paid
        ? peer.minimum !== undefined && { debit: peer.headroomOut, credit: control }
        : peer.maximum !== undefined && { debit: control, credit: peer.headroomIn };
      if (widen) {
        this.chain.push(
          newTransfer({
            id: id(SettlementLeg.Widen),
            ...widen,
            amount,
            ledger,
            code: TransferCode.Relief,
            flags: 0,
          }),
        );
      }
      const narrow = paid
        ? peer.maximum !== undefined && {
            debit: peer.headroomIn,
            credit: control,
            flags: TransferFlags.balancing_debit,
          }
        : peer.minimum !== undefined && {
            debit: control,
            credit: peer.headroomOut,
            flags: TransferFlags.balancing_credit,
          };
      if (narrow) {
        this.narrowing = newTransfer({
          id: id(SettlementLeg.Narrow),
          ...narrow,
          amount,
          ledger,
          code: TransferCode.Relief,
        });
      }
    }
    this.transferCount = this.chain.length + (this.narrowing === undefined ? 0 : 1);
  }

  get claim(): ClaimRecord {
    return this.entry.claim;
  }

  /** Fresh objects each time: a batch may be sent again. */
  transfers(): Transfer[] {
    const out = linkChain(this.chain.map((t) => ({ ...t })));
    if (this.narrowing !== undefined) out.push({ ...this.narrowing });
    return out;
  }

  judge(statuses: readonly number[]): DaemonError | undefined {
    const chain = statuses.slice(0, this.chain.length);
    const failures = chain.filter((s) => !CLAIM_DONE.has(s));
    // A chain member "linked_event_failed" beside one that is in place is the replay of a chain in place.
    if (failures.length === 0 && chain.some((s) => s !== S.linked_event_failed)) return undefined;
    const names = (failures.length > 0 ? failures : chain).map((s) => S[s] ?? String(s)).join(', ');
    return new DaemonError(
      'ILPD_ERR_LEDGER_WRITE_FAILED',
      `TigerBeetle refused claim ${this.claim.cumulative} on ${this.claim.direction} channel ` +
        `${this.claim.channelId}: ${names}`,
    );
  }
}

/** The claim's own transfer, alone (as reconciliation sends it) or first in its chain. */
export function claimTransfer(
  claim: ClaimRecord,
  peer: Pick<TbPeer, 'account' | 'settlement' | 'ledger'>,
  amount: bigint,
): Transfer {
  const paid = claim.direction === 'paid';
  return newTransfer({
    id: settlementTransferId(claim.direction, claim.channelId, claim.cumulative, SettlementLeg.Claim),
    debit: paid ? peer.account : peer.settlement,
    credit: paid ? peer.settlement : peer.account,
    amount,
    ledger: peer.ledger,
    code: TransferCode.Settlement,
    flags: TransferFlags.none,
  });
}
