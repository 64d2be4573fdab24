/**
 * Finds the highest sustainable rate of a target with short fixed-rate steps: grow the rate
 * geometrically until a step fails, then bisect between the last good and the first failing rate.
 */
export interface StepOutcome {
  readonly rate: number;
  readonly sent: number;
  readonly fulfilled: number;
  /** Rejects other than the ones the workload asked for. */
  readonly unexpectedRejects: number;
  readonly timedOut: number;
  readonly pps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly cpuPct?: number;
  readonly loadgenCpuPctPerCore?: number;
  /** Busy share of the whole machine during the step: high values mean neighbours competed. */
  readonly machineCpuPct?: number;
}

export interface JudgedStep extends StepOutcome {
  readonly sustained: boolean;
  readonly reason?: string;
  /** True for the re-run of a step that failed once. */
  readonly retry?: boolean;
}

export interface SearchOptions {
  readonly startRate: number;
  readonly maxRate: number;
  /** Factor between consecutive rates while every step passes (> 1). */
  readonly growth: number;
  /** Bisection steps after the first failure. */
  readonly refineSteps: number;
  readonly p99LimitMs: number;
  /** Share of the packets that must be fulfilled (intended rejects excluded), e.g. 0.99. */
  readonly minFulfilledRatio: number;
  /**
   * Re-runs of a failing step before the rate counts as unsustainable: on a shared machine one
   * neighbour's burst can spoil a single short step.
   */
  readonly confirmFailures: number;
}

export const DEFAULT_SEARCH: SearchOptions = {
  startRate: 2000,
  maxRate: 200_000,
  growth: 1.5,
  refineSteps: 2,
  p99LimitMs: 10,
  minFulfilledRatio: 0.99,
  confirmFailures: 1,
};

export function judgeStep(
  s: StepOutcome,
  o: Pick<SearchOptions, 'p99LimitMs' | 'minFulfilledRatio'>,
): JudgedStep {
  const owed = s.fulfilled + s.unexpectedRejects + s.timedOut;
  if (s.timedOut > 0) return { ...s, sustained: false, reason: `${s.timedOut} packets timed out` };
  if (owed > 0 && s.fulfilled / owed < o.minFulfilledRatio) {
    return { ...s, sustained: false, reason: `${s.unexpectedRejects} unexpected rejects` };
  }
  if (s.fulfilled === 0) return { ...s, sustained: false, reason: 'nothing fulfilled' };
  if (!(s.p99Ms < o.p99LimitMs))
    return { ...s, sustained: false, reason: `p99 ${s.p99Ms} ms ≥ ${o.p99LimitMs} ms` };
  return { ...s, sustained: true };
}

/** Rates are kept round (multiples of 100 packets/s) so runs are comparable. */
function roundRate(r: number): number {
  return Math.max(100, Math.round(r / 100) * 100);
}

export interface SearchResult {
  /** The highest rate that passed; undefined if none did. */
  readonly best?: JudgedStep;
  readonly steps: readonly JudgedStep[];
}

export async function steppedSearch(
  runStep: (rate: number) => Promise<StepOutcome>,
  o: SearchOptions,
  onStep?: (step: JudgedStep) => void,
): Promise<SearchResult> {
  if (!(o.growth > 1)) throw new RangeError(`--growth: expected > 1, got ${o.growth}`);
  const steps: JudgedStep[] = [];
  const attempt = async (rate: number): Promise<JudgedStep> => {
    let judged = judgeStep(await runStep(rate), o);
    steps.push(judged);
    onStep?.(judged);
    for (let i = 0; i < o.confirmFailures && !judged.sustained; i++) {
      judged = { ...judgeStep(await runStep(rate), o), retry: true };
      steps.push(judged);
      onStep?.(judged);
    }
    return judged;
  };
  let best: JudgedStep | undefined;
  let failedAt: number | undefined;
  let rate = roundRate(o.startRate);
  while (rate <= o.maxRate) {
    const step = await attempt(rate);
    if (!step.sustained) {
      failedAt = rate;
      break;
    }
    best = step;
    const next = roundRate(rate * o.growth);
    if (next > o.maxRate && rate < o.maxRate) rate = o.maxRate;
    else rate = next === rate ? rate + 100 : next;
  }
  let lo = best?.rate ?? 0;
  let hi = failedAt;
  for (let i = 0; i < o.refineSteps && hi !== undefined; i++) {
    const mid = roundRate((lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    const step = await attempt(mid);
    if (step.sustained) {
      best = step;
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return { best, steps };
}
