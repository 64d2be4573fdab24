import { parseCredentials } from '../btp/btp-url';
import type { Credentials } from '../daemon/targets';
import { DEFAULT_WORKLOAD, type WorkloadOptions } from '../run/load-session';

export class UsageError extends Error {
  readonly code = 'ILPD_LOADGEN_USAGE';
}

export type Flags = Record<string, string | boolean | undefined>;

export function numberFlag(flags: Flags, name: string, fallback: number): number;
export function numberFlag(flags: Flags, name: string, fallback?: number): number | undefined;
export function numberFlag(flags: Flags, name: string, fallback?: number): number | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const v = typeof raw === 'string' ? Number(raw) : NaN;
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v)) {
    throw new UsageError(`--${name}: expected a number, got ${JSON.stringify(raw)}`);
  }
  return v;
}

export function stringFlag(flags: Flags, name: string, fallback: string): string;
export function stringFlag(flags: Flags, name: string, fallback?: string): string | undefined;
export function stringFlag(flags: Flags, name: string, fallback?: string): string | undefined {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string') throw new UsageError(`--${name}: expects a value`);
  return raw;
}

export function credentialsFlag(flags: Flags, name: string, fallback: string): Credentials {
  return parseCredentials(stringFlag(flags, name, fallback), `--${name}`);
}

/** Options shared by run and compare: the packets, their sending and how the receiver runs. */
export const WORKLOAD_FLAGS = {
  'pool-size': { type: 'string' },
  'amount-min': { type: 'string' },
  'amount-max': { type: 'string' },
  'reject-fraction': { type: 'string' },
  accounts: { type: 'string' },
  'data-bytes': { type: 'string' },
  seed: { type: 'string' },
  'expiry-ms': { type: 'string' },
  'tick-ms': { type: 'string' },
  'max-burst': { type: 'string' },
  'receiver-thread': { type: 'string' },
} as const;

export function workloadFromFlags(flags: Flags): WorkloadOptions {
  const d = DEFAULT_WORKLOAD;
  return {
    poolSize: numberFlag(flags, 'pool-size', d.poolSize),
    amountMin: numberFlag(flags, 'amount-min', d.amountMin),
    amountMax: numberFlag(flags, 'amount-max', d.amountMax),
    rejectFraction: numberFlag(flags, 'reject-fraction', d.rejectFraction),
    accounts: numberFlag(flags, 'accounts', d.accounts),
    paddingBytes: numberFlag(flags, 'data-bytes', d.paddingBytes),
    seed: numberFlag(flags, 'seed', d.seed),
    expiryMs: numberFlag(flags, 'expiry-ms', d.expiryMs),
    rejectCode: d.rejectCode,
  };
}

export function timingFromFlags(flags: Flags): { tickMs: number; maxBurst: number } {
  const tickMs = numberFlag(flags, 'tick-ms', 1);
  const maxBurst = numberFlag(flags, 'max-burst', 5000);
  if (!(tickMs >= 1 && tickMs <= 100)) throw new UsageError(`--tick-ms: expected 1..100, got ${tickMs}`);
  if (!(maxBurst >= 1)) throw new UsageError(`--max-burst: expected ≥ 1, got ${maxBurst}`);
  return { tickMs, maxBurst };
}

/** --receiver-thread on|off (default on): whether the receiving peer gets its own worker thread. */
export function receiverThreadFromFlags(flags: Flags): boolean {
  const raw = stringFlag(flags, 'receiver-thread', 'on');
  if (raw !== 'on' && raw !== 'off') {
    throw new UsageError(`--receiver-thread: expected on or off, got ${JSON.stringify(raw)}`);
  }
  return raw === 'on';
}

/** "http://host:port" or ".../metrics" → the metrics and balances URLs of an ilpd admin port. */
export function adminUrls(metricsUrl: string | undefined): { metricsUrl?: string; balancesUrl?: string } {
  if (metricsUrl === undefined) return {};
  const base = metricsUrl.replace(/\/+$/, '').replace(/\/metrics$/, '');
  return { metricsUrl: `${base}/metrics`, balancesUrl: `${base}/admin/balances` };
}
