/**
 * CI smoke run of the load suite: the built ilpd-loadgen CLI spawns a fresh ilpd, offers a low steady
 * rate (so it passes on a loaded 2-core box) and must finish with a balanced ledger and its reports
 * written. Performance figures are deliberately not asserted here; benchmarks report them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const loadgenCli = join(root, 'packages/loadgen/dist/cli.js');
const ilpdCli = join(root, 'packages/connector/dist/cli.js');

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [loadgenCli, ...args],
      { cwd: root, timeout: 100_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

describe('loadgen smoke run against a spawned ilpd', () => {
  let dir: string;
  beforeAll(() => {
    for (const cli of [loadgenCli, ilpdCli]) {
      if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before this suite`);
    }
    dir = mkdtempSync(join(tmpdir(), 'loadgen-smoke-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('completes a short steady run with fulfilled packets, a balanced ledger and both report files', async () => {
    const reportDir = join(dir, 'reports');
    const result = await run([
      'run',
      '--profile',
      'steady',
      '--rate',
      '1000',
      '--duration',
      '10',
      '--spawn-daemon',
      '--reject-fraction',
      '0.02',
      '--name',
      'smoke',
      '--report-dir',
      reportDir,
    ]);
    if (result.code !== 0) throw new Error(`loadgen exited ${result.code}:\n${result.stderr}`);
    const summary = JSON.parse(result.stdout.trim().split('\n').pop() as string) as {
      report: string;
      chart: string;
      balanced: boolean;
    };
    expect(summary.balanced).toBe(true);
    expect(existsSync(summary.report)).toBe(true);
    expect(existsSync(summary.chart)).toBe(true);
    expect(summary.report.startsWith(reportDir)).toBe(true);
    const report = JSON.parse(readFileSync(summary.report, 'utf8')) as {
      balanced: boolean;
      totals: { fulfilled: number; sent: number };
      series: unknown[];
    };
    expect(report.balanced).toBe(true);
    expect(report.totals.fulfilled).toBeGreaterThan(0);
    expect(report.series.length).toBeGreaterThan(0);
    expect(readFileSync(summary.chart, 'utf8')).toContain('<svg');
  }, 110_000);
});
