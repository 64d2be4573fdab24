import { build, type Histogram } from 'hdr-histogram-js';

/** Latencies are recorded in integer microseconds; anything beyond two minutes is clamped. */
export const LATENCY_MAX_US = 120_000_000;

export function newLatencyHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_MAX_US,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  });
}

export function recordLatencyUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : us > LATENCY_MAX_US ? LATENCY_MAX_US : Math.round(us));
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

/** Milliseconds rounded to the microsecond the histogram resolves. */
export function usToMs(us: number): number {
  return Math.round(us) / 1000;
}

export function summarizeLatency(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
  return {
    count: h.totalCount,
    p50Ms: usToMs(h.getValueAtPercentile(50)),
    p90Ms: usToMs(h.getValueAtPercentile(90)),
    p99Ms: usToMs(h.getValueAtPercentile(99)),
    p999Ms: usToMs(h.getValueAtPercentile(99.9)),
    maxMs: usToMs(h.maxValue),
    meanMs: usToMs(h.mean),
  };
}
