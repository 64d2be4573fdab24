/**
 * Load profiles as piecewise-constant rate segments. Every profile is a list of segments so that the
 * open-loop schedule can compute the exact send time of every packet (see open-loop-schedule.ts).
 */
export interface RateSegment {
  /** Packets per second during this segment (0 = pause). */
  readonly rate: number;
  readonly durationMs: number;
}

export type ProfileName = 'steady' | 'ramp' | 'spike' | 'soak';
export const PROFILE_NAMES: readonly ProfileName[] = ['steady', 'ramp', 'spike', 'soak'];

export interface ProfileOptions {
  readonly profile: ProfileName;
  /** Base rate (steady, spike, soak). */
  readonly rate?: number;
  /** Total duration in seconds (steady, spike, soak). */
  readonly durationS?: number;
  /** Ramp stages, e.g. "2000:10,5000:10,10000:20" (rate:seconds). */
  readonly stages?: string;
  readonly spikeFactor?: number;
  readonly spikeDurationS?: number;
  /** Seconds after the start at which the spike begins; defaults to centring it in the run. */
  readonly spikeAtS?: number;
}

const SOAK_DEFAULTS = { rate: 10_000, durationS: 3600 } as const;
const SPIKE_DEFAULTS = { factor: 5, durationS: 30 } as const;

export class ProfileError extends Error {
  readonly code = 'ILPD_LOADGEN_BAD_PROFILE';
}

function positive(name: string, value: number | undefined, allowZero = false): number {
  if (value === undefined || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new ProfileError(
      `${name}: expected a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
  return value;
}

/** Parses "rate:seconds,rate:seconds,…" into segments. */
export function parseStages(spec: string): RateSegment[] {
  const parts = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) throw new ProfileError('--stages: expected "rate:seconds,…", got an empty list');
  return parts.map((part, i) => {
    const m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(part);
    if (!m) throw new ProfileError(`--stages[${i}]: expected "rate:seconds" (e.g. 5000:10), got "${part}"`);
    const rate = positive(`--stages[${i}] rate`, Number(m[1]), true);
    const durationS = positive(`--stages[${i}] seconds`, Number(m[2]));
    return { rate, durationMs: durationS * 1000 };
  });
}

export function buildProfile(o: ProfileOptions): RateSegment[] {
  switch (o.profile) {
    case 'steady': {
      const rate = positive('--rate', o.rate);
      return [{ rate, durationMs: positive('--duration', o.durationS) * 1000 }];
    }
    case 'soak': {
      const rate = positive('--rate', o.rate ?? SOAK_DEFAULTS.rate);
      return [{ rate, durationMs: positive('--duration', o.durationS ?? SOAK_DEFAULTS.durationS) * 1000 }];
    }
    case 'ramp': {
      if (o.stages === undefined) throw new ProfileError('--stages: required for the ramp profile');
      return parseStages(o.stages);
    }
    case 'spike': {
      const rate = positive('--rate', o.rate);
      const totalS = positive('--duration', o.durationS);
      const factor = positive('--spike-factor', o.spikeFactor ?? SPIKE_DEFAULTS.factor);
      const spikeS = positive('--spike-duration', o.spikeDurationS ?? SPIKE_DEFAULTS.durationS);
      if (spikeS >= totalS) {
        throw new ProfileError(`--duration: must exceed the spike duration (${spikeS} s), got ${totalS}`);
      }
      const atS = o.spikeAtS ?? (totalS - spikeS) / 2;
      if (!(atS >= 0 && atS + spikeS <= totalS)) {
        throw new ProfileError(
          `--spike-at: the spike must fit inside the run (0..${totalS - spikeS}), got ${atS}`,
        );
      }
      const segments: RateSegment[] = [];
      if (atS > 0) segments.push({ rate, durationMs: atS * 1000 });
      segments.push({ rate: rate * factor, durationMs: spikeS * 1000 });
      const restS = totalS - atS - spikeS;
      if (restS > 0) segments.push({ rate, durationMs: restS * 1000 });
      return segments;
    }
    default:
      throw new ProfileError(
        `--profile: expected one of ${PROFILE_NAMES.join(', ')}, got ${String(o.profile)}`,
      );
  }
}
