import { execFileSync, spawnSync } from 'node:child_process';

/**
 * The Prometheus server binary (and its promtool) for the Prometheus suites. Both come from Debian's
 * `prometheus` package, installed when missing (this is how CI gets them); fails with the exact
 * command to run when that is not possible.
 */
export function ensurePrometheus(): string {
  return ensurePrometheusBinary('prometheus');
}

/** promtool: checks and unit-tests the alert rules. */
export function ensurePromtool(): string {
  return ensurePrometheusBinary('promtool');
}

function ensurePrometheusBinary(name: 'prometheus' | 'promtool'): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      `${name} is not installed; install it with: sudo apt-get install -y --no-install-recommends prometheus`,
    );
  }
  execFileSync(
    'sh',
    ['-c', 'apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus'],
    {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      timeout: 240_000,
    },
  );
  return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}
