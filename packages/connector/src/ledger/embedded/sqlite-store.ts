import Database from 'better-sqlite3';
import type { ClaimRecord } from '../types';
import { LedgerWriterLock } from './writer-lock';
import { openLockedDatabase } from './locked-database';

/**
 * The embedded ledger's durable store: one SQLite file in WAL mode with synchronous=FULL, so a commit
 * returns only after its WAL frames are fsynced. A committed post therefore survives kill -9 and power
 * loss (synchronous=NORMAL would only survive the former). One transaction per batch (group commit).
 *
 * Tables:
 * - accounts: one row per (peer, asset), one liquidity and one settlement row per asset; `balance` is the
 *   posted balance as a decimal string (amounts are u64, sums may exceed SQLite's i64), positive = owed
 *   to us.
 * - packets: one row per open packet, holding both legs (incoming: peer → liquidity of its asset;
 *   outgoing: liquidity of its asset → peer), so the legs commit together or not at all. state 0 =
 *   pending, 1 = posted, 2 = voided. A pending row is resolved at most once (deleted, or moved to a
 *   resolved state), and the balances change in the same transaction only when it is: replaying a batch
 *   can never count a post twice. Resolved rows are deleted once no replay can need them.
 * - claims: the best claim of each (direction, channel), with the peer it binds the channel to. A claim
 *   row is written only over a lower claim of the same peer, and the claim's amount moves between the
 *   peer's and the settlement account in the same transaction only when the row is written: replaying
 *   a batch can never book a claim twice.
 */
export const PacketState = { Pending: 0, Posted: 1, Voided: 2 } as const;
export type PacketState = (typeof PacketState)[keyof typeof PacketState];

export type AccountKind = 'peer' | 'liquidity' | 'settlement';

export interface StoredAccount {
  readonly id: number;
  readonly kind: AccountKind;
  /** '' for an asset's own accounts (liquidity, settlement). */
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly balance: bigint;
}

/** The durable fields of a packet's two linked legs. */
export interface PacketRecord {
  readonly boot: number;
  readonly seq: number;
  readonly inAccountId: number;
  readonly inLiquidityId: number;
  readonly inAmount: bigint;
  readonly outAccountId: number;
  readonly outLiquidityId: number;
  readonly outAmount: bigint;
  /**
   * The packet's pending row is known to be committed. Then a post or void deletes the row (a replay
   * finds nothing to delete and changes nothing). Otherwise it inserts or updates the row to a resolved
   * state, kept until its batch can no longer be replayed.
   */
  readonly pendingRowCommitted?: boolean;
}

export interface PacketWrite {
  readonly state: PacketState;
  readonly packet: PacketRecord;
}

/** Record kind of a settlement in a batch, beside the packet states. */
export const SETTLEMENT_WRITE = 3;

/** The durable fields of one booked claim. */
export interface SettlementRecord {
  readonly peerAccountId: number;
  readonly settlementAccountId: number;
  /** Asset units; paid: the peer's balance rises by it, received: it falls. */
  readonly amount: bigint;
  readonly claim: ClaimRecord;
}

export interface SettlementWrite {
  readonly state: typeof SETTLEMENT_WRITE;
  readonly settlement: SettlementRecord;
}

/** One write of a batch: a packet's state change or a claim. */
export type StoreWrite = PacketWrite | SettlementWrite;

export interface StoreSnapshot {
  readonly accounts: StoredAccount[];
  /** Per account id: amounts reserved by pending rows (incoming raises, outgoing lowers the balance). */
  readonly pendingIn: Map<number, bigint>;
  readonly pendingOut: Map<number, bigint>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('peer', 'liquidity', 'settlement')),
  peer_id TEXT NOT NULL,
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  balance TEXT NOT NULL DEFAULT '0',
  UNIQUE (kind, peer_id, asset_code, asset_scale)
);
CREATE TABLE IF NOT EXISTS packets (
  boot INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  state INTEGER NOT NULL,
  in_account INTEGER NOT NULL,
  in_amount TEXT NOT NULL,
  out_account INTEGER NOT NULL,
  out_amount TEXT NOT NULL,
  PRIMARY KEY (boot, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
  direction TEXT NOT NULL CHECK (direction IN ('paid', 'received')),
  channel_id TEXT NOT NULL,
  peer_id TEXT NOT NULL,
  chain TEXT NOT NULL,
  cumulative TEXT NOT NULL,
  signature TEXT NOT NULL,
  PRIMARY KEY (direction, channel_id)
) WITHOUT ROWID;
`;

/** 1: accounts and packets; 2: settlement accounts and the claims table. */
const SCHEMA_VERSION = '2';

/** Version 1 allowed only peer and liquidity accounts: the table is rebuilt with the wider check. */
const MIGRATE_1_TO_2 = `
CREATE TABLE accounts_v2 (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('peer', 'liquidity', 'settlement')),
  peer_id TEXT NOT NULL,
  asset_code TEXT NOT NULL,
  asset_scale INTEGER NOT NULL,
  balance TEXT NOT NULL DEFAULT '0',
  UNIQUE (kind, peer_id, asset_code, asset_scale)
);
INSERT INTO accounts_v2 (id, kind, peer_id, asset_code, asset_scale, balance)
  SELECT id, kind, peer_id, asset_code, asset_scale, balance FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_v2 RENAME TO accounts;
UPDATE meta SET value = '2' WHERE key = 'schema_version';
`;

export class SqliteLedgerStore {
  private readonly insertPending: Database.Statement;
  private readonly resolve: Database.Statement;
  private readonly prune: Database.Statement;
  private readonly deletePending: Database.Statement;
  private readonly readBalance: Database.Statement;
  private readonly writeBalance: Database.Statement;
  private readonly readClaim: Database.Statement;
  private readonly writeClaim: Database.Statement;
  private readonly writeTransaction: (writes: readonly StoreWrite[]) => void;
  /**
   * Resolved rows are kept while their batch may still be replayed, then deleted: `current` holds the
   * rows the batch being written resolved, `prunable` those of finished batches not yet deleted.
   */
  private current: PacketRecord[] = [];
  private prunable: PacketRecord[] = [];
  private readonly deltas = new Map<number, bigint>();

  private constructor(
    private readonly db: Database.Database,
    private readonly lock: LedgerWriterLock,
  ) {
    this.insertPending = db.prepare(
      'INSERT INTO packets (boot, seq, state, in_account, in_amount, out_account, out_amount) ' +
        'VALUES (?, ?, 0, ?, ?, ?, ?) ON CONFLICT (boot, seq) DO NOTHING',
    );
    this.resolve = db.prepare(
      'INSERT INTO packets (boot, seq, state, in_account, in_amount, out_account, out_amount) ' +
        'VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (boot, seq) DO UPDATE SET state = excluded.state ' +
        'WHERE packets.state = 0',
    );
    this.prune = db.prepare('DELETE FROM packets WHERE boot = ? AND seq = ? AND state <> 0');
    this.deletePending = db.prepare('DELETE FROM packets WHERE boot = ? AND seq = ? AND state = 0');
    this.readBalance = db.prepare('SELECT balance FROM accounts WHERE id = ?').pluck();
    this.writeBalance = db.prepare('UPDATE accounts SET balance = ? WHERE id = ?');
    this.readClaim = db.prepare(
      'SELECT peer_id, cumulative FROM claims WHERE direction = ? AND channel_id = ?',
    );
    this.writeClaim = db.prepare(
      'INSERT INTO claims (direction, channel_id, peer_id, chain, cumulative, signature) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (direction, channel_id) DO UPDATE SET chain = excluded.chain, ' +
        'cumulative = excluded.cumulative, signature = excluded.signature',
    );
    this.writeTransaction = db.transaction((writes: readonly StoreWrite[]) => this.applyWrites(writes));
  }

  /** Opens (creating if needed) the store for the daemon: the one writer. */
  static openForWriting(path: string): SqliteLedgerStore {
    return openLockedDatabase(
      path,
      { name: 'ledger', ddl: SCHEMA, version: SCHEMA_VERSION, migrations: { '1': MIGRATE_1_TO_2 } },
      (db, lock) => new SqliteLedgerStore(db, lock),
    );
  }

  /** Reads a store without writing to it (the operator CLI; works while the daemon is stopped). */
  static readSnapshot(path: string): StoreSnapshot {
    // Read-only works on a store a crashed writer left behind too: SQLite rebuilds the WAL index in memory.
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const accounts = (db.prepare('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(
        toAccount,
      );
      const pendingIn = new Map<number, bigint>();
      const pendingOut = new Map<number, bigint>();
      const rows = db
        .prepare('SELECT in_account, in_amount, out_account, out_amount FROM packets WHERE state = 0')
        .all() as PendingRow[];
      for (const row of rows) {
        add(pendingIn, row.in_account, BigInt(row.in_amount));
        add(pendingOut, row.out_account, BigInt(row.out_amount));
      }
      return { accounts, pendingIn, pendingOut };
    } finally {
      db.close();
    }
  }

  /** A new boot number, durable before it is used, so packet ids of this run never repeat earlier ones. */
  nextBoot(): number {
    return this.db.transaction(() => {
      const last = this.db.prepare("SELECT value FROM meta WHERE key = 'boot'").pluck().get() as
        string | undefined;
      const boot = (last === undefined ? 0 : Number(last)) + 1;
      this.db
        .prepare("INSERT INTO meta (key, value) VALUES ('boot', ?) ON CONFLICT (key) DO UPDATE SET value = ?")
        .run(String(boot), String(boot));
      return boot;
    })();
  }

  /**
   * Restart recovery. No packet of an earlier run can complete any more (its Prepare died with that
   * process), so every pending row is voided: deleted, which leaves the balances untouched. Resolved rows
   * only served replays of that run's batches and go too. Returns how many reservations were voided.
   */
  recover(): number {
    return this.db.transaction(() => {
      const pending = this.db.prepare('SELECT count(*) FROM packets WHERE state = 0').pluck().get() as number;
      this.db.prepare('DELETE FROM packets').run();
      return pending;
    })();
  }

  /** The best claim of every (direction, channel). */
  loadClaims(): ClaimRecord[] {
    const rows = this.db.prepare('SELECT * FROM claims').all() as ClaimRow[];
    return rows.map((row) => ({
      peerId: row.peer_id,
      direction: row.direction,
      chain: row.chain,
      channelId: row.channel_id,
      cumulative: BigInt(row.cumulative),
      signature: row.signature,
    }));
  }

  loadAccounts(): StoredAccount[] {
    return (this.db.prepare('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(toAccount);
  }

  /** Returns the account, creating it with a zero balance if missing. */
  ensureAccount(kind: AccountKind, peerId: string, assetCode: string, assetScale: number): StoredAccount {
    this.db
      .prepare(
        'INSERT INTO accounts (kind, peer_id, asset_code, asset_scale) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT (kind, peer_id, asset_code, asset_scale) DO NOTHING',
      )
      .run(kind, peerId, assetCode, assetScale);
    const row = this.db
      .prepare('SELECT * FROM accounts WHERE kind = ? AND peer_id = ? AND asset_code = ? AND asset_scale = ?')
      .get(kind, peerId, assetCode, assetScale) as AccountRow;
    return toAccount(row);
  }

  /**
   * Writes one batch in one transaction; throws if it may not have committed. `replay` marks another
   * attempt at the batch written last (same ops): it may have committed already, so its resolved rows
   * must still be there to recognise it. A new batch means the previous one is finished.
   */
  writeBatch(writes: readonly StoreWrite[], replay: boolean): void {
    if (!replay) {
      for (const p of this.current) this.prunable.push(p);
    }
    this.current = [];
    this.deltas.clear();
    this.writeTransaction(writes);
    this.prunable = [];
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.lock.release();
  }

  private applyWrites(writes: readonly StoreWrite[]): void {
    for (const p of this.prunable) this.prune.run(p.boot, p.seq);
    for (const write of writes) {
      if (write.state === SETTLEMENT_WRITE) {
        this.applySettlement(write.settlement);
        continue;
      }
      const p = write.packet;
      if (write.state === PacketState.Pending) {
        this.insertPending.run(
          p.boot,
          p.seq,
          p.inAccountId,
          p.inAmount.toString(),
          p.outAccountId,
          p.outAmount.toString(),
        );
        continue;
      }
      let changed: number;
      if (p.pendingRowCommitted === true) {
        changed = this.deletePending.run(p.boot, p.seq).changes;
      } else {
        changed = this.resolve.run(
          p.boot,
          p.seq,
          write.state,
          p.inAccountId,
          p.inAmount.toString(),
          p.outAccountId,
          p.outAmount.toString(),
        ).changes;
        this.current.push(p);
      }
      if (changed === 0 || write.state !== PacketState.Posted) continue;
      add(this.deltas, p.inAccountId, p.inAmount);
      add(this.deltas, p.inLiquidityId, -p.inAmount);
      add(this.deltas, p.outLiquidityId, p.outAmount);
      add(this.deltas, p.outAccountId, -p.outAmount);
    }
    for (const [id, delta] of this.deltas) {
      if (delta === 0n) continue;
      const current = BigInt(this.readBalance.get(id) as string);
      this.writeBalance.run((current + delta).toString(), id);
    }
  }

  /**
   * Stores the claim and books its amount, only over a lower claim of the same peer (the main thread
   * sends only claims it judged so; a replayed batch finds its claims stored and changes nothing).
   */
  private applySettlement(s: SettlementRecord): void {
    const { claim } = s;
    const row = this.readClaim.get(claim.direction, claim.channelId) as
      { peer_id: string; cumulative: string } | undefined;
    if (row !== undefined && (row.peer_id !== claim.peerId || BigInt(row.cumulative) >= claim.cumulative))
      return;
    this.writeClaim.run(
      claim.direction,
      claim.channelId,
      claim.peerId,
      claim.chain,
      claim.cumulative.toString(),
      claim.signature,
    );
    if (s.amount === 0n) return;
    const toPeer = claim.direction === 'paid' ? s.amount : -s.amount;
    add(this.deltas, s.peerAccountId, toPeer);
    add(this.deltas, s.settlementAccountId, -toPeer);
  }
}

interface AccountRow {
  id: number;
  kind: AccountKind;
  peer_id: string;
  asset_code: string;
  asset_scale: number;
  balance: string;
}

interface ClaimRow {
  direction: 'paid' | 'received';
  channel_id: string;
  peer_id: string;
  chain: string;
  cumulative: string;
  signature: string;
}

interface PendingRow {
  in_account: number;
  in_amount: string;
  out_account: number;
  out_amount: string;
}

function toAccount(row: AccountRow): StoredAccount {
  return {
    id: row.id,
    kind: row.kind,
    peerId: row.peer_id,
    assetCode: row.asset_code,
    assetScale: row.asset_scale,
    balance: BigInt(row.balance),
  };
}

function add(map: Map<number, bigint>, id: number, amount: bigint): void {
  map.set(id, (map.get(id) ?? 0n) + amount);
}
