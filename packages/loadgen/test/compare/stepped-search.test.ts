import {
  judgeStep,
  steppedSearch,
  type SearchOptions,
  type StepOutcome,
} from '../../src/compare/stepped-search';

const opts: SearchOptions = {
  startRate: 2000,
  maxRate: 200_000,
  growth: 2,
  refineSteps: 3,
  p99LimitMs: 10,
  minFulfilledRatio: 0.99,
  confirmFailures: 0,
};

/** A target that keeps p99 low up to `capacity` packets/s and falls over above it. */
function fakeTarget(capacity: number) {
  const rates: number[] = [];
  const run = async (rate: number): Promise<StepOutcome> => {
    rates.push(rate);
    const ok = rate <= capacity;
    return {
      rate,
      sent: rate * 10,
      fulfilled: rate * 10,
      unexpectedRejects: 0,
      timedOut: 0,
      pps: rate,
      p50Ms: 1,
      p99Ms: ok ? 3 : 40,
    };
  };
  return { run, rates };
}

describe('stepped search', () => {
  it('grows until a step fails, then bisects towards the capacity', async () => {
    const t = fakeTarget(23_000);
    const result = await steppedSearch(t.run, opts);
    expect(t.rates).toEqual([2000, 4000, 8000, 16_000, 32_000, 24_000, 20_000, 22_000]);
    expect(result.best?.rate).toBe(22_000);
    expect(result.steps.filter((s) => !s.sustained).map((s) => s.rate)).toEqual([32_000, 24_000]);
  });

  it('bisects below the start rate when even the first step fails', async () => {
    const t = fakeTarget(700);
    const result = await steppedSearch(t.run, { ...opts, refineSteps: 4 });
    expect(t.rates[0]).toBe(2000);
    expect(result.best?.rate).toBeLessThanOrEqual(700);
    expect(result.best?.rate).toBeGreaterThan(0);
  });

  it('stops at the maximum rate when everything passes', async () => {
    const t = fakeTarget(1e9);
    const result = await steppedSearch(t.run, { ...opts, maxRate: 10_000 });
    expect(t.rates).toEqual([2000, 4000, 8000, 10_000]);
    expect(result.best?.rate).toBe(10_000);
  });

  it('reports no best step when nothing passes', async () => {
    const t = fakeTarget(0);
    const result = await steppedSearch(t.run, { ...opts, startRate: 200, refineSteps: 2 });
    expect(result.best).toBeUndefined();
  });
});

describe('stepped search on a noisy machine', () => {
  it('re-runs a failing step and keeps climbing when the re-run passes', async () => {
    const t = fakeTarget(5000);
    let hiccups = 1;
    const noisy = async (rate: number): Promise<StepOutcome> => {
      const out = await t.run(rate);
      if (rate === 4000 && hiccups-- > 0) return { ...out, p99Ms: 80 };
      return out;
    };
    const result = await steppedSearch(noisy, { ...opts, confirmFailures: 1, refineSteps: 0 });
    expect(t.rates).toEqual([2000, 4000, 4000, 8000, 8000]);
    expect(result.best?.rate).toBe(4000);
    expect(result.steps.map((s) => [s.rate, s.sustained, s.retry ?? false])).toEqual([
      [2000, true, false],
      [4000, false, false],
      [4000, true, true],
      [8000, false, false],
      [8000, false, true],
    ]);
  });
});

describe('step judgement', () => {
  const base: StepOutcome = {
    rate: 1000,
    sent: 1000,
    fulfilled: 1000,
    unexpectedRejects: 0,
    timedOut: 0,
    pps: 1000,
    p50Ms: 1,
    p99Ms: 2,
  };

  it('passes a step with low p99 and everything fulfilled', () => {
    expect(judgeStep(base, opts)).toMatchObject({ sustained: true });
  });

  it('fails on p99 at or above the limit, timeouts, or too many unexpected rejects', () => {
    expect(judgeStep({ ...base, p99Ms: 10 }, opts).reason).toBe('p99 10 ms ≥ 10 ms');
    expect(judgeStep({ ...base, timedOut: 1 }, opts).reason).toBe('1 packets timed out');
    expect(judgeStep({ ...base, fulfilled: 900, unexpectedRejects: 100 }, opts).reason).toBe(
      '100 unexpected rejects',
    );
    expect(judgeStep({ ...base, fulfilled: 0, sent: 0 }, opts).reason).toBe('nothing fulfilled');
  });
});
