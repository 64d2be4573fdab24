/**
 * Parsers for Linux /proc files. CPU time is read as clock ticks (utime + stime of the whole process,
 * all threads included) and turned into percentages over the sampling interval:
 *   machine % = Δticks / (Δt · CLK_TCK · nproc) · 100,   per-core % = Δticks / (Δt · CLK_TCK) · 100.
 */
export interface ProcCpuTimes {
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  readonly threads: number;
}

export class ProcParseError extends Error {
  readonly code = 'ILPD_LOADGEN_PROC_PARSE';
}

/** /proc/<pid>/stat: fields after the command name, which may itself contain spaces and parentheses. */
export function parseProcStat(text: string): ProcCpuTimes {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new ProcParseError('/proc/<pid>/stat: no ")" closing the command name');
  // rest[0] is field 3 (state); field n is rest[n - 3].
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  if (rest.length < 18)
    throw new ProcParseError(`/proc/<pid>/stat: expected ≥ 20 fields, got ${rest.length + 2}`);
  const utimeTicks = Number(rest[14 - 3]);
  const stimeTicks = Number(rest[15 - 3]);
  const threads = Number(rest[20 - 3]);
  if (!Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks)) {
    throw new ProcParseError('/proc/<pid>/stat: utime/stime are not numbers');
  }
  return { utimeTicks, stimeTicks, threads };
}

/** A "Key:   1234 kB" line of /proc/<pid>/status, in kB; undefined when absent. */
export function parseProcStatusKb(text: string, key: string): number | undefined {
  const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

export interface MachineCpuTimes {
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** The aggregate "cpu" line of /proc/stat; idle and iowait count as not busy. */
export function parseMachineStat(text: string): MachineCpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new ProcParseError('/proc/stat: no aggregate "cpu" line');
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already included in user/nice)
  const total = v.slice(0, 8).reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busyTicks: total - idle, totalTicks: total };
}

export interface CpuPercent {
  /** Share of the whole machine (all cores), 0..100. */
  readonly machinePct: number;
  /** Share of one core, 0..100·nproc. */
  readonly perCorePct: number;
}

export function cpuPercent(deltaTicks: number, intervalS: number, clkTck: number, nproc: number): CpuPercent {
  if (intervalS <= 0) return { machinePct: 0, perCorePct: 0 };
  const perCore = (deltaTicks / (intervalS * clkTck)) * 100;
  return { machinePct: round1(perCore / nproc), perCorePct: round1(perCore) };
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Value of an unlabelled (or first labelled) sample of a Prometheus text-format metric. */
export function parsePromValue(text: string, metric: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const next = line.charAt(metric.length);
    if (next !== ' ' && next !== '{') continue;
    const valueStart = next === '{' ? line.indexOf('}', metric.length) + 1 : metric.length;
    const fields = line.slice(valueStart).trim().split(/\s+/);
    const value = Number(fields[0]);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}
