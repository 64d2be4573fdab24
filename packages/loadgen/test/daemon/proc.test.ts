import {
  cpuPercent,
  parseMachineStat,
  parseProcStat,
  parseProcStatusKb,
  parsePromValue,
} from '../../src/daemon/proc';

// /proc/<pid>/stat of a node process whose command name contains a space and a parenthesis.
const STAT =
  '4242 (node (ilpd) x) S 1 4242 4242 0 -1 4194560 52345 0 12 0 1530 287 0 0 20 0 11 0 123456 1234567168 24810 ' +
  '18446744073709551615 1 1 0 0 0 0 0 4096 134234626 0 0 0 17 1 0 0 0 0 0\n';

describe('/proc parsing', () => {
  it('reads utime, stime and threads after a command name with spaces and parentheses', () => {
    expect(parseProcStat(STAT)).toEqual({ utimeTicks: 1530, stimeTicks: 287, threads: 11 });
  });

  it('rejects a truncated stat line with a clear error', () => {
    expect(() => parseProcStat('4242 (node) S 1 2')).toThrow('expected ≥ 20 fields');
    expect(() => parseProcStat('garbage')).toThrow('no ")"');
  });

  it('reads kB values from /proc/<pid>/status', () => {
    const status = 'Name:\tnode\nVmPeak:\t 1300000 kB\nVmRSS:\t   99328 kB\nThreads:\t11\n';
    expect(parseProcStatusKb(status, 'VmRSS')).toBe(99_328);
    expect(parseProcStatusKb(status, 'VmSwap')).toBeUndefined();
  });

  it('computes CPU % of the machine and of one core from tick deltas', () => {
    // 150 ticks in 1 s at CLK_TCK 100 is 1.5 cores: 150 % of a core, 75 % of a 2-core machine.
    expect(cpuPercent(150, 1, 100, 2)).toEqual({ machinePct: 75, perCorePct: 150 });
    expect(cpuPercent(30, 2, 100, 4)).toEqual({ machinePct: 3.8, perCorePct: 15 });
    expect(cpuPercent(10, 0, 100, 2)).toEqual({ machinePct: 0, perCorePct: 0 });
  });

  it('counts idle and iowait as not busy in /proc/stat', () => {
    const stat = 'cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1 2 3\n';
    expect(parseMachineStat(stat)).toEqual({ busyTicks: 160, totalTicks: 1000 });
  });

  it('reads a gauge from Prometheus text, labelled or not, ignoring longer names', () => {
    const text = [
      '# HELP nodejs_heap_size_used_bytes Process heap size used from node.js in bytes.',
      '# TYPE nodejs_heap_size_used_bytes gauge',
      'nodejs_heap_size_used_bytes_total 1',
      'nodejs_heap_size_used_bytes 52428800 1700000000000',
      'process_resident_memory_bytes{instance="a"} 1.5e8',
    ].join('\n');
    expect(parsePromValue(text, 'nodejs_heap_size_used_bytes')).toBe(52_428_800);
    expect(parsePromValue(text, 'process_resident_memory_bytes')).toBe(150_000_000);
    expect(parsePromValue(text, 'missing')).toBeUndefined();
  });
});
