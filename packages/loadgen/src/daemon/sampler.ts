import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { DaemonSample } from '../stats/run-recorder';
import {
  cpuPercent,
  parseMachineStat,
  parseProcStat,
  parseProcStatusKb,
  parsePromValue,
  round1,
  type MachineCpuTimes,
} from './proc';

export const HEAP_USED_METRIC = 'nodejs_heap_size_used_bytes';

/** Clock ticks per second for /proc CPU times (sysconf(_SC_CLK_TCK)); 100 on every mainstream Linux. */
export function readClockTicks(): number {
  try {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(v) && v > 0 ? v : 100;
  } catch {
    return 100;
  }
}

export interface SamplerEnv {
  readonly clkTck: number;
  readonly nproc: number;
  readonly readText: (path: string) => string;
  readonly fetchText: (url: string) => Promise<string>;
}

export function defaultSamplerEnv(): SamplerEnv {
  return {
    clkTck: readClockTicks(),
    nproc: availableParallelism(),
    readText: (p) => readFileSync(p, 'utf8'),
    fetchText: async (url) => {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
      return res.text();
    },
  };
}

function mb(bytes: number): number {
  return round1(bytes / (1024 * 1024));
}

/**
 * Samples the daemon once per interval: CPU from /proc/<pid>/stat deltas, RSS from /proc/<pid>/status
 * (both read synchronously, so the sample lines up with the interval it closes), and heap from its
 * Prometheus endpoint, scraped in the background (a sample carries the latest completed scrape). The
 * first sample only sets the CPU baseline.
 */
export class DaemonSampler {
  private lastTicks: number | undefined;
  private lastAtMs = 0;
  private lastMachine: MachineCpuTimes | undefined;
  private heapMB: number | undefined;
  private scraping: Promise<void> | undefined;

  constructor(
    private readonly options: { readonly pid?: number; readonly metricsUrl?: string },
    private readonly env: SamplerEnv,
  ) {}

  sample(nowMs: number): DaemonSample {
    const out: { cpuPct?: number; cpuPctPerCore?: number; rssMB?: number; heapMB?: number } = {};
    const { pid } = this.options;
    if (pid !== undefined) {
      try {
        const stat = parseProcStat(this.env.readText(`/proc/${pid}/stat`));
        const ticks = stat.utimeTicks + stat.stimeTicks;
        if (this.lastTicks !== undefined && nowMs > this.lastAtMs) {
          const pct = cpuPercent(
            ticks - this.lastTicks,
            (nowMs - this.lastAtMs) / 1000,
            this.env.clkTck,
            this.env.nproc,
          );
          out.cpuPct = pct.machinePct;
          out.cpuPctPerCore = pct.perCorePct;
        }
        this.lastTicks = ticks;
        this.lastAtMs = nowMs;
        const rssKb = parseProcStatusKb(this.env.readText(`/proc/${pid}/status`), 'VmRSS');
        if (rssKb !== undefined) out.rssMB = round1(rssKb / 1024);
      } catch {
        // The daemon exited or /proc is unavailable: the sample simply lacks CPU/RSS.
        this.lastTicks = undefined;
      }
    }
    if (this.heapMB !== undefined) out.heapMB = this.heapMB;
    return out;
  }

  /** Starts a background scrape of the heap metric unless one is still running; resolves when it ends. */
  scrapeHeap(): Promise<void> {
    const url = this.options.metricsUrl;
    if (url === undefined) return Promise.resolve();
    if (!this.scraping) {
      this.scraping = this.env
        .fetchText(url)
        .then((text) => {
          const heap = parsePromValue(text, HEAP_USED_METRIC);
          if (heap !== undefined) this.heapMB = mb(heap);
        })
        .catch(() => {
          // A failed scrape leaves the previous value; it must not stop the run.
        })
        .finally(() => {
          this.scraping = undefined;
        });
    }
    return this.scraping;
  }

  /** Whole-machine busy percent since the previous call (undefined on the first call or without /proc). */
  machineCpuPct(): number | undefined {
    try {
      const now = parseMachineStat(this.env.readText('/proc/stat'));
      const prev = this.lastMachine;
      this.lastMachine = now;
      if (!prev || now.totalTicks <= prev.totalTicks) return undefined;
      return round1(((now.busyTicks - prev.busyTicks) / (now.totalTicks - prev.totalTicks)) * 100);
    } catch {
      return undefined;
    }
  }
}

/** CPU of this process (the loadgen) as a share of one core over each interval. */
export class SelfCpuMeter {
  private last = process.cpuUsage();
  private lastAt = performance.now();

  sample(): number {
    const now = performance.now();
    const usage = process.cpuUsage();
    const usedUs = usage.user - this.last.user + (usage.system - this.last.system);
    const pct = now > this.lastAt ? (usedUs / 1000 / (now - this.lastAt)) * 100 : 0;
    this.last = usage;
    this.lastAt = now;
    return round1(pct);
  }
}
