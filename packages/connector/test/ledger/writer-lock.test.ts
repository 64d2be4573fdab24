import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgerWriterLock } from '../../src/ledger/embedded/writer-lock';

describe('LedgerWriterLock', () => {
  let dir: string;
  let dbPath: string;
  let lockPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-lock-'));
    dbPath = join(dir, 'ledger.sqlite');
    lockPath = `${dbPath}.lock`;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('records this process as the writer and removes the file on release', () => {
    const lock = LedgerWriterLock.acquire(dbPath);
    expect(readFileSync(lockPath, 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('refuses a file another live process writes, naming it and the lock to delete', async () => {
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(lockPath, `${other.pid} ${hostname()} someone-else\n`);
      expect(() => LedgerWriterLock.acquire(dbPath)).toThrow(
        new RegExp(
          `in use by process ${other.pid} .*delete ${lockPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`,
        ),
      );
      expect(readFileSync(lockPath, 'utf8')).toContain('someone-else');
    } finally {
      const exited = new Promise((resolve) => other.once('exit', resolve));
      other.kill('SIGKILL');
      await exited;
    }
  });

  it('takes over the lock a crashed process left behind', () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(lockPath, `${gone.stdout} ${hostname()} crashed-writer\n`);
    const lock = LedgerWriterLock.acquire(dbPath);
    expect(readFileSync(lockPath, 'utf8').split(' ')[0]).toBe(String(process.pid));
    lock.release();
  });

  it('never takes over a lock held from another host', () => {
    writeFileSync(lockPath, `${process.pid} some-other-host token\n`);
    expect(() => LedgerWriterLock.acquire(dbPath)).toThrow(/in use by process \d+ on some-other-host/);
  });

  it('lets threads of the same process reopen the store', () => {
    const first = LedgerWriterLock.acquire(dbPath);
    const second = LedgerWriterLock.acquire(dbPath);
    second.release();
    first.release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
