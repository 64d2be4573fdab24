import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManagedProcess, freePort, waitForHttpOk, waitForTcp } from '../../src/daemon/managed-process';

describe('ManagedProcess', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'loadgen-proc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function node(name: string, script: string): ManagedProcess {
    return new ManagedProcess(name, process.execPath, ['-e', script], { logFile: join(dir, `${name}.log`) });
  }

  it('waits until the child listens, then stops it with SIGTERM', async () => {
    const port = await freePort();
    const proc = node(
      'server',
      `const s = require('net').createServer().listen(${port}, '127.0.0.1');
       process.on('SIGTERM', () => { console.log('draining'); s.close(() => process.exit(0)); });`,
    );
    expect(proc.start()).toBeGreaterThan(0);
    await waitForTcp('127.0.0.1', port, proc, 10_000);
    await proc.stop(5000);
    expect(proc.exit).toEqual({ code: 0, signal: null });
    expect(proc.logTail(5)).toContain('draining');
  });

  it('fails the readiness wait early with the log tail when the child exits', async () => {
    const proc = node('crash', `console.error('config error: peers[0].id missing'); process.exit(3);`);
    proc.start();
    const port = await freePort();
    await expect(waitForHttpOk(`http://127.0.0.1:${port}/readyz`, proc, 10_000)).rejects.toThrow(
      /crash exited \(code 3\)[\s\S]*peers\[0\]\.id missing/,
    );
  });

  it('kills a child that ignores SIGTERM once the timeout passes', async () => {
    const proc = node(
      'stubborn',
      `process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);`,
    );
    proc.start();
    while (!proc.logTail(2).includes('up')) await new Promise((r) => setTimeout(r, 20));
    await proc.stop(200);
    expect(proc.exit?.signal).toBe('SIGKILL');
  });
});
