import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const REGISTER = join(__dirname, '..', '..', '..', '..', '..', 'test', 'helpers', 'register-ts.cjs');

export interface KillMidRunOptions {
  /** The child script (TypeScript, run through the test hook) and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** The file the child appends its events to, a line each. */
  readonly eventLog: string;
  /** What the child prints on stdout once it has made durable progress. */
  readonly readyMarker: string;
  /** The kill lands this long after the marker, plus a random 0–250 ms. */
  readonly minDelayMs: number;
  /** True when the event log shows the progress the run is meant to cut into. */
  readonly madeProgress: (lines: readonly string[]) => boolean;
}

/**
 * Runs a child until it prints its marker, then kill -9s it after a random extra delay, and returns
 * the complete lines of its event log (a line cut short by the kill is dropped). A child that ends any
 * other way, or is killed before it made progress, fails the run.
 */
export function runAndKillMidRun(options: KillMidRunOptions): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, options.script, ...options.args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const failTimer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (killTimer === undefined && chunk.includes(options.readyMarker)) {
        const delay = options.minDelayMs + Math.floor(Math.random() * 250);
        killTimer = setTimeout(() => child.kill('SIGKILL'), delay);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(failTimer);
      clearTimeout(killTimer);
      const text = readFileSync(options.eventLog, 'utf8');
      const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
      if (signal !== 'SIGKILL' || !options.madeProgress(lines)) {
        const script = options.script.split('/').pop();
        reject(new Error(`${script} ended without being killed mid-run (signal ${signal}): ${stderr}`));
      } else {
        resolve(lines);
      }
    });
  });
}
