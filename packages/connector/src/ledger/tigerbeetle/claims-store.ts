import Database from 'better-sqlite3';
import { DaemonError } from '../../errors';
import type { ClaimRecord } from '../types';
import { openLockedDatabase } from '../embedded/locked-database';
import type { LedgerWriterLock } from '../embedded/writer-lock';

/**
 * The TigerBeetle backend's claims: TigerBeetle holds a claim's amount (a transfer whose id derives from
 * the claim) but not the claim itself (signature, channel, peer), so the claims live in this local
 * SQLite file (WAL, synchronous=FULL: a commit returns once fsynced). A claim is written here as an
 * **intent** before its transfer is sent, and marked **applied** once the cluster holds the transfer.
 * So every transfer of a claim has its claim here, and at start every intent is settled against the
 * cluster (TigerBeetleLedger.reconcileClaims): its transfer exists → applied; else it is applied then.
 *
 * Table claims, one row per (direction, channel, cumulative): per channel, the best applied claim (lower
 * applied rows are deleted when a higher one is marked) and the intents not yet marked. `cumulative_key`
 * is the cumulative amount zero-padded to CUMULATIVE_DIGITS, so text order is numeric order.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
  direction TEXT NOT NULL CHECK (direction IN ('paid', 'received')),
  channel_id TEXT NOT NULL,
  cumulative_key TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  chain TEXT NOT NULL,
  signature TEXT NOT NULL,
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  amount TEXT NOT NULL,
  applied INTEGER NOT NULL,
  PRIMARY KEY (direction, channel_id, cumulative_key)
) WITHOUT ROWID;
`;
const SCHEMA_VERSION = '1';

/** Digits of the widest cumulative amount a claim may carry (a u256 has 78). */
export const CUMULATIVE_DIGITS = 80;

/** A claim written before its transfer, with what reconciliation needs to send that transfer alone. */
export interface ClaimIntent {
  readonly claim: ClaimRecord;
  /** Asset units the claim books. */
  readonly amount: bigint;
  readonly assetCode: string;
  readonly assetScale: number;
}

export type ClaimsStoreOp =
  | { readonly kind: 'intent'; readonly intent: ClaimIntent }
  /** The claim's transfer is in the cluster: it is (or is below) the channel's best applied claim. */
  | { readonly kind: 'applied'; readonly claim: ClaimRecord }
  /** The claim's transfer was refused and never will be in the cluster. */
  | { readonly kind: 'drop'; readonly claim: ClaimRecord };

export class TigerBeetleClaimsStore {
  private readonly insertIntent: Database.Statement;
  private readonly markApplied: Database.Statement;
  private readonly pruneBelowBest: Database.Statement;
  private readonly deleteIntent: Database.Statement;
  private readonly commitTransaction: (ops: readonly ClaimsStoreOp[]) => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly lock: LedgerWriterLock,
  ) {
    this.insertIntent = db.prepare(
      'INSERT INTO claims (direction, channel_id, cumulative_key, peer_id, chain, signature, asset_code, ' +
        'asset_scale, amount, applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ' +
        'ON CONFLICT (direction, channel_id, cumulative_key) DO NOTHING',
    );
    this.markApplied = db.prepare(
      'UPDATE claims SET applied = 1 WHERE direction = ? AND channel_id = ? AND cumulative_key = ?',
    );
    this.pruneBelowBest = db.prepare(
      'DELETE FROM claims WHERE direction = ? AND channel_id = ? AND applied = 1 AND cumulative_key < ' +
        '(SELECT max(cumulative_key) FROM claims WHERE direction = ? AND channel_id = ? AND applied = 1)',
    );
    this.deleteIntent = db.prepare(
      'DELETE FROM claims WHERE direction = ? AND channel_id = ? AND cumulative_key = ? AND applied = 0',
    );
    this.commitTransaction = db.transaction((ops: readonly ClaimsStoreOp[]) => {
      for (const op of ops) this.apply(op);
    });
  }

  /** Opens (creating if needed) the store; one writer per file (`<file>.lock`, as the embedded store). */
  static open(path: string): TigerBeetleClaimsStore {
    return openLockedDatabase(
      path,
      { name: 'claims', ddl: SCHEMA, version: SCHEMA_VERSION },
      (db, lock) => new TigerBeetleClaimsStore(db, lock),
    );
  }

  /** The key of a cumulative amount; throws INVALID_AMOUNT for one wider than the store keeps. */
  static cumulativeKey(cumulative: bigint): string {
    const digits = cumulative.toString();
    if (cumulative < 0n || digits.length > CUMULATIVE_DIGITS) {
      throw new DaemonError('ILPD_ERR_INVALID_AMOUNT', `claim amount ${digits} is out of range`);
    }
    return digits.padStart(CUMULATIVE_DIGITS, '0');
  }

  /** The best applied claim of every channel, and every intent (read at start). */
  load(): { applied: ClaimRecord[]; intents: ClaimIntent[] } {
    const rows = this.db.prepare('SELECT * FROM claims ORDER BY cumulative_key').all() as ClaimRow[];
    const applied: ClaimRecord[] = [];
    const intents: ClaimIntent[] = [];
    for (const row of rows) {
      const claim: ClaimRecord = {
        peerId: row.peer_id,
        direction: row.direction,
        chain: row.chain,
        channelId: row.channel_id,
        cumulative: BigInt(row.cumulative_key),
        signature: row.signature,
      };
      if (row.applied === 1) applied.push(claim);
      else {
        intents.push({
          claim,
          amount: BigInt(row.amount),
          assetCode: row.asset_code,
          assetScale: row.asset_scale,
        });
      }
    }
    return { applied, intents };
  }

  /** Writes the ops in one transaction; idempotent (a batch may be written again after a failure). */
  commit(ops: readonly ClaimsStoreOp[]): void {
    this.commitTransaction(ops);
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock.release();
  }

  private apply(op: ClaimsStoreOp): void {
    if (op.kind === 'intent') {
      const { claim, amount, assetCode, assetScale } = op.intent;
      this.insertIntent.run(
        claim.direction,
        claim.channelId,
        TigerBeetleClaimsStore.cumulativeKey(claim.cumulative),
        claim.peerId,
        claim.chain,
        claim.signature,
        assetCode,
        assetScale,
        amount.toString(),
      );
      return;
    }
    const { direction, channelId, cumulative } = op.claim;
    const key = TigerBeetleClaimsStore.cumulativeKey(cumulative);
    if (op.kind === 'drop') {
      this.deleteIntent.run(direction, channelId, key);
      return;
    }
    this.markApplied.run(direction, channelId, key);
    this.pruneBelowBest.run(direction, channelId, direction, channelId);
  }
}

interface ClaimRow {
  direction: 'paid' | 'received';
  channel_id: string;
  cumulative_key: string;
  peer_id: string;
  chain: string;
  signature: string;
  asset_code: string;
  asset_scale: number;
  amount: string;
  applied: number;
}
