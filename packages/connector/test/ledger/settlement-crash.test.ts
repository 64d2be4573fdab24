import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLedger, type DaemonLedger } from '../../src/ledger';
import { runAndKillMidRun } from './support/kill-mid-run';

/** The channels the child books claims on (see support/settlement-crash-child.ts). */
const CHANNELS = ['paid out-1', 'paid out-2', 'received in-1', 'received in-2'];

const CHILD = join(__dirname, 'support', 'settlement-crash-child.ts');
const KILLS = 8;

interface RunLog {
  /** Per channel ("direction channel"): every cumulative handed to the ledger, and the highest answered. */
  claiming: Map<string, Set<bigint>>;
  claimed: Map<string, bigint>;
}

/** Runs the child until it has booked a claim, then kill -9s it after a random extra delay. */
async function runAndKill(path: string, runId: number): Promise<RunLog> {
  const eventLog = `${path}.events-${runId}`;
  const lines = await runAndKillMidRun({
    script: CHILD,
    args: [path, eventLog],
    eventLog,
    readyMarker: 'CLAIMED',
    minDelayMs: 20,
    madeProgress: (events) => events.some((line) => line.startsWith('CLAIMED ')),
  });
  const log: RunLog = { claiming: new Map(), claimed: new Map() };
  for (const line of lines) {
    const [kind, direction, channel, cumulative] = line.split(' ');
    const key = `${direction} ${channel}`;
    if (kind === 'CLAIMING') {
      const sent = log.claiming.get(key) ?? new Set<bigint>();
      sent.add(BigInt(cumulative));
      log.claiming.set(key, sent);
    }
    if (kind === 'CLAIMED') log.claimed.set(key, BigInt(cumulative));
  }
  return log;
}

function open(path: string): DaemonLedger {
  return createLedger(
    {
      backend: 'embedded',
      batchSize: 100,
      flushIntervalMs: 0,
      maxQueue: 10_000,
      pendingTimeoutMs: 60_000,
      embedded: { path },
      tigerbeetle: { clusterId: 0n, addresses: ['3000'], requestTimeoutMs: 1000, claimsPath: 'unused' },
    },
    { logger: pino({ level: 'silent' }), configDir: '/' },
  );
}

describe('embedded ledger settlement under kill -9', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-settlement-crash-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test(`keeps every booked claim exactly once and every asset at zero (${KILLS} kills)`, async () => {
    const path = join(dir, 'ledger.sqlite');
    const stored = new Map<string, bigint>();
    for (let run = 1; run <= KILLS; run++) {
      const log = await runAndKill(path, run);
      // The kill landed mid-traffic: some claim was handed over and not answered.
      expect(
        CHANNELS.some(
          (key) =>
            Math.max(...[...(log.claiming.get(key) ?? [])].map(Number)) > Number(log.claimed.get(key) ?? 0n),
        ),
      ).toBe(true);
      const ledger = open(path);
      await ledger.start();
      try {
        for (const peerId of ['alice', 'bob', 'carol']) {
          await ledger.registerPeer({ peerId, assetCode: 'USD', assetScale: 2 });
        }
        const claims = await ledger.claims();
        expect(claims.every((c) => c.peerId === 'carol')).toBe(true);
        expect(claims.map((c) => `${c.direction} ${c.channelId}`).sort()).toEqual(CHANNELS);
        for (const c of claims) {
          const key = `${c.direction} ${c.channelId}`;
          const acked = log.claimed.get(key) ?? stored.get(key) ?? 0n;
          // Every claim answered 'applied' is there; the only higher one is a claim in flight at the kill.
          expect(c.cumulative).toBeGreaterThanOrEqual(acked);
          if (c.cumulative !== (stored.get(key) ?? 0n)) {
            expect(log.claiming.get(key)?.has(c.cumulative)).toBe(true);
          }
          expect(c.signature).toBe(`0x${c.cumulative}`);
          stored.set(key, c.cumulative);
        }
        // Each claim books its increase over the one before: booked exactly once each, carol's balance
        // is what her best claims say, and the settlement account is its other side.
        let expected = 0n;
        for (const [key, cumulative] of stored) expected += key.startsWith('paid') ? cumulative : -cumulative;
        expect(ledger.postedBalance('carol')).toBe(expected);
        const balances = await ledger.balances();
        const [liquidity] = await ledger.liquidityBalances();
        const [settlement] = await ledger.settlementBalances();
        expect(settlement.balance).toBe(-expected);
        const sum = balances.reduce((a, b) => a + b.balance, 0n) + liquidity.balance + settlement.balance;
        expect(sum).toBe(0n);
      } finally {
        await ledger.stop();
      }
    }
  }, 120_000);
});
