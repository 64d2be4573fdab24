import type { BalanceCheck } from '../daemon/balances';
import { round1 } from '../daemon/proc';
import type { RateSegment } from '../schedule/profiles';
import type { LatencySummary } from '../stats/latency';
import type { IntervalSample, RunTotals } from '../stats/run-recorder';

export interface DaemonSummary {
  readonly heapMBFirst?: number;
  readonly heapMBLast?: number;
  readonly heapMBMax?: number;
  /** Least-squares slope of the heap series; a soak should show no sustained growth. */
  readonly heapSlopeMBPerHour?: number;
  readonly rssMBMax?: number;
  readonly rssMBLast?: number;
  /** Mean over the intervals that had offered load (share of the whole machine). */
  readonly cpuPctAvg?: number;
  readonly cpuPctMax?: number;
  readonly cpuPctPerCoreAvg?: number;
}

export interface ReportTotals extends Omit<RunTotals, 'latency' | 'sendLag'> {
  /** Length of the offered-load schedule. */
  readonly durationS: number;
  /** Packets offered per second on average by the schedule. */
  readonly targetPps: number;
  /** Packets sent per second (equals targetPps unless the loadgen itself fell behind). */
  readonly sentPps: number;
  /** Fulfilled packets per second over the schedule. */
  readonly pps: number;
  readonly latencyMs: LatencySummary;
  /** How late the loadgen sent versus its schedule (included in latencyMs, which counts from the schedule). */
  readonly sendLagMs: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly lateResponses: number;
  readonly daemon: DaemonSummary;
  readonly loadgenCpuPctPerCoreAvg?: number;
  readonly receiver: { readonly prepares: number; readonly fulfilled: number; readonly rejected: number };
}

export interface LoadReport {
  readonly tool: 'ilpd-loadgen';
  readonly reportVersion: 1;
  readonly name: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly profile: {
    readonly name: string;
    readonly params: Record<string, unknown>;
    readonly segments: readonly RateSegment[];
  };
  readonly target: Record<string, unknown>;
  readonly workload: Record<string, unknown>;
  readonly machine: {
    readonly nproc: number;
    readonly clkTck: number;
    readonly node: string;
    readonly platform: string;
  };
  readonly totals: ReportTotals;
  /** Why the run ended before its schedule did (interrupted, or the connector went away). */
  readonly aborted?: string;
  /** The ledger check; absent when no balances URL was available (e.g. the bare relay). */
  readonly balances?: BalanceCheck;
  /** Why the ledger check could not be made (then `balanced` is false). */
  readonly balanceError?: string;
  readonly balanced: boolean | null;
  readonly series: readonly IntervalSample[];
}

/** Shortest heap series (seconds) from which a growth trend is reported. */
export const MIN_TREND_SPAN_S = 60;

function values(
  series: readonly IntervalSample[],
  pick: (s: IntervalSample) => number | undefined,
): number[] {
  const out: number[] = [];
  for (const s of series) {
    const v = pick(s);
    if (v !== undefined && Number.isFinite(v)) out.push(v);
  }
  return out;
}

function mean(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : round1(xs.reduce((a, b) => a + b, 0) / xs.length);
}

function max(xs: readonly number[]): number | undefined {
  return xs.length === 0 ? undefined : Math.max(...xs);
}

/** Least-squares slope of y over x (per unit of x); undefined with fewer than two distinct x. */
export function linearSlope(points: readonly (readonly [number, number])[]): number | undefined {
  const n = points.length;
  if (n < 2) return undefined;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? undefined : num / den;
}

export function summarizeDaemon(series: readonly IntervalSample[]): DaemonSummary {
  const loaded = series.filter((s) => s.targetRate > 0);
  const heap = values(series, (s) => s.daemon.heapMB);
  const heapPoints = series
    .filter((s) => s.daemon.heapMB !== undefined)
    .map((s) => [s.t / 3600, s.daemon.heapMB as number] as const);
  // A trend needs a span: extrapolating a few seconds of heap to an hourly rate is noise.
  const spanH = heapPoints.length > 0 ? heapPoints[heapPoints.length - 1][0] - heapPoints[0][0] : 0;
  const slope = spanH * 3600 >= MIN_TREND_SPAN_S ? linearSlope(heapPoints) : undefined;
  const rss = values(series, (s) => s.daemon.rssMB);
  const cpu = values(loaded, (s) => s.daemon.cpuPct);
  const out: Record<string, number | undefined> = {
    heapMBFirst: heap[0],
    heapMBLast: heap[heap.length - 1],
    heapMBMax: max(heap),
    heapSlopeMBPerHour: slope === undefined ? undefined : round1(slope),
    rssMBMax: max(rss),
    rssMBLast: rss[rss.length - 1],
    cpuPctAvg: mean(cpu),
    cpuPctMax: max(cpu),
    cpuPctPerCoreAvg: mean(values(loaded, (s) => s.daemon.cpuPctPerCore)),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as DaemonSummary;
}

export function buildTotals(input: {
  readonly totals: RunTotals;
  readonly series: readonly IntervalSample[];
  readonly scheduleMs: number;
  readonly scheduledPackets: number;
  readonly lateResponses: number;
  readonly receiver: ReportTotals['receiver'];
}): ReportTotals {
  const { latency, sendLag, ...counts } = input.totals;
  const durationS = input.scheduleMs / 1000;
  const perSecond = (n: number) => (durationS > 0 ? Math.round(n / durationS) : 0);
  const loaded = input.series.filter((s) => s.targetRate > 0);
  const loadgenCpu = mean(values(loaded, (s) => s.loadgenCpuPctPerCore));
  return {
    ...counts,
    durationS,
    targetPps: perSecond(input.scheduledPackets),
    sentPps: perSecond(counts.sent),
    pps: perSecond(counts.fulfilled),
    latencyMs: latency,
    sendLagMs: { p50Ms: sendLag.p50Ms, p99Ms: sendLag.p99Ms, maxMs: sendLag.maxMs },
    lateResponses: input.lateResponses,
    daemon: summarizeDaemon(input.series),
    ...(loadgenCpu === undefined ? {} : { loadgenCpuPctPerCoreAvg: loadgenCpu }),
    receiver: input.receiver,
  };
}

/** The one-line summary `npm run bench:e2e` prints. */
export function summaryLine(report: LoadReport): Record<string, number | boolean | null> {
  const t = report.totals;
  return {
    pps: t.pps,
    p50Ms: t.latencyMs.p50Ms,
    p99Ms: t.latencyMs.p99Ms,
    p999Ms: t.latencyMs.p999Ms,
    heapMB: t.daemon.heapMBMax ?? null,
    cpuPct: t.daemon.cpuPctAvg ?? null,
    rejected: t.rejected,
    balanced: report.balanced,
  };
}
