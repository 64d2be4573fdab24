import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLedger, type InspectableLedger } from '../../src/ledger';
import { SqliteLedgerStore } from '../../src/ledger/embedded/sqlite-store';
import { runAndKillMidRun } from './support/kill-mid-run';

const CHILD = join(__dirname, 'support', 'crash-child.ts');
const KILLS = 12;

interface RunLog {
  posting: Map<string, bigint>;
  acked: Set<string>;
}

/** Runs the child until it has acked some posts, then kill -9s it after a random extra delay. */
async function runAndKill(path: string, runId: number): Promise<RunLog> {
  const eventLog = `${path}.events-${runId}`;
  const lines = await runAndKillMidRun({
    script: CHILD,
    args: [path, String(runId), eventLog],
    eventLog,
    readyMarker: 'ACKED',
    minDelayMs: 0,
    madeProgress: (events) => events.some((line) => line.startsWith('ACK ')),
  });
  const log: RunLog = { posting: new Map(), acked: new Set() };
  for (const line of lines) {
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
