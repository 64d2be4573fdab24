import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/daemon-process';
import type { HostileRole } from './hostile-peer';

const SCRIPT = join(__dirname, 'hostile-peer.ts');
const TS_HOOK = join(REPO_ROOT, 'test/helpers/register-ts.cjs');

/** A hostile-peer.ts process: started once it reports it is doing its harm; stop() returns its stats. */
export class HostilePeer {
  private readonly lines: Record<string, unknown>[] = [];
  private readonly exited: Promise<void>;
  private stderr = '';

  private constructor(
    readonly role: HostileRole,
    private readonly child: ChildProcess,
  ) {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts)
        if (part.trim() !== '') this.lines.push(JSON.parse(part) as Record<string, unknown>);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(role: HostileRole, readyTimeoutMs = 20_000): Promise<HostilePeer> {
    // Peers that send run at the lowest priority: a hostile peer is another machine in real life; on
    // this shared 2-core box at normal priority it would take CPU from ilpd and the honest pair through
    // the OS scheduler, which is not what these suites measure. It still sends as fast as the spare CPU
    // allows. Passive ones (a black hole, a slow reader) keep normal priority: starved of CPU, a black
    // hole would read too slowly and be dropped as a slow reader.
    const passive = role.role === 'black-hole' || role.role === 'slow-reader';
    const command = [process.execPath, '-r', TS_HOOK, SCRIPT, JSON.stringify(role)];
    const [file, ...args] = passive ? command : ['nice', '-n', '19', ...command];
    const child = spawn(file, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const peer = new HostilePeer(role, child);
    await peer.waitFor('ready', readyTimeoutMs);
    return peer;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM; resolves with the counters the process reported. */
  async stop(): Promise<Record<string, number>> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const stats = await this.waitFor('stats', 10_000).catch(() => ({}));
    await this.exited;
    const { event: _event, role: _role, ...counters } = stats as Record<string, unknown>;
    return counters as Record<string, number>;
  }

  private async waitFor(event: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.lines.find((l) => l.event === event);
      if (line !== undefined) return line;
      const failed = this.lines.find((l) => l.event === 'error');
      if (failed !== undefined || this.child.exitCode !== null || Date.now() > deadline) {
        this.child.kill('SIGKILL');
        throw new Error(
          `${this.role.role} did not report ${event}: ${JSON.stringify(failed ?? this.lines)} ${this.stderr}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
