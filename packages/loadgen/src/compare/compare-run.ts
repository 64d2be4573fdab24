import { DaemonSampler, defaultSamplerEnv } from '../daemon/sampler';
import { spawnIlpd, spawnReference, spawnRelay, type Credentials, type LoadTarget } from '../daemon/targets';
import { LoadSession, type PhaseResult, type WorkloadOptions } from '../run/load-session';
import { steppedSearch, type JudgedStep, type SearchOptions, type StepOutcome } from './stepped-search';

export type CompareTargetName = 'relay' | 'reference' | 'ilpd';
export const COMPARE_TARGETS: readonly CompareTargetName[] = ['relay', 'reference', 'ilpd'];

export interface CompareOptions {
  readonly targets: readonly CompareTargetName[];
  readonly search: SearchOptions;
  readonly stepSeconds: number;
  readonly warmupS: number;
  /** Idle time between steps, so one step's stragglers never count against the next. */
  readonly pauseMs: number;
  readonly sender: Credentials;
  readonly receiver: Credentials;
  readonly workload: WorkloadOptions;
  readonly tickMs: number;
  readonly maxBurst: number;
  /** Run the receiving peer in its own worker thread (LoadSessionOptions.receiverThread). */
  readonly receiverThread?: boolean;
  readonly ilpdCli?: string;
  readonly log: (line: string) => void;
  /** Stops the search (the running target is still stopped cleanly). */
  readonly signal?: AbortSignal;
}

export interface TargetResult {
  readonly target: CompareTargetName;
  /** Fulfilled packets/s at the highest sustained step (0 when no step passed). */
  readonly maxPps: number;
  readonly p99Ms: number | null;
  readonly rate: number | null;
  readonly cpuPct: number | null;
  readonly steps: readonly JudgedStep[];
  readonly error?: string;
}

export interface CompareResult {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly stepSeconds: number;
  readonly p99LimitMs: number;
  readonly results: Partial<Record<CompareTargetName, TargetResult>>;
  /** ilpd's max pps divided by the relay's (the machine's ceiling) and by the reference connector's. */
  readonly ilpdVsRelay: number | null;
  readonly ilpdVsReference: number | null;
}

/**
 * One fixed-rate step as the search judges it: pps is fulfilled packets over the offered schedule's
 * length (the README's headline figure), rejects the workload asked for are not held against it, CPU
 * figures are means over the step's intervals (rounded to 0.1 %).
 */
export function stepOutcome(rate: number, phase: PhaseResult): StepOutcome {
  const t = phase.totals;
  const cpu = phase.series.map((s) => s.daemon.cpuPct).filter((v): v is number => v !== undefined);
  const lg = phase.series.map((s) => s.loadgenCpuPctPerCore);
  const machine = phase.series.map((s) => s.machineCpuPct).filter((v): v is number => v !== undefined);
  const avg = (xs: number[]) =>
    xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10 : undefined;
  return {
    rate,
    sent: t.sent,
    fulfilled: t.fulfilled,
    unexpectedRejects: t.rejected - t.rejectedExpected,
    timedOut: t.timedOut,
    pps: Math.round(t.fulfilled / (phase.scheduleMs / 1000)),
    p50Ms: t.latency.p50Ms,
    p99Ms: t.latency.p99Ms,
    cpuPct: avg(cpu),
    loadgenCpuPctPerCore: avg(lg),
    machineCpuPct: avg(machine),
  };
}

async function startTarget(name: CompareTargetName, o: CompareOptions): Promise<LoadTarget> {
  const creds = { sender: o.sender, receiver: o.receiver };
  if (name === 'relay') return spawnRelay(creds);
  if (name === 'reference') return spawnReference(creds);
  return spawnIlpd({ ...creds, cliPath: o.ilpdCli });
}

async function searchTarget(name: CompareTargetName, o: CompareOptions): Promise<TargetResult> {
  o.log(`[${name}] starting`);
  const target = await startTarget(name, o);
  try {
    const session = await LoadSession.open({
      senderUrl: target.senderUrl,
      receiverUrl: target.receiverUrl,
      sender: o.sender,
      receiver: o.receiver,
      receiverAddress: target.receiverAddress,
      workload: o.workload,
      tickMs: o.tickMs,
      maxBurst: o.maxBurst,
      receiverThread: o.receiverThread,
    });
    try {
      if (o.warmupS > 0) {
        await session.runPhase([{ rate: o.search.startRate, durationMs: o.warmupS * 1000 }], {
          intervalMs: 1000,
        });
      }
      const sampler = new DaemonSampler({ pid: target.pid }, defaultSamplerEnv());
      const result = await steppedSearch(
        async (rate) => {
          if (o.signal?.aborted) throw new Error('interrupted');
          const phase = await session.runPhase([{ rate, durationMs: o.stepSeconds * 1000 }], {
            intervalMs: 1000,
            sampler,
            signal: o.signal,
          });
          if (phase.aborted) throw new Error(phase.aborted);
          await new Promise((r) => setTimeout(r, o.pauseMs));
          return stepOutcome(rate, phase);
        },
        o.search,
        (s) =>
          o.log(
            `[${name}] rate=${s.rate}/s pps=${s.pps} p50=${s.p50Ms}ms p99=${s.p99Ms}ms cpu=${s.cpuPct ?? '?'}% ` +
              `loadgen=${s.loadgenCpuPctPerCore ?? '?'}% machine=${s.machineCpuPct ?? '?'}% ${s.sustained ? 'ok' : `FAIL (${s.reason})`}`,
          ),
      );
      const best = result.best;
      return {
        target: name,
        maxPps: best?.pps ?? 0,
        p99Ms: best?.p99Ms ?? null,
        rate: best?.rate ?? null,
        cpuPct: best?.cpuPct ?? null,
        steps: result.steps,
      };
    } finally {
      await session.close();
    }
  } finally {
    await target.stop();
  }
}

/** a's max pps over b's, to three decimals; null when either is missing or b sustained nothing. */
export function ratio(a: TargetResult | undefined, b: TargetResult | undefined): number | null {
  if (!a || !b || b.maxPps <= 0) return null;
  return Math.round((a.maxPps / b.maxPps) * 1000) / 1000;
}

/** Runs the stepped search against each target in turn (one process at a time on this machine). */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const startedAt = new Date();
  const results: Partial<Record<CompareTargetName, TargetResult>> = {};
  for (const name of o.targets) {
    if (o.signal?.aborted) break;
    try {
      results[name] = await searchTarget(name, o);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      o.log(`[${name}] failed: ${message}`);
      results[name] = {
        target: name,
        maxPps: 0,
        p99Ms: null,
        rate: null,
        cpuPct: null,
        steps: [],
        error: message,
      };
    }
  }
  return {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    stepSeconds: o.stepSeconds,
    p99LimitMs: o.search.p99LimitMs,
    results,
    ilpdVsRelay: ratio(results.ilpd, results.relay),
    ilpdVsReference: ratio(results.ilpd, results.reference),
  };
}
