import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderHtmlReport } from './html-report';
import type { LoadReport } from './load-report';

/** Filesystem-safe UTC timestamp, e.g. 20261122T044200Z. */
export function reportTimestamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
}

export interface WrittenReport {
  readonly jsonPath: string;
  readonly htmlPath: string;
}

/** Writes reports/<name>-<timestamp>.json and .html. */
export function writeLoadReport(report: LoadReport, dir: string): WrittenReport {
  const base = join(resolve(dir), `${safeName(report.name)}-${reportTimestamp(new Date(report.startedAt))}`);
  mkdirSync(resolve(dir), { recursive: true });
  const jsonPath = `${base}.json`;
  const htmlPath = `${base}.html`;
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(htmlPath, renderHtmlReport(report));
  return { jsonPath, htmlPath };
}

export function writeJsonReport(name: string, startedAt: Date, body: unknown, dir: string): string {
  mkdirSync(resolve(dir), { recursive: true });
  const path = join(resolve(dir), `${safeName(name)}-${reportTimestamp(startedAt)}.json`);
  writeFileSync(path, `${JSON.stringify(body, null, 2)}\n`);
  return path;
}
