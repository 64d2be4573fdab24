import { OpenLoopSchedule } from '../../src/schedule/open-loop-schedule';

function drain(s: OpenLoopSchedule, elapsedMs: number): number[] {
  const out: number[] = [];
  for (let at = s.takeDue(elapsedMs); at >= 0; at = s.takeDue(elapsedMs)) out.push(at);
  return out;
}

describe('OpenLoopSchedule', () => {
  it('spaces packets evenly at the segment rate, starting at time zero', () => {
    const s = new OpenLoopSchedule([{ rate: 1000, durationMs: 10 }]);
    expect(s.totalPackets).toBe(10);
    expect(drain(s, 3.5)).toEqual([0, 1, 2, 3]);
    expect(drain(s, 3.9)).toEqual([]);
    expect(drain(s, 100)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(s.done).toBe(true);
    expect(s.takeDue(1e9)).toBe(-1);
  });

  it('releases a whole backlog at once after a stall, each packet keeping its own scheduled time', () => {
    const s = new OpenLoopSchedule([{ rate: 10_000, durationMs: 1000 }]);
    const late = drain(s, 50);
    expect(late).toHaveLength(501);
    expect(late[250]).toBeCloseTo(25, 9);
  });

  it('starts each segment at its own offset, including after a pause', () => {
    const s = new OpenLoopSchedule([
      { rate: 2, durationMs: 1000 },
      { rate: 0, durationMs: 500 },
      { rate: 4, durationMs: 1000 },
    ]);
    expect(s.totalPackets).toBe(6);
    expect(s.durationMs).toBe(2500);
    expect(drain(s, 10_000)).toEqual([0, 500, 1500, 1750, 2000, 2250]);
  });

  it('reports the target rate in force at a point in time', () => {
    const s = new OpenLoopSchedule([
      { rate: 100, durationMs: 1000 },
      { rate: 500, durationMs: 1000 },
    ]);
    expect(s.rateAt(0)).toBe(100);
    expect(s.rateAt(999)).toBe(100);
    expect(s.rateAt(1000)).toBe(500);
    expect(s.rateAt(2000)).toBe(0);
  });

  it('tells when the next packet is due without taking it', () => {
    const s = new OpenLoopSchedule([{ rate: 100, durationMs: 30 }]);
    expect(s.nextAt()).toBe(0);
    s.takeDue(0);
    expect(s.nextAt()).toBe(10);
    expect(s.packetsTaken).toBe(1);
    drain(s, 1000);
    expect(s.nextAt()).toBe(-1);
  });

  it('counts exactly rate × duration packets for fractional rates', () => {
    const s = new OpenLoopSchedule([{ rate: 333, durationMs: 3000 }]);
    expect(drain(s, 1e9)).toHaveLength(999);
  });
});
