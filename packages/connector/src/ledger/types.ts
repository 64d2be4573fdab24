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
