import { RunRecorder } from '../../src/stats/run-recorder';
import {
  newLatencyHistogram,
  recordLatencyUs,
  summarizeLatency,
  LATENCY_MAX_US,
} from '../../src/stats/latency';

const extra = { targetRate: 100, inFlight: 0, daemon: {}, loadgenCpuPctPerCore: 0 };

describe('latency summaries', () => {
  it('reports percentiles in milliseconds at microsecond resolution', () => {
    const h = newLatencyHistogram();
    for (let ms = 1; ms <= 1000; ms++) recordLatencyUs(h, ms * 1000);
    const s = summarizeLatency(h);
    expect(s.count).toBe(1000);
    expect(s.p50Ms).toBeCloseTo(500, -0.5);
    expect(s.p99Ms).toBeCloseTo(990, -1);
    expect(s.p999Ms).toBeCloseTo(999, -1);
    expect(s.maxMs).toBeCloseTo(1000, -0.5);
  });

  it('clamps values outside the trackable range instead of throwing', () => {
    const h = newLatencyHistogram();
    recordLatencyUs(h, -5);
    recordLatencyUs(h, LATENCY_MAX_US * 10);
    expect(h.totalCount).toBe(2);
    expect(summarizeLatency(h).maxMs).toBeGreaterThanOrEqual(LATENCY_MAX_US / 1000 - 1);
  });

  it('summarizes an empty histogram as zeros', () => {
    expect(summarizeLatency(newLatencyHistogram())).toEqual({
      count: 0,
      p50Ms: 0,
      p90Ms: 0,
      p99Ms: 0,
      p999Ms: 0,
      maxMs: 0,
      meanMs: 0,
    });
  });
});

describe('RunRecorder', () => {
  it('closes per-interval samples and keeps totals across intervals', () => {
    const r = new RunRecorder();
    for (let i = 0; i < 10; i++) r.recordSent(100);
    for (let i = 0; i < 8; i++) r.recordFulfilled(2000, 5);
    r.recordRejected('F99', true);
    r.recordRejected('T04', false);
    const first = r.closeInterval(1, 1, extra);
    expect(first).toMatchObject({ t: 1, sent: 10, fulfilled: 8, rejected: 2, pps: 8, timedOut: 0 });
    expect(first.rejectedByCode).toEqual({ F99: 1, T04: 1 });
    expect(first.p50Ms).toBeCloseTo(2, 2);

    r.recordSent(0);
    r.recordFulfilled(4000, 7);
    r.recordRejected('T04', false);
    r.recordTimedOut();
    const second = r.closeInterval(2.5, 1.5, extra);
    expect(second).toMatchObject({ sent: 1, fulfilled: 1, pps: 1, rejectedByCode: { T04: 1 }, timedOut: 1 });

    const t = r.totals();
    expect(t).toMatchObject({
      sent: 11,
      fulfilled: 9,
      rejected: 3,
      timedOut: 1,
      rejectedExpected: 1,
      rejectedByCode: { F99: 1, T04: 2 },
      fulfilledAmount: String(8 * 5 + 7),
    });
    expect(t.latency.count).toBe(9);
    expect(t.latency.maxMs).toBeCloseTo(4, 2);
    expect(r.series).toHaveLength(2);
  });

  it('includes the open interval in the totals without emitting a sample', () => {
    const r = new RunRecorder();
    r.recordSent(0);
    r.recordFulfilled(1000, 3);
    expect(r.totals()).toMatchObject({ sent: 1, fulfilled: 1, fulfilledAmount: '3' });
    r.mergeInterval();
    expect(r.series).toHaveLength(0);
    expect(r.totals().latency.count).toBe(1);
  });

  it('tracks how late packets were sent versus their schedule', () => {
    const r = new RunRecorder();
    for (let i = 0; i < 99; i++) r.recordSent(100);
    r.recordSent(50_000);
    expect(r.closeInterval(1, 1, extra).sendLagP99Ms).toBeCloseTo(0.1, 2);
    expect(r.totals().sendLag.maxMs).toBeCloseTo(50, 0);
  });
});
