/**
 * Packet engine benchmark: realistic Prepare bytes (STREAM-sized data) through PacketEngine.handleIlp,
 * inline (workers = 0) against piscina pools of 1 and 2 workers at several batch sizes. Two targets:
 *  - decode:   the engine alone (decode/validate, batching, hand-off) before a pipeline that answers at once;
 *  - pipeline: the real PacketPipeline behind it: limits, routing, the embedded SQLite ledger (durable
 *              posts) and a next hop that fulfills in memory.
 * Packets arrive in bursts of BENCH_ENGINE_PER_TURN per event-loop turn (a socket read holding several
 * BTP frames), at most BENCH_ENGINE_WINDOW unanswered. CPU is process-wide: it includes the workers.
 * Prints one JSON object per scenario and writes reports/bench-engine.json.
 *
 *   npm run bench:engine   (env: BENCH_ENGINE_SECONDS=3, BENCH_ENGINE_TARGETS=decode,pipeline,
 *                           BENCH_ENGINE_PER_TURN=64, BENCH_ENGINE_WINDOW=4096)
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeFulfill, encodePrepare, encodeReject, type PrepareView } from '@ilpd/codec';
import pino from 'pino';
import { parseConfig } from '../config/load';
import type { DaemonConfig } from '../config/types';
import { InFlight, NO_PEER_BUDGET } from '../engine/in-flight';
import { PacketEngine } from '../engine/packet-engine';
import { IldcpHost } from '../ildcp/ildcp-host';
import { createLedger } from '../ledger';
import { SettableNodeIdentity } from '../node-identity';
import { PacketPipeline } from '../packet/pipeline';
import type { PacketProcessor, PeerLink } from '../ports';
import { RouteBroadcaster } from '../routing/route-broadcaster';
import { RoutingTable } from '../routing/routing-table';
import { DaemonMetrics } from '../telemetry/metrics';
import { PeerWarnings } from '../telemetry/peer-warnings';
import { TelemetryBuffer } from '../telemetry/telemetry-buffer';

const SECONDS = Number(process.env.BENCH_ENGINE_SECONDS ?? 3);
const TARGETS = (process.env.BENCH_ENGINE_TARGETS ?? 'decode,pipeline').split(',');
const PER_TURN = Number(process.env.BENCH_ENGINE_PER_TURN ?? 64);
const WINDOW = Number(process.env.BENCH_ENGINE_WINDOW ?? 4096);
/** The bench measures the packet path's CPU, not admission: a pool that never refuses the window. */
const UNBOUNDED_POOL = { maxPackets: WINDOW * 2, maxBytes: 2 ** 40 };
const SCENARIOS: ReadonlyArray<{ workers: number; batchSize: number }> = [
  { workers: 0, batchSize: 100 },
  { workers: 1, batchSize: 10 },
  { workers: 1, batchSize: 100 },
  { workers: 1, batchSize: 1000 },
  { workers: 2, batchSize: 10 },
  { workers: 2, batchSize: 100 },
  { workers: 2, batchSize: 1000 },
];

const logger = pino({ level: 'warn' });
const fulfillment = randomBytes(32);
const FULFILL = encodeFulfill({ fulfillment, data: Buffer.alloc(0) });
const condition = createHash('sha256').update(fulfillment).digest();

/** 1024 distinct Prepares of the kind STREAM sends: ~100 bytes of data, a 3-segment destination. */
function preparePool(): Buffer[] {
  return Array.from({ length: 1024 }, (_, i) =>
    encodePrepare({
      amount: 1000n + BigInt(i),
      expiresAt: new Date(Date.now() + 60_000),
      executionCondition: condition,
      destination: `test.ilpd.bob.receiver-${i % 16}`,
      data: randomBytes(96),
    }),
  );
}

/** The decode target's stand-in for the pipeline: reads what routing would read, answers at once. */
let fieldsRead = 0;
const answeringProcessor: PacketProcessor = {
  process(_from: string, prepare: PrepareView): Promise<Buffer> {
    fieldsRead += prepare.destination.length + Number(prepare.amount & 1n);
    return Promise.resolve(FULFILL);
  },
  rejectInvalid(): Buffer {
    return encodeReject({ code: 'F01', triggeredBy: 'test.ilpd', message: 'invalid', data: Buffer.alloc(0) });
  },
};

const PEER = (id: string) => `
  - id: ${id}
    relation: child
    btp: { role: server, authToken: ${id}-secret }
    assetCode: USD
    assetScale: 9
    balance: { minimum: '-1000000000000000000', maximum: '1000000000000000000' }`;

/** Ledger group commits seen by the pipeline target, reset per scenario. */
const ledgerStats = { flushes: 0, ops: 0, seconds: 0 };

async function realPipeline(dir: string): Promise<{ processor: PacketProcessor; close(): Promise<void> }> {
  const config: DaemonConfig = parseConfig(
    `address: test.ilpd\nledger: { backend: embedded, embedded: { path: ./bench.sqlite } }\npeers:${PEER('alice')}${PEER('bob')}\n`,
    {},
    dir,
  );
  const telemetry = new TelemetryBuffer(new DaemonMetrics(), config.telemetry);
  const observer = {
    onBatchFlushed(size: number, seconds: number, ok: boolean): void {
      ledgerStats.flushes++;
      ledgerStats.ops += size;
      ledgerStats.seconds += seconds;
      telemetry.onBatchFlushed(size, seconds, ok);
    },
  };
  const ledger = createLedger(config.ledger, { logger, configDir: dir, observer });
  await ledger.start();
  for (const peer of config.peers) {
    await ledger.registerPeer({
      peerId: peer.id,
      assetCode: peer.assetCode,
      assetScale: peer.assetScale,
      maximum: peer.balance.maximum,
      minimum: peer.balance.minimum,
    });
  }
  const identity = new SettableNodeIdentity(config.address);
  const routingTable = new RoutingTable();
  const peerLink: PeerLink = { sendIlp: () => Promise.resolve(FULFILL), isConnected: () => true };
  const warnings = new PeerWarnings({ logger, intervalMs: 10_000, count: () => undefined });
  const broadcaster = new RouteBroadcaster({ config, identity, routingTable, peerLink, logger, warnings });
  broadcaster.start();
  telemetry.start();
  const pipeline = new PacketPipeline({
    config: { ...config, engine: { ...config.engine, maxQueue: WINDOW * 2 } },
    identity,
    routingTable,
    ledger,
    peerLink,
    nextHops: new InFlight(UNBOUNDED_POOL, NO_PEER_BUDGET),
    telemetry,
    logger,
    ildcpHost: new IldcpHost({ peers: config.peers, identity }),
    ccp: broadcaster,
  });
  return {
    processor: pipeline,
    async close() {
      broadcaster.stop();
      telemetry.stop();
      await ledger.stop();
    },
  };
}

interface DriveResult {
  answered: number;
  rejected: number;
  seconds: number;
  cpuSeconds: number;
  latenciesMs: number[];
}

/** Sends bursts of PER_TURN packets per turn for `seconds`, then waits for every answer. */
function drive(engine: PacketEngine, packets: Buffer[], seconds: number): Promise<DriveResult> {
  const latenciesMs: number[] = [];
  let sent = 0;
  let answered = 0;
  let rejected = 0;
  let stalled = false;
  const startCpu = process.cpuUsage();
  const start = performance.now();
  const deadline = start + seconds * 1000;
  return new Promise((done) => {
    const finish = (): void => {
      const cpu = process.cpuUsage(startCpu);
      const elapsed = (performance.now() - start) / 1000;
      done({ answered, rejected, seconds: elapsed, cpuSeconds: (cpu.user + cpu.system) / 1e6, latenciesMs });
    };
    const onAnswer = (sentAt: number, answer: Buffer): void => {
      answered++;
      if (answer[0] === 14) rejected++;
      if ((answered & 15) === 0) latenciesMs.push(performance.now() - sentAt);
      if (stalled && sent - answered <= WINDOW / 2) {
        stalled = false;
        setImmediate(turn);
      } else if (sent === answered && performance.now() >= deadline) finish();
    };
    const turn = (): void => {
      if (performance.now() >= deadline) {
        if (sent === answered) finish();
        return;
      }
      for (let i = 0; i < PER_TURN; i++) {
        if (sent - answered >= WINDOW) {
          stalled = true;
          return;
        }
        const sentAt = performance.now();
        void engine.handleIlp('alice', packets[sent & 1023]).then((answer) => onAnswer(sentAt, answer));
        sent++;
      }
      setImmediate(turn);
    };
    turn();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function scenario(target: string, processor: PacketProcessor, workers: number, batchSize: number) {
  const engine = new PacketEngine({
    processor,
    engine: {
      workers,
      batchSize,
      maxQueue: UNBOUNDED_POOL.maxPackets,
      maxInFlightBytes: UNBOUNDED_POOL.maxBytes,
    },
    logger,
  });
  engine.start();
  const packets = preparePool();
  await drive(engine, packets, 0.5);
  Object.assign(ledgerStats, { flushes: 0, ops: 0, seconds: 0 });
  const run = await drive(engine, packets, SECONDS);
  const batches = engine.batchesDispatched;
  await engine.stop();
  const sorted = run.latenciesMs.sort((a, b) => a - b);
  const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;
  return {
    target,
    workers,
    batchSize: workers === 0 ? null : batchSize,
    packetsPerSec: Math.round(run.answered / run.seconds),
    cpuMicrosPerPacket: round((run.cpuSeconds * 1e6) / run.answered, 2),
    cpuCores: round(run.cpuSeconds / run.seconds, 2),
    latencyP50Ms: round(percentile(sorted, 50)),
    latencyP99Ms: round(percentile(sorted, 99)),
    meanBatch: workers === 0 || batches === 0 ? null : round(run.answered / batches, 1),
    ledgerMeanBatch: ledgerStats.flushes === 0 ? null : round(ledgerStats.ops / ledgerStats.flushes, 1),
    ledgerFlushMeanMs:
      ledgerStats.flushes === 0 ? null : round((ledgerStats.seconds * 1000) / ledgerStats.flushes),
    rejected: run.rejected,
    answered: run.answered,
  };
}

async function main(): Promise<void> {
  const results: Array<Awaited<ReturnType<typeof scenario>>> = [];
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-engine-bench-'));
  try {
    for (const target of TARGETS) {
      const pipeline = target === 'pipeline' ? await realPipeline(dir) : undefined;
      if (target !== 'decode' && pipeline === undefined) throw new Error(`unknown target ${target}`);
      for (const { workers, batchSize } of SCENARIOS) {
        const result = await scenario(target, pipeline?.processor ?? answeringProcessor, workers, batchSize);
        process.stdout.write(`${JSON.stringify(result)}\n`);
        results.push(result);
      }
      await pipeline?.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const reports = resolve(__dirname, '../../../../reports');
  mkdirSync(reports, { recursive: true });
  const report = {
    fieldsRead,
    perTurn: PER_TURN,
    window: WINDOW,
    seconds: SECONDS,
    node: process.version,
    results,
  };
  writeFileSync(join(reports, 'bench-engine.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
