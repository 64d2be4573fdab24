import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLedger, type InspectableLedger } from '../../src/ledger';
import { SqliteLedgerStore } from '../../src/ledger/embedded/sqlite-store';

const CHILD = join(__dirname, 'support', 'crash-child.ts');
const REGISTER = join(__dirname, '..', '..', '..', '..', 'test', 'helpers', 'register-ts.cjs');
const KILLS = 12;

interface RunLog {
  posting: Map<string, bigint>;
  acked: Set<string>;
}

/** Runs the child until it has acked some posts, then kill -9s it after a random extra delay. */
function runAndKill(path: string, runId: number): Promise<RunLog> {
  const eventLog = `${path}.events-${runId}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, CHILD, path, String(runId), eventLog], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let acked = false;
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const failTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (chunk.includes('ACKED')) acked = true;
      if (killTimer === undefined && acked) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 250));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(failTimer);
      clearTimeout(killTimer);
      const log = readEventLog(eventLog);
      if (signal !== 'SIGKILL' || log.acked.size === 0) {
        reject(new Error(`crash child ended without being killed mid-run (signal ${signal}): ${stderr}`));
      } else {
        resolve(log);
      }
    });
  });
}

/** The child's event log; a line cut short by the kill is ignored. */
function readEventLog(file: string): RunLog {
  const log: RunLog = { posting: new Map(), acked: new Set() };
  const text = readFileSync(file, 'utf8');
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    const [kind, id, amount] = line.split(' ');
    if (kind === 'POSTING') log.posting.set(id, BigInt(amount));
    if (kind === 'ACK') log.acked.add(id);
  }
  return log;
}

function open(path: string): InspectableLedger {
  return createLedger(
    {
      backend: 'embedded',
      batchSize: 100,
      flushIntervalMs: 2,
      maxQueue: 10_000,
      pendingTimeoutMs: 60_000,
      embedded: { path },
      tigerbeetle: { clusterId: 0n, addresses: ['3000'], requestTimeoutMs: 1000 },
    },
    { logger: pino({ level: 'silent' }), configDir: '/' },
  );
}

describe('embedded ledger under kill -9', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-ledger-crash-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(`keeps every acknowledged post, sums to zero and leaves no pending reservation (${KILLS} kills)`, async () => {
    const path = join(dir, 'ledger.sqlite');
    let previous = 0n;
    let runsWithPendingRows = 0;
    for (let run = 1; run <= KILLS; run++) {
      const log = await runAndKill(path, run);
      const pendingRows = [...SqliteLedgerStore.readSnapshot(path).pendingIn.values()].reduce(
        (a, b) => a + b,
        0n,
      );
      if (pendingRows > 0n) runsWithPendingRows++;

      const ledger = open(path);
      await ledger.start();
      try {
        await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2 });
        await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
        const balances = await ledger.balances();
        const alice = balances.find((b) => b.peerId === 'alice');
        const bob = balances.find((b) => b.peerId === 'bob');
        const [liquidity] = await ledger.liquidityBalances();
        let acked = 0n;
        let unacked = 0n;
        for (const [id, amount] of log.posting) {
          if (log.acked.has(id)) acked += amount;
          else unacked += amount;
        }
        // Every acknowledged post is there; the only extra value comes from posts in flight at the kill.
        expect(alice?.balance).toBeGreaterThanOrEqual(previous + acked);
        expect(alice?.balance).toBeLessThanOrEqual(previous + acked + unacked);
        expect((alice?.balance ?? 0n) + (bob?.balance ?? 0n) + liquidity.balance).toBe(0n);
        expect([alice?.pendingIncoming, bob?.pendingOutgoing]).toEqual([0n, 0n]);
        previous = alice?.balance ?? 0n;
      } finally {
        await ledger.stop();
      }
      expect(SqliteLedgerStore.readSnapshot(path).pendingIn.size).toBe(0);
    }
    // The kills really did leave reservations behind for recovery to void.
    expect(runsWithPendingRows).toBeGreaterThan(0);
  }, 120_000);
});
