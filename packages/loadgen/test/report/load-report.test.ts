import { buildTotals, linearSlope, summarizeDaemon, summaryLine } from '../../src/report/load-report';
import { report, sample } from './fixtures';

describe('report math', () => {
  it('fits a least-squares slope', () => {
    expect(
      linearSlope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2, 9);
    expect(linearSlope([[1, 1]])).toBeUndefined();
    expect(
      linearSlope([
        [1, 1],
        [1, 2],
      ]),
    ).toBeUndefined();
  });

  it('summarizes the daemon: heap first/last/max and growth per hour, CPU averaged over loaded intervals', () => {
    const series = [
      sample(0, { daemon: { heapMB: 100, cpuPct: 10, cpuPctPerCore: 20, rssMB: 300 } }),
      sample(1800, { daemon: { heapMB: 110, cpuPct: 30, cpuPctPerCore: 60, rssMB: 320 } }),
      sample(3600, { daemon: { heapMB: 120, cpuPct: 50, cpuPctPerCore: 100, rssMB: 310 } }),
      sample(3601, { targetRate: 0, daemon: { cpuPct: 0, cpuPctPerCore: 0 } }),
    ];
    expect(summarizeDaemon(series)).toEqual({
      heapMBFirst: 100,
      heapMBLast: 120,
      heapMBMax: 120,
      heapSlopeMBPerHour: 20,
      rssMBMax: 320,
      rssMBLast: 310,
      cpuPctAvg: 30,
      cpuPctMax: 50,
      cpuPctPerCoreAvg: 60,
    });
  });

  it('reports no heap trend for runs shorter than a minute', () => {
    const series = [1, 2, 3].map((t) => sample(t, { daemon: { heapMB: 10 * t } }));
    expect(summarizeDaemon(series).heapSlopeMBPerHour).toBeUndefined();
  });

  it('omits daemon figures that were never sampled', () => {
    expect(summarizeDaemon([sample(1, { daemon: {} })])).toEqual({});
  });

  it('derives rates from the schedule length, not from the drain', () => {
    const totals = buildTotals({
      totals: {
        sent: 20_000,
        fulfilled: 19_000,
        rejected: 1000,
        timedOut: 0,
        rejectedByCode: { F99: 1000 },
        rejectedExpected: 1000,
        fulfilledAmount: '19000',
        latency: { count: 19_000, p50Ms: 1, p90Ms: 2, p99Ms: 3, p999Ms: 4, maxMs: 5, meanMs: 1 },
        sendLag: { count: 20_000, p50Ms: 0.1, p90Ms: 0.2, p99Ms: 0.5, p999Ms: 1, maxMs: 2, meanMs: 0.1 },
      },
      series: [sample(1), sample(2)],
      scheduleMs: 2000,
      scheduledPackets: 20_000,
      lateResponses: 0,
      receiver: { prepares: 20_000, fulfilled: 19_000, rejected: 1000 },
    });
    expect(totals).toMatchObject({ durationS: 2, targetPps: 10_000, sentPps: 10_000, pps: 9500 });
    expect(totals.sendLagMs).toEqual({ p50Ms: 0.1, p99Ms: 0.5, maxMs: 2 });
    expect(totals.loadgenCpuPctPerCoreAvg).toBe(10);
  });

  it('prints the bench:e2e summary with exactly the agreed keys', () => {
    expect(summaryLine(report())).toEqual({
      pps: 990,
      p50Ms: 1.2,
      p99Ms: 4.5,
      p999Ms: 8,
      heapMB: 53,
      cpuPct: 22,
      rejected: 30,
      balanced: true,
    });
  });
});
