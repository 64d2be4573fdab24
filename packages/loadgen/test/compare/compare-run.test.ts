import { ratio, stepOutcome, type TargetResult } from '../../src/compare/compare-run';
import type { PhaseResult } from '../../src/run/load-session';
import type { IntervalSample, RunTotals } from '../../src/stats/run-recorder';

const latency = { count: 0, p50Ms: 1.5, p90Ms: 2, p99Ms: 4.25, p999Ms: 6, maxMs: 9, meanMs: 1.7 };

function totals(fields: Partial<RunTotals>): RunTotals {
  return {
    sent: 0,
    fulfilled: 0,
    rejected: 0,
    timedOut: 0,
    rejectedByCode: {},
    rejectedExpected: 0,
    fulfilledAmount: '0',
    latency,
    sendLag: latency,
    ...fields,
  };
}

function sample(fields: Partial<IntervalSample>): IntervalSample {
  return {
    t: 1,
    targetRate: 0,
    sent: 0,
    fulfilled: 0,
    rejected: 0,
    timedOut: 0,
    rejectedByCode: {},
    pps: 0,
    p50Ms: 0,
    p99Ms: 0,
    p999Ms: 0,
    maxMs: 0,
    sendLagP99Ms: 0,
    inFlight: 0,
    daemon: {},
    loadgenCpuPctPerCore: 0,
    ...fields,
  };
}

function phase(scheduleMs: number, t: RunTotals, series: IntervalSample[]): PhaseResult {
  return {
    startedAt: new Date(0),
    finishedAt: new Date(scheduleMs),
    scheduleMs,
    scheduledPackets: t.sent,
    totals: t,
    series,
  };
}

describe('compare: one step as the search judges it', () => {
  it('counts fulfilled packets per second of the offered schedule, not per second of the drain', () => {
    const outcome = stepOutcome(
      5000,
      phase(10_000, totals({ sent: 50_000, fulfilled: 49_500, rejected: 500, rejectedExpected: 400 }), []),
    );
    expect(outcome).toMatchObject({
      rate: 5000,
      sent: 50_000,
      fulfilled: 49_500,
      unexpectedRejects: 100,
      timedOut: 0,
      pps: 4950,
      p50Ms: 1.5,
      p99Ms: 4.25,
    });
  });

  it('averages CPU over the intervals that report it, to one decimal', () => {
    const outcome = stepOutcome(
      100,
      phase(3000, totals({ sent: 300, fulfilled: 300 }), [
        sample({ daemon: { cpuPct: 10 }, loadgenCpuPctPerCore: 20, machineCpuPct: 50 }),
        sample({ daemon: {}, loadgenCpuPctPerCore: 30 }),
        sample({ daemon: { cpuPct: 11.25 }, loadgenCpuPctPerCore: 31, machineCpuPct: 61 }),
      ]),
    );
    expect(outcome).toMatchObject({ pps: 100, cpuPct: 10.6, loadgenCpuPctPerCore: 27, machineCpuPct: 55.5 });
  });

  it('leaves CPU figures out when no interval had a sample', () => {
    const outcome = stepOutcome(100, phase(1000, totals({ sent: 100, fulfilled: 100 }), []));
    expect(outcome.cpuPct).toBeUndefined();
    expect(outcome.machineCpuPct).toBeUndefined();
  });
});

describe('compare: ratios between targets', () => {
  const result = (target: TargetResult['target'], maxPps: number): TargetResult => ({
    target,
    maxPps,
    p99Ms: null,
    rate: null,
    cpuPct: null,
    steps: [],
  });

  it('is the first target’s max pps over the second’s, to three decimals', () => {
    expect(ratio(result('ilpd', 23_000), result('relay', 130_000))).toBe(0.177);
    expect(ratio(result('ilpd', 23_000), result('reference', 2_800))).toBe(8.214);
  });

  it('is null when a target is missing or sustained nothing', () => {
    expect(ratio(result('ilpd', 23_000), undefined)).toBeNull();
    expect(ratio(undefined, result('relay', 100))).toBeNull();
    expect(ratio(result('ilpd', 23_000), result('relay', 0))).toBeNull();
  });
});
