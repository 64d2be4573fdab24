import type { LedgerConfig } from '../config/types';

/**
 * The ledger boundary. Every packet's balance effect goes through here: reserve (pending transfers) on
 * Prepare, post on Fulfill, void on Reject/timeout/expiry. Double entry: each change is a transfer
 * between two accounts of the same asset ledger, so per asset the sum of all balances stays zero.
 */
export interface LedgerPeerAccount {
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
  /** Positive = the peer owes us. Most the peer may owe us; undefined = unlimited. */
  readonly maximum?: bigint;
  /** Most we may owe the peer, as a balance floor (<= 0); undefined = unlimited. */
  readonly minimum?: bigint;
}

export interface PacketReservation {
  /** The peer that sent us the Prepare: on post it owes us `amount` more. */
  readonly incoming: { readonly peerId: string; readonly amount: bigint };
  /** The peer we forward to: on post we owe it `amount` more. */
  readonly outgoing: { readonly peerId: string; readonly amount: bigint };
  /** Expiry of the incoming Prepare (ms since epoch): after it the reservation can never be posted. */
  readonly expiresAtMs: number;
}

/** Opaque to callers; identifies the pending transfers of one packet. */
export interface PacketHandle {
  readonly id: bigint;
}

export interface PeerBalance {
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
  /** Posted balance, positive = the peer owes us. */
  readonly balance: bigint;
  /** Reserved by pending incoming Prepares (would raise balance on post). */
  readonly pendingIncoming: bigint;
  /** Reserved by pending outgoing Prepares (would lower balance on post). */
  readonly pendingOutgoing: bigint;
}

export interface LedgerObserver {
  onBatchFlushed(size: number, seconds: number, ok: boolean): void;
}

export interface Ledger {
  readonly backend: LedgerConfig['backend'];
  /**
   * Opens the store and recovers: pending transfers left by a previous run are voided (the TigerBeetle
   * backend does this per asset, at the asset's first registerPeer, before any traffic).
   */
  start(): Promise<void>;
  /** Flushes every queued write (each promise settles), then releases the store/client. */
  stop(): Promise<void>;
  /** True while the backend is reachable and accepting writes (for /readyz). */
  isReady(): boolean;
  /** Creates the peer's accounts if missing and applies its limits. Idempotent. */
  registerPeer(account: LedgerPeerAccount): Promise<void>;
  /**
   * Reserves the packet's amounts as pending transfers, enforcing both peers' limits atomically.
   * Rejects with a DaemonError: ILPD_ERR_LEDGER_LIMIT_EXCEEDED (→ T04), ILPD_ERR_LEDGER_OVERLOADED (→ T03),
   * ILPD_ERR_LEDGER_UNAVAILABLE (→ T00).
   */
  reserve(reservation: PacketReservation): Promise<PacketHandle>;
  /**
   * Posts the reservation; resolves only once the post is durable, rejects only once it is certain the
   * post is not in the ledger and never will be (an unanswered write is waited for, never reported as
   * failed). After the reservation's expiresAtMs a post fails.
   */
  post(handle: PacketHandle): Promise<void>;
  /** Voids the reservation; resolves once recorded. */
  void(handle: PacketHandle): Promise<void>;
  balances(): Promise<PeerBalance[]>;
}

/**
 * A signed cumulative claim on a payment channel, stored with the value it carried. Claims are
 * cumulative (the total ever paid on the channel), so the best one supersedes every earlier one.
 */
export interface ClaimRecord {
  readonly peerId: string;
  /** paid: we signed it for the peer (we owe it less); received: the peer signed it for us. */
  readonly direction: 'paid' | 'received';
  /** The chain of the channel ('evm', 'xrpl'). */
  readonly chain: string;
  readonly channelId: string;
  /** Total ever paid on the channel, in the chain's unit (wei, drops). */
  readonly cumulative: bigint;
  /** Hex signature, as the chain's verifier takes it. */
  readonly signature: string;
}

/**
 * applied: the claim is stored and its amount booked, durably; stale: a claim on this channel at
 * least as high is already stored (nothing changed); foreign-channel: the channel belongs to another
 * peer (nothing changed).
 */
export type SettlementOutcome = 'applied' | 'stale' | 'foreign-channel';

/**
 * Settlement's side of the ledger: the same durability and double entry as packets. Per asset, the peers'
 * accounts, the liquidity account and the settlement account sum to zero.
 */
export interface SettlementLedger {
  /**
   * Books a claim: `amount` (asset units, >= 0) moves between the peer's account and the asset's
   * settlement account (paid: the peer's balance rises, we owe it less; received: it falls) and the
   * claim becomes the best of its channel and direction, in one durable commit, only if its cumulative
   * amount is above the stored best. An amount of 0 stores the claim and moves nothing. A settlement
   * changes headroom as a post does, and frees it only once durable. Resolves once durable; 'stale' and
   * 'foreign-channel' only once the claim they are judged against is durable. Idempotent: a replay is
   * 'stale'. Rejects with ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT (peer not registered), ILPD_ERR_INVALID_AMOUNT
   * (negative amount, cumulative not above 0) or a write error (nothing booked).
   */
  recordSettlement(claim: ClaimRecord, amount: bigint): Promise<SettlementOutcome>;
  /** The best stored claim of every channel, in each direction (read at start). */
  claims(): Promise<ClaimRecord[]>;
  /**
   * The peer's posted balance as far as it is durable, as this process knows it (positive = it owes us);
   * undefined = unknown peer. Synchronous and cheap: settlement reads it after every durable post.
   */
  postedBalance(peerId: string): bigint | undefined;
}
