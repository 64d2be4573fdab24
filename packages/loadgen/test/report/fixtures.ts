import type { LoadReport } from '../../src/report/load-report';
import type { IntervalSample } from '../../src/stats/run-recorder';

export function sample(t: number, over: Partial<IntervalSample> = {}): IntervalSample {
  return {
    t,
    targetRate: 1000,
    sent: 1000,
    fulfilled: 990,
    rejected: 10,
    timedOut: 0,
    rejectedByCode: { F99: 10 },
    pps: 990,
    p50Ms: 1.2,
    p99Ms: 4.5,
    p999Ms: 8,
    maxMs: 9,
    sendLagP99Ms: 0.9,
    inFlight: 3,
    daemon: { cpuPct: 20 + t, cpuPctPerCore: 40 + 2 * t, rssMB: 100, heapMB: 50 + t },
    loadgenCpuPctPerCore: 10,
    machineCpuPct: 40,
    ...over,
  };
}

export function report(over: Partial<LoadReport> = {}): LoadReport {
  const series = [1, 2, 3].map((t) => sample(t));
  return {
    tool: 'ilpd-loadgen',
    reportVersion: 1,
    name: 'steady <test> & "quotes"',
    startedAt: '2026-11-22T04:00:00.000Z',
    finishedAt: '2026-11-22T04:00:03.000Z',
    profile: {
      name: 'steady',
      params: { rate: 1000, durationS: 3 },
      segments: [{ rate: 1000, durationMs: 3000 }],
    },
    target: { kind: 'external' },
    workload: {},
    machine: { nproc: 2, clkTck: 100, node: 'v20', platform: 'linux' },
    totals: {
      sent: 3000,
      fulfilled: 2970,
      rejected: 30,
      timedOut: 0,
      rejectedByCode: { F99: 30 },
      rejectedExpected: 30,
      fulfilledAmount: '1485000',
      durationS: 3,
      targetPps: 1000,
      sentPps: 1000,
      pps: 990,
      latencyMs: { count: 2970, p50Ms: 1.2, p90Ms: 3, p99Ms: 4.5, p999Ms: 8, maxMs: 9, meanMs: 1.5 },
      sendLagMs: { p50Ms: 0.4, p99Ms: 0.9, maxMs: 2 },
      lateResponses: 0,
      daemon: { heapMBMax: 53, cpuPctAvg: 22 },
      receiver: { prepares: 3000, fulfilled: 2970, rejected: 30 },
    },
    balanced: true,
    series,
    ...over,
  };
}
