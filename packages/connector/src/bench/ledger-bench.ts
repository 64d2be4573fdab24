/**
 * Ledger benchmark: two-phase packet cycles (reserve + post, each post awaited until durable) through
 * the real ledger with its production settings: the embedded SQLite store in WAL mode with
 * synchronous=FULL (an fsync per batch), and a TigerBeetle cluster when ILPD_TIGERBEETLE_ADDRESSES is set.
 * Prints one JSON object per backend and scenario and writes reports/bench-ledger.json.
 *
 *   npm run bench:ledger     (env: BENCH_LEDGER_SECONDS=5, BENCH_LEDGER_CONCURRENCY=1000,
 *                             BENCH_LEDGER_BATCH_SIZE=100, BENCH_LEDGER_FLUSH_INTERVAL_MS=<config default>,
 *                             BENCH_LEDGER_PACED_RATE=2000, BENCH_LEDGER_FOLDED_RATE=10000)
 *
 * Besides throughput it reports how long a post waits to be durable (postP50Ms, postP99Ms) and how late
 * a 1 ms timer fires on the main thread meanwhile (eventLoopDelayP99Ms, eventLoopDelayMaxMs): the
 * daemon serves every peer socket on that loop, so time the ledger blocks it is latency for everyone.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { ConfigSchema } from '../config/schema';
import type { LedgerConfig } from '../config/types';
import { createLedger, type DaemonLedger } from '../ledger';

/**
 * immediate: post right after reserve (pending and post usually share a batch and coalesce into one
 * row write). round-trip: a 3 ms wait between them stands in for the next hop, so the pending is
 * written first and the post updates it, as in the daemon under load. Both run CONCURRENCY cycles at
 * once, flat out. paced: PACED_RATE cycles/s started on a 1 ms tick, each posted after the round trip,
 * the daemon's low-to-moderate load: what matters there is the post latency, not the throughput.
 * settlement-per-packet: paced, and each durable post is followed by a claim (recordSettlement) of
 * its amount, as per-packet settlement books one. settlement-folded: FOLDED_RATE cycles/s and one
 * claim per 1 ms tick covering every post durable since the last. Both report commits/s and how long a
 * claim takes to be durable (claimP50Ms, claimP99Ms).
 */
type Scenario = 'immediate' | 'round-trip' | 'paced' | 'settlement-per-packet' | 'settlement-folded';

interface BenchResult {
  backend: LedgerConfig['backend'];
  scenario: Scenario;
  packetCycles: number;
  seconds: number;
  transfersPerSec: number;
  packetCyclesPerSec: number;
  flushP50Ms: number;
  flushP99Ms: number;
  postP50Ms: number;
  postP99Ms: number;
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  batchSizeMean: number;
  batches: number;
  /** Durable commits (batches) per second. */
  commitsPerSec: number;
  claims: number;
  claimsPerSec: number;
  claimP50Ms: number;
  claimP99Ms: number;
  batchSize: number;
  flushIntervalMs: number;
  concurrency: number;
}

const SECONDS = Number(process.env.BENCH_LEDGER_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_LEDGER_CONCURRENCY ?? 1000);
const PACED_RATE = Number(process.env.BENCH_LEDGER_PACED_RATE ?? 2000);
const FOLDED_RATE = Number(process.env.BENCH_LEDGER_FOLDED_RATE ?? 10_000);
const FLUSH_INTERVAL_MS = Number(
  process.env.BENCH_LEDGER_FLUSH_INTERVAL_MS ??
    ConfigSchema.properties.ledger.properties.flushIntervalMs.default,
);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ROUND_TRIP_MS = 3;

const TB_DEFAULTS = {
  requestTimeoutMs: 5000,
  maxBatchEvents: 0,
  requestsInFlight: ConfigSchema.properties.ledger.properties.tigerbeetle.properties.requestsInFlight.default,
  recoveryBudgetMs: 10_000,
  claimsPath: 'bench-claims.sqlite',
};

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
  const postMs: number[] = [];
  const claimMs: number[] = [];
  const claims = new ClaimBooker(ledger, alice, reservation.incoming.amount, claimMs);
  const run =
    scenario === 'paced'
      ? paced(ledger, reservation, postMs, PACED_RATE)
      : scenario === 'settlement-per-packet'
        ? paced(ledger, reservation, postMs, PACED_RATE, () => claims.claim(1n))
        : scenario === 'settlement-folded'
          ? folded(ledger, reservation, postMs, claims)
          : flatOut(ledger, reservation, scenario, postMs);

  // Warm-up, then measure.
  await run(Date.now() + 500);
  flushSeconds.length = 0;
  batchedOps = 0;
  postMs.length = 0;
  claimMs.length = 0;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = process.hrtime.bigint();
  const cycles = await run(Date.now() + SECONDS * 1000);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  loop.disable();
  await ledger.stop();

  const sorted = flushSeconds.map((s) => s * 1000).sort((a, b) => a - b);
  const posts = postMs.sort((a, b) => a - b);
  const claimed = claimMs.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  // The histogram counts from the 1 ms resolution timer's due time, so its floor is the resolution.
  const loopDelayMs = (ns: number) => round(Math.max(0, ns / 1e6 - 1));
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
    postP50Ms: round(percentile(posts, 50)),
    postP99Ms: round(percentile(posts, 99)),
    eventLoopDelayP99Ms: loopDelayMs(loop.percentile(99)),
    eventLoopDelayMaxMs: loopDelayMs(loop.max),
    batchSizeMean: round(sorted.length === 0 ? 0 : batchedOps / sorted.length),
    batches: sorted.length,
    commitsPerSec: Math.round(sorted.length / seconds),
    claims: claimed.length,
    claimsPerSec: Math.round(claimed.length / seconds),
    claimP50Ms: round(percentile(claimed, 50)),
    claimP99Ms: round(percentile(claimed, 99)),
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    concurrency: scenario === 'immediate' || scenario === 'round-trip' ? CONCURRENCY : 0,
  };
}

type Reservation = Parameters<DaemonLedger['reserve']>[0];
type Run = (deadline: number) => Promise<number>;

/** CONCURRENCY loops, each running one cycle after the other until the deadline. */
function flatOut(ledger: DaemonLedger, reservation: Reservation, scenario: Scenario, postMs: number[]): Run {
  return async (deadline) => {
    let cycles = 0;
    const worker = async () => {
      while (Date.now() < deadline) {
        const handle = await ledger.reserve(reservation);
        if (scenario === 'round-trip') await new Promise((r) => setTimeout(r, ROUND_TRIP_MS));
        const posted = performance.now();
        await ledger.post(handle);
        postMs.push(performance.now() - posted);
        cycles++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return cycles;
  };
}

/**
 * Received claims from one peer on one channel, booked as settlement books them: each claim's
 * cumulative is the previous one's plus what it covers, and only after the posts it covers are durable.
 */
class ClaimBooker {
  private cumulative = 0n;
  /** Posts durable and not covered by a claim yet (settlement-folded). */
  uncovered = 0n;

  constructor(
    private readonly ledger: DaemonLedger,
    private readonly peerId: string,
    private readonly packetAmount: bigint,
    private readonly claimMs: number[],
  ) {}

  /** One claim covering `packets` posts. */
  async claim(packets: bigint): Promise<void> {
    const amount = this.packetAmount * packets;
    this.cumulative += amount;
    const started = performance.now();
    const outcome = await this.ledger.recordSettlement(
      {
        peerId: this.peerId,
        direction: 'received',
        chain: 'evm',
        channelId: `bench-${this.peerId}`,
        cumulative: this.cumulative,
        signature: `0x${'ab'.repeat(65)}`,
      },
      amount,
    );
    if (outcome !== 'applied') throw new Error(`claim ${this.cumulative} ${outcome}`);
    this.claimMs.push(performance.now() - started);
  }
}

/** `rate` cycles per second, started on a 1 ms tick (catching up after a late tick). */
function paced(
  ledger: DaemonLedger,
  reservation: Reservation,
  postMs: number[],
  rate: number,
  afterPost?: () => Promise<void>,
): Run {
  const cycle = async (): Promise<void> => {
    const handle = await ledger.reserve(reservation);
    await new Promise((r) => setTimeout(r, ROUND_TRIP_MS));
    const posted = performance.now();
    await ledger.post(handle);
    postMs.push(performance.now() - posted);
    if (afterPost !== undefined) await afterPost();
  };
  return (deadline) =>
    new Promise((resolveRun, rejectRun) => {
      const inFlight = new Set<Promise<void>>();
      const begin = performance.now();
      let started = 0;
      let failure: unknown;
      const tick = setInterval(() => {
        if (Date.now() >= deadline || failure !== undefined) {
          clearInterval(tick);
          void Promise.all(inFlight).then(() =>
            failure === undefined ? resolveRun(started) : rejectRun(failure),
          );
          return;
        }
        const due = Math.floor(((performance.now() - begin) / 1000) * rate);
        for (; started < due; started++) {
          const p: Promise<void> = cycle()
            .catch((err: unknown) => void (failure ??= err))
            .finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
      }, 1);
    });
}

/** FOLDED_RATE paced cycles, and one claim per 1 ms tick for every post durable since the last claim. */
function folded(ledger: DaemonLedger, reservation: Reservation, postMs: number[], claims: ClaimBooker): Run {
  const cycles = paced(ledger, reservation, postMs, FOLDED_RATE, async () => {
    claims.uncovered++;
  });
  return async (deadline) => {
    const booked: Promise<void>[] = [];
    const tick = setInterval(() => {
      if (claims.uncovered === 0n) return;
      const packets = claims.uncovered;
      claims.uncovered = 0n;
      booked.push(claims.claim(packets));
    }, 1);
    try {
      return await cycles(deadline);
    } finally {
      clearInterval(tick);
      await Promise.all(booked);
    }
  };
}

async function main(): Promise<void> {
  const base = {
    batchSize: Number(process.env.BENCH_LEDGER_BATCH_SIZE ?? 100),
    flushIntervalMs: FLUSH_INTERVAL_MS,
    maxQueue: 1_000_000,
    pendingTimeoutMs: 60_000,
  };
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-ledger-bench-'));
  const results: BenchResult[] = [];
  try {
    const scenarios = [
      'immediate',
      'round-trip',
      'paced',
      'settlement-per-packet',
      'settlement-folded',
    ] as const;
    for (const scenario of scenarios) {
      results.push(
        await bench(
          {
            backend: 'embedded',
            ...base,
            embedded: { path: join(dir, `bench-${scenario}.sqlite`) },
            tigerbeetle: { ...TB_DEFAULTS, clusterId: 0n, addresses: ['3000'] },
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
              ...TB_DEFAULTS,
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
  for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
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
