import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IlpPrepare, decodePrepare, encodePrepare, forwardPrepare } from '../index';

/**
 * Prepare decode + forward re-encode throughput of @ilpd/codec next to the reference ilp-packet, on
 * the same realistic packets in the same process. Decoding touches what the connector reads on every
 * packet (amount, expiry, destination); forwarding rewrites amount and expiry as a connector does.
 */

type IlpPacketModule = typeof import('ilp-packet');

const PACKET_COUNT = 1024;
const RUN_MS = Number(process.env.ILPD_BENCH_MS ?? 1500);
const WARMUP_MS = Math.min(500, RUN_MS);
const FEE = 1n;
const HOLD_REDUCTION_MS = 1000;

/** Deterministic pseudo-random numbers so every run measures the same packets. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function makePrepares(): IlpPrepare[] {
  const rand = rng(42);
  const schemes = ['g', 'test', 'private', 'example'];
  const words = ['alice', 'bob', 'connector', 'us-east', 'eu', 'wallet', 'xrp', 'usd', 'node-7', 'acct_19'];
  const prepares: IlpPrepare[] = [];
  for (let i = 0; i < PACKET_COUNT; i++) {
    const segments = 2 + Math.floor(rand() * 4);
    const parts = [schemes[Math.floor(rand() * schemes.length)]];
    for (let s = 0; s < segments; s++)
      parts.push(words[Math.floor(rand() * words.length)] + (s === segments - 1 ? i : ''));
    // STREAM-like payloads: mostly small, some up to 1 KB.
    const dataLength = rand() < 0.7 ? Math.floor(rand() * 200) : Math.floor(rand() * 1025);
    const data = Buffer.alloc(dataLength);
    for (let b = 0; b < dataLength; b++) data[b] = Math.floor(rand() * 256);
    const condition = Buffer.alloc(32);
    for (let b = 0; b < 32; b++) condition[b] = Math.floor(rand() * 256);
    prepares.push({
      amount: BigInt(1 + Math.floor(rand() * 1_000_000_000)),
      expiresAt: new Date(Date.UTC(2030, 0, 1) + Math.floor(rand() * 86_400_000)),
      executionCondition: condition,
      destination: parts.join('.'),
      data,
    });
  }
  return prepares;
}

/** Runs `step(i)` repeatedly for about `ms` milliseconds; returns operations per second. */
function measure(step: (i: number) => number, ms: number): number {
  let sink = 0;
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < 1024; k++) sink += step(ops++ & (PACKET_COUNT - 1));
    now = process.hrtime.bigint();
  }
  if (sink === -1) process.stdout.write(''); // keeps `sink` observable so the work is not optimised away
  return Math.round((ops * 1e9) / Number(now - start));
}

function bench(name: string, step: (i: number) => number): number {
  measure(step, WARMUP_MS);
  const perSec = measure(step, RUN_MS);
  process.stderr.write(`${name.padEnd(34)} ${perSec.toLocaleString('en-US').padStart(12)} ops/s\n`);
  return perSec;
}

async function main(): Promise<void> {
  const IlpPacket: IlpPacketModule = await import('ilp-packet');
  const prepares = makePrepares();
  const encoded = prepares.map(encodePrepare);
  for (let i = 0; i < PACKET_COUNT; i++) {
    if (
      !IlpPacket.serializeIlpPrepare({ ...prepares[i], amount: prepares[i].amount.toString() }).equals(
        encoded[i],
      )
    ) {
      throw new Error(`packet ${i}: ilp-packet encodes differently; the comparison would be meaningless`);
    }
  }
  const views = encoded.map(decodePrepare);
  const decodedRef = encoded.map((b) => IlpPacket.deserializeIlpPrepare(b));

  const prepareDecodePerSec = bench('ilpd decodePrepare', (i) => {
    const v = decodePrepare(encoded[i]);
    return Number(v.amount & 1n) + v.expiresAtMs + v.destination.length;
  });
  const prepareForwardEncodePerSec = bench('ilpd forwardPrepare', (i) => {
    const v = views[i];
    return forwardPrepare(v, v.amount - FEE, v.expiresAtMs - HOLD_REDUCTION_MS).length;
  });
  const ourRoundTripPerSec = bench('ilpd decode + forward', (i) => {
    const v = decodePrepare(encoded[i]);
    return forwardPrepare(v, v.amount - FEE, v.expiresAtMs - HOLD_REDUCTION_MS).length + v.destination.length;
  });
  const ilpPacketDecodePerSec = bench('ilp-packet deserializeIlpPrepare', (i) => {
    const p = IlpPacket.deserializeIlpPrepare(encoded[i]);
    return p.amount.length + p.expiresAt.getTime() + p.destination.length;
  });
  const forward = (p: ReturnType<IlpPacketModule['deserializeIlpPrepare']>): Buffer =>
    IlpPacket.serializeIlpPrepare({
      ...p,
      amount: (BigInt(p.amount) - FEE).toString(),
      expiresAt: new Date(p.expiresAt.getTime() - HOLD_REDUCTION_MS),
    });
  const ilpPacketForwardPerSec = bench(
    'ilp-packet serializeIlpPrepare',
    (i) => forward(decodedRef[i]).length,
  );
  const ilpPacketRoundTripPerSec = bench('ilp-packet decode + forward', (i) => {
    const p = IlpPacket.deserializeIlpPrepare(encoded[i]);
    return forward(p).length + p.destination.length;
  });

  const report = {
    prepareDecodePerSec,
    prepareForwardEncodePerSec,
    ilpPacketDecodePerSec,
    ilpPacketForwardPerSec,
    ratio: Math.round((ourRoundTripPerSec / ilpPacketRoundTripPerSec) * 100) / 100,
    decodeForwardPerSec: ourRoundTripPerSec,
    ilpPacketDecodeForwardPerSec: ilpPacketRoundTripPerSec,
    packets: PACKET_COUNT,
    runMs: RUN_MS,
    node: process.version,
  };
  const line = JSON.stringify(report);
  process.stdout.write(`${line}\n`);
  const dir = resolve(__dirname, '..', '..', '..', '..', 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'bench-codec.json'), `${line}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
