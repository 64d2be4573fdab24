import type { Histogram } from 'hdr-histogram-js';
import { newLatencyHistogram, recordLatencyUs, summarizeLatency, type LatencySummary } from './latency';

export interface DaemonSample {
  /** CPU of the daemon process as a share of the whole machine (all cores), percent. */
  readonly cpuPct?: number;
  /** CPU of the daemon process as a share of one core, percent (can exceed 100). */
  readonly cpuPctPerCore?: number;
  readonly rssMB?: number;
  /** V8 heap used, from the daemon's /metrics (nodejs_heap_size_used_bytes). */
  readonly heapMB?: number;
}

export interface IntervalSample {
  /** Seconds since the measurement started, at the end of this interval. */
  readonly t: number;
  readonly targetRate: number;
  readonly sent: number;
  readonly fulfilled: number;
  readonly rejected: number;
  readonly timedOut: number;
  readonly rejectedByCode: Record<string, number>;
  /** Fulfilled packets per second in this interval. */
  readonly pps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  /** p99 of how late the loadgen put packets on the wire versus their scheduled time. */
  readonly sendLagP99Ms: number;
  readonly inFlight: number;
  readonly daemon: DaemonSample;
  /** CPU of the loadgen process itself as a share of one core, percent. */
  readonly loadgenCpuPctPerCore: number;
  /** Whole-machine CPU busy share (all processes), percent. */
  readonly machineCpuPct?: number;
}

export interface RunTotals {
  readonly sent: number;
  readonly fulfilled: number;
  readonly rejected: number;
  readonly timedOut: number;
  readonly rejectedByCode: Record<string, number>;
  /** Rejects the workload asked the receiver for (the configured reject fraction). */
  readonly rejectedExpected: number;
  /** Sum of the amounts of fulfilled packets, as the sender sent them. */
  readonly fulfilledAmount: string;
  readonly latency: LatencySummary;
  /** How late packets left the loadgen versus their schedule; large values mean the loadgen fell behind. */
  readonly sendLag: LatencySummary;
}

interface Counters {
  sent: number;
  fulfilled: number;
  rejected: number;
  timedOut: number;
  rejectedExpected: number;
  byCode: Map<string, number>;
}

function emptyCounters(): Counters {
  return { sent: 0, fulfilled: 0, rejected: 0, timedOut: 0, rejectedExpected: 0, byCode: new Map() };
}

function codesToObject(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m.entries()].sort()) out[k] = v;
  return out;
}

/**
 * Counts outcomes per interval and in total. Latency of fulfilled packets goes into the interval
 * histogram only; each interval is merged into the total when it closes, so the hot path records once.
 */
export class RunRecorder {
  readonly series: IntervalSample[] = [];
  private readonly total = emptyCounters();
  private interval = emptyCounters();
  private readonly totalHistogram: Histogram = newLatencyHistogram();
  private readonly intervalHistogram: Histogram = newLatencyHistogram();
  private readonly totalLag: Histogram = newLatencyHistogram();
  private readonly intervalLag: Histogram = newLatencyHistogram();
  /** Exact while below 2^53 base units; converted to a decimal string for the report. */
  private fulfilledAmount = 0;

  recordSent(lagUs: number): void {
    this.interval.sent++;
    recordLatencyUs(this.intervalLag, lagUs);
  }

  recordFulfilled(latencyUs: number, amount: number): void {
    this.interval.fulfilled++;
    this.fulfilledAmount += amount;
    recordLatencyUs(this.intervalHistogram, latencyUs);
  }

  recordRejected(code: string, expected: boolean): void {
    const c = this.interval;
    c.rejected++;
    if (expected) c.rejectedExpected++;
    c.byCode.set(code, (c.byCode.get(code) ?? 0) + 1);
  }

  recordTimedOut(): void {
    this.interval.timedOut++;
  }

  /** Closes the current interval; `t` is seconds since the start, `seconds` the interval's length. */
  closeInterval(
    t: number,
    seconds: number,
    extra: Pick<
      IntervalSample,
      'targetRate' | 'inFlight' | 'daemon' | 'loadgenCpuPctPerCore' | 'machineCpuPct'
    >,
  ): IntervalSample {
    const c = this.interval;
    const lat = summarizeLatency(this.intervalHistogram);
    const sample: IntervalSample = {
      t: Math.round(t * 1000) / 1000,
      targetRate: extra.targetRate,
      sent: c.sent,
      fulfilled: c.fulfilled,
      rejected: c.rejected,
      timedOut: c.timedOut,
      rejectedByCode: codesToObject(c.byCode),
      pps: seconds > 0 ? Math.round(c.fulfilled / seconds) : 0,
      p50Ms: lat.p50Ms,
      p99Ms: lat.p99Ms,
      p999Ms: lat.p999Ms,
      maxMs: lat.maxMs,
      sendLagP99Ms: this.intervalLag.totalCount > 0 ? summarizeLatency(this.intervalLag).p99Ms : 0,
      inFlight: extra.inFlight,
      daemon: extra.daemon,
      loadgenCpuPctPerCore: extra.loadgenCpuPctPerCore,
      ...(extra.machineCpuPct === undefined ? {} : { machineCpuPct: extra.machineCpuPct }),
    };
    this.series.push(sample);
    this.mergeInterval();
    return sample;
  }

  /** Folds the open interval into the totals without emitting a sample (e.g. the drain after the run). */
  mergeInterval(): void {
    const c = this.interval;
    const t = this.total;
    t.sent += c.sent;
    t.fulfilled += c.fulfilled;
    t.rejected += c.rejected;
    t.timedOut += c.timedOut;
    t.rejectedExpected += c.rejectedExpected;
    for (const [k, v] of c.byCode) t.byCode.set(k, (t.byCode.get(k) ?? 0) + v);
    this.totalHistogram.add(this.intervalHistogram);
    this.intervalHistogram.reset();
    this.totalLag.add(this.intervalLag);
    this.intervalLag.reset();
    this.interval = emptyCounters();
  }

  totals(): RunTotals {
    const t = this.total;
    const c = this.interval;
    const byCode = new Map(t.byCode);
    for (const [k, v] of c.byCode) byCode.set(k, (byCode.get(k) ?? 0) + v);
    const h = newLatencyHistogram();
    h.add(this.totalHistogram);
    h.add(this.intervalHistogram);
    const lag = newLatencyHistogram();
    lag.add(this.totalLag);
    lag.add(this.intervalLag);
    return {
      sent: t.sent + c.sent,
      fulfilled: t.fulfilled + c.fulfilled,
      rejected: t.rejected + c.rejected,
      timedOut: t.timedOut + c.timedOut,
      rejectedByCode: codesToObject(byCode),
      rejectedExpected: t.rejectedExpected + c.rejectedExpected,
      fulfilledAmount: BigInt(this.fulfilledAmount).toString(),
      latency: summarizeLatency(h),
      sendLag: summarizeLatency(lag),
    };
  }
}
