/**
 * The tigerbeetle backend's request pattern under paced packet load, against SimulatedTigerBeetle (no
 * cluster can run here). It measures what does not depend on the cluster's speed — requests per packet,
 * batch fill, requests in flight — and the latency a packet sees given a per-request cluster latency
 * (BENCH_TB_LATENCY_MS, default 2: what a request costs a single-replica cluster on local disk). It is
 * not a measure of TigerBeetle: run `npm run bench:ledger` with ILPD_TIGERBEETLE_ADDRESSES for that.
 *
 *   npm run bench:ledger:tigerbeetle-sim
 *     env: BENCH_TB_RATE=10000 packets/s, BENCH_TB_SECONDS=5, BENCH_TB_LATENCY_MS=2,
 *          BENCH_TB_REQUEST_SIZE=development|production, BENCH_TB_CONCURRENT=4, BENCH_TB_BATCH_SIZE=100
 *
 * Each packet: reserve, a 3 ms round trip to the next hop, post (awaited, as the packet path does).
 * Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { TigerBeetleLedger } from '../../../src/ledger/tigerbeetle/tigerbeetle-ledger';
import {
  DEVELOPMENT_REQUEST_SIZE,
  PRODUCTION_REQUEST_SIZE,
  SimulatedTigerBeetle,
} from '../support/simulated-tigerbeetle';

const RATE = Number(process.env.BENCH_TB_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_TB_SECONDS ?? 5);
const LATENCY_MS = Number(process.env.BENCH_TB_LATENCY_MS ?? 2);
const REQUEST_SIZE =
  process.env.BENCH_TB_REQUEST_SIZE === 'production' ? PRODUCTION_REQUEST_SIZE : DEVELOPMENT_REQUEST_SIZE;
const CONCURRENT = Number(process.env.BENCH_TB_CONCURRENT ?? 4);
const BATCH_SIZE = Number(process.env.BENCH_TB_BATCH_SIZE ?? 100);
const ROUND_TRIP_MS = 3;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const cluster = new SimulatedTigerBeetle({ requestSizeLimit: REQUEST_SIZE, latencyMs: LATENCY_MS });
  const claimsDir = mkdtempSync(join(tmpdir(), 'ilpd-tb-bench-claims-'));
  const flushMs: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const ledger = new TigerBeetleLedger({
    batchSize: BATCH_SIZE,
    flushIntervalMs: 0,
    maxQueue: 1_000_000,
    pendingTimeoutMs: 60_000,
    clusterId: 0n,
    addresses: ['simulated'],
    requestTimeoutMs: 5000,
    requestsInFlight: CONCURRENT,
    logger: pino({ level: 'warn' }),
    claimsPath: join(claimsDir, 'claims.sqlite'),
    observer: { onBatchFlushed: (_size, seconds) => flushMs.push(seconds * 1000) },
    createClient: () => {
      const client = cluster.client();
      return {
        ...client,
        createTransfers: (batch) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          return client.createTransfers(batch).finally(() => inFlight--);
        },
      };
    },
  });
  await ledger.start();
  const limits = { maximum: 10n ** 30n, minimum: -(10n ** 30n) };
  await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 9, ...limits });
  await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 9, ...limits });
  const reservation = () => ({
    incoming: { peerId: 'alice', amount: 1000n },
    outgoing: { peerId: 'bob', amount: 999n },
    expiresAtMs: Date.now() + 30_000,
  });
  const packetMs: number[] = [];
  const reserveMs: number[] = [];
  const postMs: number[] = [];
  let failed = 0;
  const cycle = async (): Promise<void> => {
    const begin = performance.now();
    try {
      const handle = await ledger.reserve(reservation());
      reserveMs.push(performance.now() - begin);
      await new Promise((r) => setTimeout(r, ROUND_TRIP_MS));
      const posting = performance.now();
      await ledger.post(handle);
      postMs.push(performance.now() - posting);
      // The ledger's share of the packet's latency: everything but the next hop's round trip.
      packetMs.push(performance.now() - begin - ROUND_TRIP_MS);
    } catch {
      failed++;
    }
  };
  const statsBefore = { ...ledger.stats };
  const cpuBefore = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const started = performance.now();
  const cycles: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(RATE * SECONDS, Math.floor(((performance.now() - started) / 1000) * RATE));
      while (cycles.length < due) cycles.push(cycle());
      if (cycles.length >= RATE * SECONDS) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  await Promise.all(cycles);
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  const cpu = process.cpuUsage(cpuBefore);
  await ledger.stop();
  cluster.close();
  rmSync(claimsDir, { recursive: true, force: true });
  const requests = ledger.stats.requests - statsBefore.requests;
  const transfers = ledger.stats.transfers - statsBefore.transfers;
  const sorted = (xs: number[]) => xs.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  const [packets, reserves, posts, flushes] = [packetMs, reserveMs, postMs, flushMs].map(sorted);
  const meanFlush = flushes.reduce((a, b) => a + b, 0) / Math.max(1, flushes.length);
  process.stdout.write(
    `${JSON.stringify({
      backend: 'tigerbeetle (simulated cluster)',
      requestSizeBytes: REQUEST_SIZE,
      transfersPerRequestLimit: ledger.transfersPerRequest,
      simulatedRequestLatencyMs: LATENCY_MS,
      requestsInFlight: CONCURRENT,
      batchSize: BATCH_SIZE,
      offeredPacketsPerSec: RATE,
      packetsPerSec: Math.round(packets.length / seconds),
      failed,
      requestsPerPacket: round(requests / Math.max(1, packets.length)),
      transfersPerRequest: round(transfers / Math.max(1, requests)),
      batchFill: round(transfers / Math.max(1, requests) / ledger.transfersPerRequest),
      maxRequestsInFlight: maxInFlight,
      requestMsMean: round(meanFlush),
      reserveP50Ms: round(percentile(reserves, 50)),
      reserveP99Ms: round(percentile(reserves, 99)),
      postP50Ms: round(percentile(posts, 50)),
      postP99Ms: round(percentile(posts, 99)),
      ledgerP50MsPerPacket: round(percentile(packets, 50)),
      ledgerP99MsPerPacket: round(percentile(packets, 99)),
      // Time an op waits in the writer before its request leaves: its latency minus the request's.
      queueP50Ms: round(Math.max(0, percentile(posts, 50) - meanFlush)),
      queueP99Ms: round(Math.max(0, percentile(posts, 99) - meanFlush)),
      tooLarge: ledger.stats.tooLarge,
      // This one process runs the simulated cluster, the ledger and the load: a late timer here is
      // latency the bench adds, not the ledger.
      cpuMicrosPerPacket: Math.round((cpu.user + cpu.system) / Math.max(1, packetMs.length)),
      eventLoopDelayP99Ms: round(Math.max(0, loop.percentile(99) / 1e6 - 1)),
    })}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
