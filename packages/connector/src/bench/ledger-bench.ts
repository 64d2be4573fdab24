/**
 * Ledger benchmark: two-phase packet cycles (reserve + post, each post awaited until durable) through
 * the real ledger with its production settings: the embedded SQLite store in WAL mode with
 * synchronous=FULL (an fsync per batch), and a TigerBeetle cluster when ILPD_TIGERBEETLE_ADDRESSES is set.
 * Prints one JSON object per backend and writes reports/bench-ledger.json.
 *
 *   npm run bench:ledger                      (env: BENCH_LEDGER_SECONDS=5, BENCH_LEDGER_CONCURRENCY=1000)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import type { LedgerConfig } from '../config/types';
import { createLedger } from '../ledger';

/**
 * immediate: post right after reserve (pending and post usually share a batch and coalesce into one
 * row write). round-trip: a 3 ms wait between them stands in for the next hop, so the pending is
 * written first and the post updates it, as in the daemon under load.
 */
type Scenario = 'immediate' | 'round-trip';

interface BenchResult {
  backend: LedgerConfig['backend'];
  scenario: Scenario;
  packetCycles: number;
  seconds: number;
  transfersPerSec: number;
  packetCyclesPerSec: number;
  flushP50Ms: number;
  flushP99Ms: number;
  batchSizeMean: number;
  batches: number;
  batchSize: number;
  flushIntervalMs: number;
  concurrency: number;
}

const SECONDS = Number(process.env.BENCH_LEDGER_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_LEDGER_CONCURRENCY ?? 1000);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ROUND_TRIP_MS = 3;

async function bench(config: LedgerConfig, configDir: string, scenario: Scenario): Promise<BenchResult> {
  const flushSeconds: number[] = [];
  let batchedOps = 0;
  const ledger = createLedger(config, {
    logger: pino({ level: 'warn' }),
    configDir,
    observer: {
      onBatchFlushed(size, seconds) {
        flushSeconds.push(seconds);
        batchedOps += size;
      },
    },
  });
  await ledger.start();
  const suffix = Date.now().toString(36);
  const [alice, bob] = [`bench-alice-${suffix}`, `bench-bob-${suffix}`];
  await ledger.registerPeer({ peerId: alice, assetCode: 'USD', assetScale: 9, maximum: 10n ** 30n });
  await ledger.registerPeer({ peerId: bob, assetCode: 'USD', assetScale: 9, minimum: -(10n ** 30n) });
  const reservation = {
    incoming: { peerId: alice, amount: 1000n },
    outgoing: { peerId: bob, amount: 999n },
    expiresAtMs: Date.now() + 3_600_000,
  };

  // Warm-up, then measure.
  const run = async (deadline: number): Promise<number> => {
    let cycles = 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const handle = await ledger.reserve(reservation);
        if (scenario === 'round-trip') await new Promise((r) => setTimeout(r, ROUND_TRIP_MS));
        await ledger.post(handle);
        cycles++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return cycles;
  };
  await run(Date.now() + 500);
  flushSeconds.length = 0;
  batchedOps = 0;
  const started = process.hrtime.bigint();
  const cycles = await run(Date.now() + SECONDS * 1000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await ledger.stop();

  const sorted = flushSeconds.map((s) => s * 1000).sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    backend: config.backend,
    scenario,
    packetCycles: cycles,
    seconds: round(seconds),
    // Each cycle posts two transfers (the incoming and the outgoing leg), each reserved first.
    transfersPerSec: Math.round((cycles * 2) / seconds),
    packetCyclesPerSec: Math.round(cycles / seconds),
    flushP50Ms: round(percentile(sorted, 50)),
    flushP99Ms: round(percentile(sorted, 99)),
    batchSizeMean: round(sorted.length === 0 ? 0 : batchedOps / sorted.length),
    batches: sorted.length,
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    concurrency: CONCURRENCY,
  };
}

async function main(): Promise<void> {
  const base = {
    batchSize: Number(process.env.BENCH_LEDGER_BATCH_SIZE ?? 100),
    flushIntervalMs: 2,
    maxQueue: 1_000_000,
    pendingTimeoutMs: 60_000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-ledger-bench-'));
  const results: BenchResult[] = [];
  try {
    for (const scenario of ['immediate', 'round-trip'] as const) {
      results.push(
        await bench(
          {
            backend: 'embedded',
            ...base,
            embedded: { path: join(dir, `bench-${scenario}.sqlite`) },
            tigerbeetle: { clusterId: 0n, addresses: ['3000'], requestTimeoutMs: 5000 },
          },
          dir,
          scenario,
        ),
      );
    }
    const addresses = process.env.ILPD_TIGERBEETLE_ADDRESSES;
    if (addresses !== undefined && addresses !== '') {
      results.push(
        await bench(
          {
            backend: 'tigerbeetle',
            ...base,
            batchSize: Number(process.env.BENCH_LEDGER_BATCH_SIZE ?? 1000),
            embedded: { path: join(dir, 'unused.sqlite') },
            tigerbeetle: {
              clusterId: BigInt(process.env.ILPD_TIGERBEETLE_CLUSTER_ID ?? '0'),
              addresses: addresses.split(',').map((a) => a.trim()),
              requestTimeoutMs: 5000,
            },
          },
          dir,
          'round-trip',
        ),
      );
    } else {
      console.error('tigerbeetle: skipped (set ILPD_TIGERBEETLE_ADDRESSES to benchmark a cluster)');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const result of results) console.log(JSON.stringify(result));
  const reports = resolve(__dirname, '../../../../reports');
  mkdirSync(reports, { recursive: true });
  writeFileSync(
    join(reports, 'bench-ledger.json'),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n',
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
