import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportTimestamp, safeName, writeLoadReport } from '../../src/report/write-report';
import { report } from './fixtures';

describe('report files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loadgen-report-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <name>-<timestamp>.json and .html', () => {
    const r = report({ name: 'bench-e2e' });
    const paths = writeLoadReport(r, join(dir, 'reports'));
    expect(paths.jsonPath).toBe(join(dir, 'reports', 'bench-e2e-20261122T040000Z.json'));
    expect(paths.htmlPath).toBe(join(dir, 'reports', 'bench-e2e-20261122T040000Z.html'));
    expect(JSON.parse(readFileSync(paths.jsonPath, 'utf8'))).toEqual(r);
    expect(existsSync(paths.htmlPath)).toBe(true);
  });

  it('makes names and timestamps filesystem-safe', () => {
    expect(safeName('steady <10k>/s')).toBe('steady-10k-s');
    expect(safeName('///')).toBe('run');
    expect(reportTimestamp(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });
});
