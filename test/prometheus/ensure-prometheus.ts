import { execFileSync, spawnSync } from 'node:child_process';

/**
 * The Prometheus server binary for the scrape suite. Installed from Debian's packages when missing
 * (this is how CI gets it); fails with the exact command to run when that is not possible.
 */
export function ensurePrometheus(): string {
  const found = spawnSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    throw new Error(
      'prometheus is not installed; install it with: sudo apt-get install -y --no-install-recommends prometheus',
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
  return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
}
