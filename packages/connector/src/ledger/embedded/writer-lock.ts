import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** Identifies this process among everything that may share the ledger's directory. */
const PROCESS_TOKEN = randomBytes(8).toString('hex');

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/**
 * One writing daemon per ledger file. A second daemon on the same file would run recovery and void the
 * first one's live reservations, and each would enforce limits on its own balances. `<file>.lock`
 * names the process that writes the file (pid, host, a per-process token); it is removed on close and
 * taken over when its process is gone (a crash or kill -9 leaves it behind). Threads of one process
 * share the lock, so a restarted writer thread reopens the store freely.
 */
export class LedgerWriterLock {
  private released = false;

  private constructor(readonly lockPath: string) {}

  static acquire(dbPath: string): LedgerWriterLock {
    const lockPath = `${dbPath}.lock`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx');
        try {
          writeSync(fd, `${process.pid} ${hostname()} ${PROCESS_TOKEN}\n`);
        } finally {
          closeSync(fd);
        }
        return new LedgerWriterLock(lockPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(lockPath);
      if (holder?.token === PROCESS_TOKEN) return new LedgerWriterLock(lockPath);
      if (holder !== undefined && !isStale(holder)) {
        throw new Error(
          `${dbPath} is in use by process ${holder.pid} on ${holder.host}: only one ilpd may write a ledger ` +
            `file (read a running daemon's balances from /admin/balances). If no ilpd uses it, delete ${lockPath}`,
        );
      }
      removeIfPresent(lockPath);
    }
    throw new Error(`could not take the ledger lock ${lockPath}: other processes keep taking it`);
  }

  /** Removes the lock if this process still holds it. */
  release(): void {
    if (this.released) return;
    this.released = true;
    if (readHolder(this.lockPath)?.token === PROCESS_TOKEN) removeIfPresent(this.lockPath);
  }
}

function readHolder(lockPath: string): Holder | undefined {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch {
    return undefined;
  }
  const [pid, host, token] = text.trim().split(' ');
  const parsed = Number(pid);
  if (!Number.isSafeInteger(parsed) || parsed <= 0 || host === undefined || token === undefined) {
    return undefined; // a torn or foreign file: treated as stale
  }
  return { pid: parsed, host, token };
}

/**
 * A holder on another host cannot be checked from here, so it is never stale (the operator deletes
 * the file). On this host: stale when its pid is gone, or when that pid is now this very process.
 */
function isStale(holder: Holder): boolean {
  if (holder.host !== hostname()) return false;
  if (holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
