import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createLedger, type DaemonLedger } from '../../src/ledger';

/** The channels the child books claims on (see support/settlement-crash-child.ts). */
const CHANNELS = ['paid out-1', 'paid out-2', 'received in-1', 'received in-2'];

const CHILD = join(__dirname, 'support', 'settlement-crash-child.ts');
const REGISTER = join(__dirname, '..', '..', '..', '..', 'test', 'helpers', 'register-ts.cjs');
const KILLS = 8;

interface RunLog {
  /** Per channel ("direction channel"): every cumulative handed to the ledger, and the highest answered. */
  claiming: Map<string, Set<bigint>>;
  claimed: Map<string, bigint>;
}

/** Runs the child until it has booked a claim, then kill -9s it after a random extra delay. */
function runAndKill(path: string, runId: number): Promise<RunLog> {
  const eventLog = `${path}.events-${runId}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, CHILD, path, eventLog], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const failTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (killTimer === undefined && chunk.includes('CLAIMED')) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), 20 + Math.floor(Math.random() * 250));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(failTimer);
      clearTimeout(killTimer);
      const log = readEventLog(eventLog);
      if (signal !== 'SIGKILL' || log.claimed.size === 0) {
        reject(
          new Error(
            `settlement crash child ended without being killed mid-run (signal ${signal}): ${stderr}`,
          ),
        );
      } else {
        resolve(log);
      }
    });
  });
}

/** The child's event log; a line cut short by the kill is ignored. */
function readEventLog(file: string): RunLog {
  const log: RunLog = { claiming: new Map(), claimed: new Map() };
  const text = readFileSync(file, 'utf8');
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
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
