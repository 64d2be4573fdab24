import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

export class ProcessError extends Error {
  constructor(
    readonly code: 'ILPD_LOADGEN_SPAWN_FAILED' | 'ILPD_LOADGEN_NOT_READY',
    message: string,
  ) {
    super(message);
  }
}

/**
 * A child process we started (a daemon under test, the reference connector or the relay), with its output
 * in a log file. stop() sends SIGTERM so the daemon drains and flushes, then SIGKILL after a timeout.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private exitedPromise: Promise<void> | undefined;
  private spawnError: Error | undefined;

  constructor(
    readonly name: string,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly options: {
      readonly env?: NodeJS.ProcessEnv;
      readonly cwd?: string;
      readonly logFile: string;
    },
  ) {}

  start(): number {
    const fd = openSync(this.options.logFile, 'a');
    try {
      const child = spawn(this.command, this.args, {
        cwd: this.options.cwd,
        env: this.options.env ?? process.env,
        stdio: ['ignore', fd, fd],
      });
      this.child = child;
      // Never leave a daemon behind if the loadgen itself dies: the 'exit' hook runs synchronously.
      process.once('exit', this.killOnExit);
      this.exitedPromise = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          this.exitInfo = { code, signal };
          process.off('exit', this.killOnExit);
          resolve();
        });
        child.once('error', (err) => {
          this.exitInfo = { code: -1, signal: null };
          this.spawnError = err;
          resolve();
        });
      });
      if (child.pid === undefined) {
        throw new ProcessError('ILPD_LOADGEN_SPAWN_FAILED', `${this.name}: could not start ${this.command}`);
      }
      return child.pid;
    } finally {
      closeSync(fd);
    }
  }

  private readonly killOnExit = (): void => {
    if (!this.exitInfo) this.child?.kill('SIGKILL');
  };

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Undefined while running; how it ended otherwise. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  describeExit(): string {
    const e = this.exitInfo;
    if (!e) return `${this.name} is running`;
    const how = this.spawnError
      ? this.spawnError.message
      : e.signal
        ? `signal ${e.signal}`
        : `code ${e.code}`;
    return `${this.name} exited (${how}); last log lines:\n${this.logTail(20)}`;
  }

  logTail(lines: number): string {
    try {
      return readFileSync(this.options.logFile, 'utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within timeoutMs. Resolves once it has exited. */
  async stop(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo || !this.exitedPromise) return;
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!this.exitInfo) child.kill('SIGKILL');
        resolve();
      }, timeoutMs);
    });
    await Promise.race([this.exitedPromise, killed]);
    clearTimeout(timer);
    await this.exitedPromise;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until GET url answers 2xx; fails early when the process exits. */
export async function waitForHttpOk(url: string, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (proc.exit) throw new ProcessError('ILPD_LOADGEN_NOT_READY', proc.describeExit());
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(100);
  }
  throw new ProcessError(
    'ILPD_LOADGEN_NOT_READY',
    `${proc.name}: ${url} not ready within ${timeoutMs} ms (${last}); last log lines:\n${proc.logTail(20)}`,
  );
}

/** Polls until a TCP connection to host:port succeeds; fails early when the process exits. */
export async function waitForTcp(
  host: string,
  port: number,
  proc: ManagedProcess,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exit) throw new ProcessError('ILPD_LOADGEN_NOT_READY', proc.describeExit());
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new ProcessError(
    'ILPD_LOADGEN_NOT_READY',
    `${proc.name}: ${host}:${port} not accepting connections within ${timeoutMs} ms; last log lines:\n${proc.logTail(20)}`,
  );
}

/** A port that was free a moment ago on 127.0.0.1 (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
