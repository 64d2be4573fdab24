import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const CLI = join(__dirname, '../../dist/cli.js');

/**
 * The CLI's last line of defence: a command that has finished but whose process does not exit by
 * itself (a timer or socket left open) is forced out with exit code 3 and the open handles named,
 * never with the command's own (successful) code. Runs the built CLI in a real process.
 */
describe('ilpd exit guard', () => {
  /** Runs `script` as the main program with argv [node, 'script', '--version'], as the bin would. */
  function run(script: string) {
    return spawnSync(process.execPath, ['-e', script, '--', 'script', '--version'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
  }

  it('forces exit code 3 and names the handle when one is left open after the command', () => {
    const result = run(`setInterval(() => undefined, 1000); require(${JSON.stringify(CLI)}).runAsProcess();`);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(result.stderr).toMatch(/open handles: .*Timeout/);
    expect(result.status).toBe(3);
  });

  it('exits with the command’s code when nothing is left open', () => {
    const result = run(`require(${JSON.stringify(CLI)}).runAsProcess();`);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
