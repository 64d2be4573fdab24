/**
 * npm run bench:settlement [-- --engine evm|xrpl --rate 10000 --duration 60 --claims 100 | --threshold 0]
 *
 * Settlement at speed, end to end: the load suite's sender ─BTP─► ilpd A ─BTP─► ilpd B ─BTP─► receiver,
 * twice on fresh nodes: with A paying B over payment channels (a threshold sized for about `--claims`
 * claims a second) and without settlement. The chain is a real anvil (evm) or the XRPL ledger stand-in
 * (xrpl; no rippled runs here). Prints one JSON line:
 *
 *   {"on":{pps,p99Ms,claimsPerSec,verifyPerSec,cpuPct,bCpuPct,balanced},"off":{pps,p99Ms,cpuPct,bCpuPct,balanced}}
 *
 * pps and p99 as the load suite measures them (from the sender's schedule); cpuPct: A's CPU (the payer:
 * it signs) as a share of the machine, bCpuPct B's (the payee: it verifies); claimsPerSec: claims A
 * booked and B credited per second; verifyPerSec: claim checks one core does for this chain (inline,
 * measured here on the claims of this run's key type); balanced: both ledgers sum to zero, B holds the
 * best claim A signed, and the settled amount plus what A still owes B is exactly what was forwarded.
 * Writes the JSON to reports/settlement-bench-<engine>-<time>.json.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WORKLOAD, runLoad } from '../../packages/loadgen/src';
import { inlineSignatureVerifier } from '../../packages/connector/src/settlement/signature-pool';
import { eventually, SettlementPair } from '../helpers/settlement-pair';
import { REPO_ROOT } from '../helpers/daemon-process';
import { signatureChecks } from '../../packages/connector/src/bench/signature-checks';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'evm' },
    rate: { type: 'string', default: '10000' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    claims: { type: 'string', default: '100' },
    // An explicit threshold (asset units) instead of one sized for --claims; 0 = pay after every Fulfill.
    threshold: { type: 'string' },
    workers: { type: 'string', default: '1' },
  },
});
const engine = values.engine === 'xrpl' ? 'xrpl' : 'evm';
const rate = Number(values.rate);
const durationS = Number(values.duration);
const warmupS = Number(values.warmup);
const claimsPerSecond = Number(values.claims);
const workers = Number(values.workers);
const meanAmount = (DEFAULT_WORKLOAD.amountMin + DEFAULT_WORKLOAD.amountMax) / 2;
/** What A comes to owe B per second, and a threshold that makes about `claims` claims of it. */
const owedPerSecond = BigInt(Math.round(rate * meanAmount));
const threshold =
  values.threshold === undefined ? owedPerSecond / BigInt(claimsPerSecond) : BigInt(values.threshold);
/** Room for a second of unsettled traffic beyond the threshold: the limits must never be what stops it. */
const credit = owedPerSecond * 2n + threshold;
const BUDGET = { inFlightPackets: 4000, heldPackets: 4000 };

function pidOf(node: SettlementPair['a']): number {
  return node.child.pid as number;
}

/** CPU ticks per thread name (the main thread, the ledger writer, pool threads, libuv, V8), for stderr. */
function threadTicks(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      byName.set(name, (byName.get(name) ?? 0) + Number(fields[11]) + Number(fields[12]));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
}

function threadDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ticks] of after) {
    const delta = ticks - (before.get(name) ?? 0);
    if (delta > 0) out[name] = delta;
  }
  return out;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, clock ticks
}

async function counter(pair: SettlementPair, node: 'a' | 'b', pattern: RegExp): Promise<number> {
  const metrics = String((await pair[node].getJson('/metrics')).body);
  return Number(pattern.exec(metrics)?.[1] ?? 0);
}

async function run(settle: boolean) {
  mkdirSync(join(REPO_ROOT, 'reports'), { recursive: true });
  const pair = await SettlementPair.start({
    engine,
    settle,
    threshold,
    deposit: owedPerSecond * BigInt(durationS + warmupS + 30),
    creditLimit: settle ? credit : 10n ** 18n,
    workers,
    // The daemon's own defaults: how often it reads channels and probes endpoints in production.
    watchIntervalMs: 10_000,
    healthIntervalMs: 5000,
    peerBudget: BUDGET,
    extraConfig: {
      log: { level: process.env.BENCH_LOG_LEVEL ?? 'warn' },
      engine: { maxQueue: 10_000 },
      ledger: { embedded: { path: './ledger.sqlite' }, maxQueue: 40_000 },
    },
  });
  try {
    // The sender and receiver of the load suite replace the pair's own test peers.
    await Promise.all([pair.sender.close(), pair.receiver.close()]);
    const paidBefore = await counter(
      pair,
      'a',
      /^ilpd_settlements_total\{peer="b",direction="paid",result="ok"\} (\d+)$/m,
    );
    const ticksA = cpuTicks(pidOf(pair.a));
    const ticksB = cpuTicks(pidOf(pair.b));
    const threadsA = threadTicks(pidOf(pair.a));
    const threadsB = threadTicks(pidOf(pair.b));
    const started = Date.now();
    const report = await runLoad({
      name: `settlement-${engine}-${settle ? 'on' : 'off'}`,
      profileName: 'steady',
      profileParams: { rate, durationS },
      segments: [{ rate, durationMs: durationS * 1000 }],
      warmupS,
      target: {
        kind: 'external',
        senderUrl: pair.a.btpUrl,
        receiverUrl: pair.b.btpUrl,
        pid: pidOf(pair.a),
        metricsUrl: `http://127.0.0.1:${pair.a.httpPort}/metrics`,
      },
      sender: { username: 'sender', token: 'sender-secret' },
      receiver: { username: 'receiver', token: 'receiver-secret' },
      workload: { ...DEFAULT_WORKLOAD, accounts: 1 },
      tickMs: 1,
      maxBurst: 200,
      receiverThread: true,
      intervalMs: 1000,
      log: (line) => process.stderr.write(`${settle ? 'on' : 'off'}: ${line}\n`),
    });
    const seconds = (Date.now() - started) / 1000;
    const clkTck = 100;
    const machine = 2;
    const cpuA = (100 * (cpuTicks(pidOf(pair.a)) - ticksA)) / clkTck / seconds / machine;
    const cpuB = (100 * (cpuTicks(pidOf(pair.b)) - ticksB)) / clkTck / seconds / machine;
    process.stderr.write(
      `${settle ? 'on' : 'off'}: CPU ticks by thread: A ${JSON.stringify(threadDelta(threadsA, threadTicks(pidOf(pair.a))))}, ` +
        `B ${JSON.stringify(threadDelta(threadsB, threadTicks(pidOf(pair.b))))}\n`,
    );
    let balanced: boolean;
    let claimsPerSec = 0;
    try {
      await eventually(async () => {
        const { aOwesB, bIsOwed } = await pair.balances();
        return aOwesB === bIsOwed && (!settle || aOwesB <= threshold + owedPerSecond);
      }, 30_000);
      const balances = await pair.balances();
      const sums = await Promise.all(
        [pair.a, pair.b].map(async (node) => {
          const body = (await node.getJson('/admin/balances')).body as Record<string, { balance: string }[]>;
          return [...body.balances, ...body.liquidity, ...body.settlement].reduce(
            (t, x) => t + BigInt(x.balance),
            0n,
          );
        }),
      );
      // What the sender came to owe A is what B came to owe the receiver (spread 0): all of it was
      // forwarded, and on B it is either settled or still owed by A.
      const peerBalance = async (node: SettlementPair['a'], peer: string) => {
        const body = (await node.getJson('/admin/balances')).body as {
          balances: { peerId: string; balance: string }[];
        };
        return BigInt(body.balances.find((p) => p.peerId === peer)?.balance ?? '0');
      };
      const forwarded = await peerBalance(pair.a, 'sender');
      balanced =
        sums.every((sum) => sum === 0n) &&
        balances.bSettlement === -balances.aSettlement &&
        -(await peerBalance(pair.b, 'receiver')) === forwarded &&
        balances.bSettlement + balances.bIsOwed === forwarded;
      if (settle) {
        const [ours] = await pair.channels(pair.a);
        const [theirs] = await pair.channels(pair.b);
        balanced &&= ours !== undefined && theirs !== undefined && ours.claimed === theirs.claimed;
        const paid = await counter(
          pair,
          'a',
          /^ilpd_settlements_total\{peer="b",direction="paid",result="ok"\} (\d+)$/m,
        );
        claimsPerSec = Math.round((paid - paidBefore) / seconds);
      }
    } catch (err) {
      process.stderr.write(
        `balance check failed: ${(err as Error).message}; ${JSON.stringify(await pair.balances(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}; ` +
          `channels A ${JSON.stringify(await pair.channels(pair.a))} B ${JSON.stringify(await pair.channels(pair.b))}\n`,
      );
      for (const [name, node] of [
        ['A', pair.a],
        ['B', pair.b],
      ] as const) {
        const warnings = node.logs().filter((l) => Number(l.level) >= 40 || l.component === 'settlement');
        // The whole log of each node, for a failed check (BENCH_LOG_LEVEL=debug for more).
        writeFileSync(
          join(REPO_ROOT, 'reports', `settlement-bench-${engine}-${name}.log`),
          node.stdout.join('\n'),
        );
        process.stderr.write(
          `${name}: ${warnings.length} warnings; last: ${warnings
            .slice(-5)
            .map((l) => JSON.stringify(l))
            .join('\n')}\n`,
        );
      }
      balanced = false;
    }
    return {
      pps: report.totals.pps,
      p99Ms: report.totals.latencyMs.p99Ms,
      ...(settle ? { claimsPerSec } : {}),
      cpuPct: Math.round(cpuA * 10) / 10,
      bCpuPct: Math.round(cpuB * 10) / 10,
      rejected: report.totals.rejected,
      balanced,
      ...(settle && engine === 'evm' ? { chain: 'anvil' } : settle ? { chain: 'xrpl stand-in' } : {}),
    };
  } finally {
    await pair.close();
  }
}

/** Claim checks one core does for this chain, inline, on claims signed like this run's. */
async function verifyPerSec(): Promise<number> {
  const checks = signatureChecks(engine, 1000);
  for (const check of checks.slice(0, 100)) await inlineSignatureVerifier.verify(check);
  const started = performance.now();
  let done = 0;
  while (performance.now() - started < 2000) {
    if (!(await inlineSignatureVerifier.verify(checks[done % checks.length])))
      throw new Error('invalid check');
    done++;
  }
  return Math.round(done / ((performance.now() - started) / 1000));
}

async function main(): Promise<void> {
  const perCore = await verifyPerSec();
  const off = await run(false);
  const on = await run(true);
  const result = {
    engine,
    rate,
    durationS,
    threshold: threshold.toString(),
    on: { ...on, verifyPerSec: perCore },
    off,
  };
  const line = JSON.stringify(result);
  process.stdout.write(`${line}\n`);
  const dir = join(REPO_ROOT, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `settlement-bench-${engine}-${new Date().toISOString().replace(/[:.]/g, '')}.json`),
    `${line}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
