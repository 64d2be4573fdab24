import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LedgerWriterLock } from './writer-lock';

/** The schema a SQLite file must carry, and how older versions of it are brought up to date. */
export interface SqliteSchema {
  /** What the file holds, for the version error (e.g. `ledger`, `claims`). */
  readonly name: string;
  /** Idempotent DDL (CREATE … IF NOT EXISTS), including a `meta (key, value)` table. */
  readonly ddl: string;
  readonly version: string;
  /** SQL that upgrades a file from the version named by the key to the next one, in one transaction. */
  readonly migrations?: Readonly<Record<string, string>>;
}

/**
 * Opens (creating if needed) a SQLite file for its one writer: takes `<file>.lock`, sets WAL with full
 * fsync (a committed transaction survives power loss), applies the schema and migrations, and refuses a
 * file written by a newer ilpd. On any failure the file is closed and the lock released.
 */
export function openLockedDatabase<T>(
  path: string,
  schema: SqliteSchema,
  wrap: (db: Database.Database, lock: LedgerWriterLock) => T,
): T {
  mkdirSync(dirname(path), { recursive: true });
  const lock = LedgerWriterLock.acquire(path);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    lock.release();
    throw err;
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(schema.ddl);
    const readVersion = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck();
    let version = readVersion.get() as string | undefined;
    if (version === undefined) {
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(schema.version);
      version = schema.version;
    }
    for (let step = schema.migrations?.[version]; step !== undefined; step = schema.migrations?.[version]) {
      db.transaction(() => db.exec(step as string))();
      version = readVersion.get() as string;
    }
    if (version !== schema.version) {
      throw new Error(`${path}: ${schema.name} schema version ${version}, this ilpd reads ${schema.version}`);
    }
    return wrap(db, lock);
  } catch (err) {
    db.close();
    lock.release();
    throw err;
  }
}
