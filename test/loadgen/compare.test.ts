/**
 * `ilpd-loadgen compare` (the code behind the README's headline figures), run as the built CLI against
 * real targets at rates a busy 2-core machine sustains: the relay and ilpd are spawned in turn, each
 * is searched with fixed-rate steps, and the printed summary, the ratio and the JSON report agree. The
 * p99 limit is lifted: latency is what benchmarks report, this checks the search and its arithmetic.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CompareResult } from '../../packages/loadgen/src/compare/compare-run';

const root = resolve(__dirname, '../..');
const loadgenCli = join(root, 'packages/loadgen/dist/cli.js');

interface Summary {
  relay?: { maxPps: number; rate: number | null; error?: string };
  ilpd?: { maxPps: number; rate: number | null; error?: string };
  ilpdVsRelay: number | null;
  report: string;
}

function compare(args: string[]): Promise<{ code: number; summary: Summary; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [loadgenCli, 'compare', ...args],
      { cwd: root, timeout: 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolvePromise({ code, summary: JSON.parse(last) as Summary, stderr });
        } catch {
          reject(new Error(`compare printed no summary (exit ${code}):\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

describe('ilpd-loadgen compare', () => {
  let dir: string;
  const search = ['--step-seconds', '1', '--start-rate', '200', '--max-rate', '300', '--growth', '1.5'];
  const quick = [
    '--refine',
    '0',
    '--confirm',
    '0',
    '--warmup',
    '0',
    '--pause-ms',
    '200',
    '--p99-limit-ms',
    '60000',
  ];

  beforeAll(() => {
    if (!existsSync(loadgenCli)) throw new Error(`${loadgenCli} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'loadgen-compare-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('searches the relay and ilpd, prints each one’s best step and their ratio, and writes the report', async () => {
    const run = await compare(['--targets', 'relay,ilpd', ...search, ...quick, '--report-dir', dir]);
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(run.summary.report, 'utf8')) as CompareResult;
    expect(run.summary.report.startsWith(dir)).toBe(true);
    for (const name of ['relay', 'ilpd'] as const) {
      const result = report.results[name]!;
      // 200/s passes, 300/s passes, 450/s is above --max-rate: the best step is the one at 300/s.
      expect(result.steps.map((s) => [s.rate, s.sustained])).toEqual([
        [200, true],
        [300, true],
      ]);
      const best = result.steps[1];
      expect(result.rate).toBe(300);
      expect(result.maxPps).toBe(best.pps);
      // pps is fulfilled per second of the 1 s schedule, and a sustained step fulfilled >= 99 %.
      expect(best.pps).toBe(best.fulfilled);
      expect(best.fulfilled).toBeGreaterThanOrEqual(0.99 * best.sent);
      expect(run.summary[name]).toMatchObject({ maxPps: result.maxPps, rate: 300 });
    }
    const expectedRatio =
      Math.round((report.results.ilpd!.maxPps / report.results.relay!.maxPps) * 1000) / 1000;
    expect(report.ilpdVsRelay).toBe(expectedRatio);
    expect(run.summary.ilpdVsRelay).toBe(expectedRatio);
  }, 120_000);

  it('reports a target that cannot start, still measures the others, and exits 1', async () => {
    const run = await compare([
      '--targets',
      'ilpd,relay',
      '--ilpd-cli',
      join(dir, 'no-such-cli.js'),
      ...search,
      '--max-rate',
      '200',
      ...quick,
      '--report-dir',
      dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.summary.ilpd).toMatchObject({ maxPps: 0, rate: null });
    expect(run.summary.ilpd?.error).toContain('no-such-cli.js');
    expect(run.summary.relay).toMatchObject({ rate: 200 });
    expect(run.summary.relay!.maxPps).toBeGreaterThan(0);
    expect(run.summary.ilpdVsRelay).toBe(0);
  }, 120_000);
});
