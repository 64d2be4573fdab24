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
  /** Turns the admin write API on (a free port) with this bearer token. */
  readonly adminToken?: string;
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
    readonly admin?: { readonly port: number; readonly token: string },
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
    const admin =
      options.adminToken === undefined ? undefined : { port: await freePort(), token: options.adminToken };
    if (admin !== undefined) config.admin = { enabled: true, host: '127.0.0.1', ...admin };
    const configPath = join(dir, 'ilpd.yaml');
    writeFileSync(configPath, stringify(config));
    return DaemonProcess.spawn({ dir, configPath, btpPort, httpPort, address, admin }, options);
  }

  /**
   * Starts ilpd again on this one's config file as it is now (which runtime changes may have edited),
   * its directory (ledger) and its ports. Call after this one has exited.
   */
  async restart(options: Pick<DaemonProcessOptions, 'env' | 'readyTimeoutMs'> = {}): Promise<DaemonProcess> {
    if (this.isRunning) throw new Error('restart() needs the previous process to have exited');
    return DaemonProcess.spawn(
      {
        dir: this.dir,
        configPath: this.configPath,
        btpPort: this.btpPort,
        httpPort: this.httpPort,
        address: this.address,
        admin: this.admin,
      },
      options,
    );
  }

  private static async spawn(
    at: {
      dir: string;
      configPath: string;
      btpPort: number;
      httpPort: number;
      address: string | undefined;
      admin?: { port: number; token: string };
    },
    options: Pick<DaemonProcessOptions, 'env' | 'waitForReady' | 'readyTimeoutMs'>,
  ): Promise<DaemonProcess> {
    const child = spawn(process.execPath, [CLI_PATH, 'start', '--config', at.configPath], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const daemon = new DaemonProcess(
      child,
      at.dir,
      at.configPath,
      at.btpPort,
      at.httpPort,
      at.address,
      at.admin,
    );
    if (options.waitForReady ?? true) await daemon.waitForReady(options.readyTimeoutMs ?? 20_000);
    return daemon;
  }

  /** A request to the admin write API with its bearer token (or `token`; null: none); JSON in and out. */
  async adminRequest(
    method: string,
    path: string,
    body?: unknown,
    token: string | null = this.admin?.token ?? null,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    if (this.admin === undefined) throw new Error('this daemon was started without adminToken');
    const res = await fetch(`http://127.0.0.1:${this.admin.port}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        'x-ilpd-actor': 'e2e-test',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
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

/** Runs the CLI to completion without blocking the test's event loop (e.g. while it serves BTP peers). */
export function runCliAsync(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
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
