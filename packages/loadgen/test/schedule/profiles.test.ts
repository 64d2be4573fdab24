import { buildProfile, parseStages, type RateSegment } from '../../src/schedule/profiles';

function profileDurationMs(segments: readonly RateSegment[]): number {
  return segments.reduce((sum, s) => sum + s.durationMs, 0);
}

function profileTotalPackets(segments: readonly RateSegment[]): number {
  return segments.reduce((sum, s) => sum + Math.floor((s.rate * s.durationMs) / 1000), 0);
}

describe('load profiles', () => {
  it('steady is one segment at the rate for the duration', () => {
    expect(buildProfile({ profile: 'steady', rate: 10_000, durationS: 60 })).toEqual([
      { rate: 10_000, durationMs: 60_000 },
    ]);
  });

  it('soak defaults to one hour at 10K/s', () => {
    const s = buildProfile({ profile: 'soak' });
    expect(s).toEqual([{ rate: 10_000, durationMs: 3_600_000 }]);
    expect(profileTotalPackets(s)).toBe(36_000_000);
  });

  it('ramp follows its stages', () => {
    expect(buildProfile({ profile: 'ramp', stages: '1000:10, 5000:5,0:2' })).toEqual([
      { rate: 1000, durationMs: 10_000 },
      { rate: 5000, durationMs: 5000 },
      { rate: 0, durationMs: 2000 },
    ]);
  });

  it('spike puts 5× the base rate for 30 s in the middle of a steady run', () => {
    const s = buildProfile({ profile: 'spike', rate: 2000, durationS: 120 });
    expect(s).toEqual([
      { rate: 2000, durationMs: 45_000 },
      { rate: 10_000, durationMs: 30_000 },
      { rate: 2000, durationMs: 45_000 },
    ]);
    expect(profileDurationMs(s)).toBe(120_000);
  });

  it('spike honours an explicit start, factor and length', () => {
    expect(
      buildProfile({
        profile: 'spike',
        rate: 100,
        durationS: 20,
        spikeAtS: 0,
        spikeFactor: 3,
        spikeDurationS: 5,
      }),
    ).toEqual([
      { rate: 300, durationMs: 5000 },
      { rate: 100, durationMs: 15_000 },
    ]);
  });

  it('names the option and the bad value in errors', () => {
    expect(() => buildProfile({ profile: 'steady', durationS: 10 })).toThrow(
      '--rate: expected a positive number, got undefined',
    );
    expect(() => buildProfile({ profile: 'spike', rate: 10, durationS: 20 })).toThrow(
      '--duration: must exceed the spike',
    );
    expect(() => parseStages('100:10,fast:3')).toThrow('--stages[1]: expected "rate:seconds"');
    expect(() => buildProfile({ profile: 'ramp' })).toThrow('--stages: required');
  });
});
