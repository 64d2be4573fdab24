import { DaemonSampler, type SamplerEnv } from '../../src/daemon/sampler';

function statWithTicks(utime: number, stime: number): string {
  const fields = Array.from({ length: 50 }, () => '0');
  fields[14 - 3] = String(utime);
  fields[15 - 3] = String(stime);
  return `77 (node) S ${fields.slice(1).join(' ')}`;
}

describe('DaemonSampler', () => {
  it('turns /proc tick deltas into CPU % and reads RSS and the heap metric', async () => {
    let ticks = [100, 20];
    const files: Record<string, () => string> = {
      '/proc/77/stat': () => statWithTicks(ticks[0], ticks[1]),
      '/proc/77/status': () => 'VmRSS:\t  204800 kB\n',
      '/proc/stat': () => 'cpu 0 0 0 0 0 0 0 0\n',
    };
    const env: SamplerEnv = {
      clkTck: 100,
      nproc: 2,
      readText: (p) => {
        const f = files[p];
        if (!f) throw new Error(`ENOENT ${p}`);
        return f();
      },
      fetchText: async () => 'nodejs_heap_size_used_bytes 104857600\n',
    };
    const sampler = new DaemonSampler({ pid: 77, metricsUrl: 'http://x/metrics' }, env);
    const first = sampler.sample(0);
    expect(first).toEqual({ rssMB: 200 });
    await sampler.scrapeHeap();
    ticks = [180, 40]; // +100 ticks over 2 s = 0.5 core
    expect(sampler.sample(2000)).toEqual({ cpuPct: 25, cpuPctPerCore: 50, rssMB: 200, heapMB: 100 });
  });

  it('leaves CPU and RSS out when the process is gone', () => {
    const env: SamplerEnv = {
      clkTck: 100,
      nproc: 2,
      readText: () => {
        throw new Error('ENOENT');
      },
      fetchText: async () => '',
    };
    expect(new DaemonSampler({ pid: 1 }, env).sample(0)).toEqual({});
  });

  it('computes whole-machine busy % between calls', () => {
    let stat = 'cpu 100 0 100 800 0 0 0 0\n';
    const env: SamplerEnv = { clkTck: 100, nproc: 2, readText: () => stat, fetchText: async () => '' };
    const sampler = new DaemonSampler({}, env);
    expect(sampler.machineCpuPct()).toBeUndefined();
    stat = 'cpu 150 0 150 900 0 0 0 0\n';
    expect(sampler.machineCpuPct()).toBe(50);
  });
});
