import type { ClaimRecord } from '../types';
import type { PackedWrites } from './packed-writes';
import type { AccountKind, StoredAccount } from './sqlite-store';

/** What the writer thread is started with (workerData). */
export interface WriterThreadData {
  /** Absolute path of the SQLite file. */
  readonly path: string;
}

/** Start-of-run result: recovery has voided what the previous run left pending. */
export interface Recovered {
  readonly boot: number;
  readonly voided: number;
  readonly accounts: StoredAccount[];
  /** The best claim of every (direction, channel). */
  readonly claims: ClaimRecord[];
}

export interface AccountKey {
  readonly kind: AccountKind;
  /** '' for an asset's own accounts (liquidity, settlement). */
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
}

/**
 * Requests the main thread sends to the writer thread. The thread answers each with one WriterReply of
 * the same id, in order: a commit's reply means its transaction is durable (or failed).
 */
export type WriterRequest =
  | { readonly id: number; readonly kind: 'recover' }
  | { readonly id: number; readonly kind: 'ensureAccount'; readonly account: AccountKey }
  | ({ readonly id: number; readonly kind: 'commit'; readonly replay: boolean } & PackedWrites)
  | { readonly id: number; readonly kind: 'close' };

export interface WriterReply {
  readonly id: number;
  /** Set when the request failed; the store's error code (e.g. SQLITE_FULL) when it has one. */
  readonly error?: { readonly message: string; readonly code?: string };
  readonly result?: Recovered | StoredAccount;
}
