import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

/**
 * Runs ilpd as a real process for end-to-end suites: writes a YAML config with free ports into a temp
 * directory, spawns `node packages/connector/dist/cli.js start --config …`, waits for /readyz, and
 * captures the JSON log lines. Needs a build (`npm run build`) first.
 */
export const REPO_ROOT = resolve(__dirname, '../..');
export const CLI_PATH = join(REPO_ROOT, 'packages/connector/dist/cli.js');

export interface PeerSpec {
  readonly id: string;
  readonly relation: 'parent' | 'child' | 'peer';
  readonly btp: Record<string, unknown>;
  readonly assetCode?: string;
  readonly assetScale?: number;
  readonly [key: string]: unknown;
}

export interface DaemonProcessOptions {
  /** Our ILP address (default test.e2e); pass null to leave it out (a parent assigns it). */
  readonly address?: string | null;
  readonly peers?: readonly PeerSpec[];
  /** Any other config keys, merged over the defaults below (btp/http ports are filled in). */
  readonly config?: Record<string, unknown>;
  readonly env?: NodeJS.ProcessEnv;
  /** Fixed ports (e.g. to restart a daemon on the same port); free ports otherwise. */
  readonly btpPort?: number;
  readonly httpPort?: number;
  /** Reuse a directory (config + ledger), e.g. for a restart that must keep balances. */
  readonly dir?: string;
  readonly waitForReady?: boolean;
  readonly readyTimeoutMs?: number;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A port that was free a moment ago (bound to 0 and released). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** Peer entries with the usual test defaults (USD, scale 9). */
export function childPeer(id: string, token: string, extra: Record<string, unknown> = {}): PeerSpec {
  return {
    id,
    relation: 'child',
    btp: { role: 'server', authToken: token },
    assetCode: 'USD',
    assetScale: 9,
    ...extra,
  };
}

export class DaemonProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
    readonly configPath: string,
    readonly btpPort: number,
    readonly httpPort: number,
    readonly address: string | undefined,
  ) {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      this.stdout.push(...lines.filter((l) => l !== ''));
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    this.exited = new Promise((resolveExit) => {
      child.once('exit', (code, signal) => {
        if (pending !== '') this.stdout.push(pending);
        this.exitInfo = { code, signal };
        resolveExit(this.exitInfo);
      });
    });
  }

  static async start(options: DaemonProcessOptions = {}): Promise<DaemonProcess> {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` first`);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ilpd-e2e-'));
    const btpPort = options.btpPort ?? (await freePort());
    const httpPort = options.httpPort ?? (await freePort());
    const address = options.address === null ? undefined : (options.address ?? 'test.e2e');
    const extra = options.config ?? {};
    const config: Record<string, unknown> = {
      ...(address === undefined ? {} : { address }),
      log: { level: 'info' },
      ledger: { embedded: { path: './ledger.sqlite' } },
      ...extra,
      btp: { host: '127.0.0.1', ...(extra.btp as object), port: btpPort },
      http: { host: '127.0.0.1', ...(extra.http as object), port: httpPort },
      peers: options.peers ?? [],
    };
    const configPath = join(dir, 'ilpd.yaml');
    writeFileSync(configPath, stringify(config));
    const child = spawn(process.execPath, [CLI_PATH, 'start', '--config', configPath], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new DaemonProcess(child, dir, configPath, btpPort, httpPort, address);
    if (options.waitForReady ?? true) await daemon.waitForReady(options.readyTimeoutMs ?? 20_000);
    return daemon;
  }

  get btpUrl(): string {
    return `ws://127.0.0.1:${this.btpPort}`;
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  /** Parsed JSON log lines (non-JSON lines are skipped). */
  logs(): Record<string, unknown>[] {
    return this.stdout.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  logText(): string {
    return `${this.stdout.join('\n')}\n${this.stderr.join('')}`;
  }

  async waitForLog(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs().find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`log line not seen within ${timeoutMs} ms; logs:\n${this.logText()}`);
      if (!this.isRunning)
        throw new Error(`ilpd exited before the log line appeared; logs:\n${this.logText()}`);
      await sleep(25);
    }
  }

  async waitForReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.isRunning)
        throw new Error(
          `ilpd exited before it was ready (${JSON.stringify(this.exitInfo)}):\n${this.logText()}`,
        );
      try {
        const res = await fetch(`${this.httpUrl}/readyz`);
        if (res.status === 200) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) throw new Error(`ilpd not ready within ${timeoutMs} ms:\n${this.logText()}`);
      await sleep(50);
    }
  }

  async getJson(path: string): Promise<{ status: number; body: unknown }> {
    const res = await fetch(`${this.httpUrl}${path}`);
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  }

  /** Sends SIGTERM (graceful stop) and resolves with how the process exited. */
  async stop(timeoutMs = 15_000): Promise<ExitInfo> {
    if (this.isRunning) this.child.kill('SIGTERM');
    return this.waitForExit(timeoutMs);
  }

  /** SIGKILL: a crash, no shutdown code runs. */
  async kill(): Promise<ExitInfo> {
    if (this.isRunning) this.child.kill('SIGKILL');
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async waitForExit(timeoutMs = 15_000): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`ilpd did not exit within ${timeoutMs} ms; logs:\n${this.logText()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the process if needed and deletes its directory. */
  async dispose(): Promise<void> {
    if (this.isRunning) await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs the CLI to completion (e.g. `config check`), for exit-code and message tests. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Writes a YAML config into a fresh temp dir and returns its path. */
export function writeTempConfig(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-config-'));
  const path = join(dir, 'ilpd.yaml');
  writeFileSync(path, typeof config === 'string' ? config : stringify(config));
  return path;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
