import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, REPO_ROOT } from '../helpers/daemon-process';

/**
 * The reference JavaScript connector (npm ilp-connector 23) as a separate process, configured through
 * its CONNECTOR_* environment: one-to-one rates (the default backend fetches rates from the network),
 * route broadcasting on, an in-memory store, raised rate limits and one ilp-plugin-btp listener per
 * account. Started with node directly: signals do not pass through npx.
 */
export interface ReferenceAccount {
  readonly relation: 'parent' | 'child' | 'peer';
  readonly secret: string;
  readonly assetCode?: string;
  readonly assetScale?: number;
}

export class ReferenceConnector {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly ports: Readonly<Record<string, number>>,
    readonly adminPort: number,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.output.push(chunk));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(
    address: string,
    accounts: Readonly<Record<string, ReferenceAccount>>,
    env: NodeJS.ProcessEnv = {},
  ): Promise<ReferenceConnector> {
    const ports: Record<string, number> = {};
    const configured: Record<string, unknown> = {};
    for (const [id, account] of Object.entries(accounts)) {
      ports[id] = await freePort();
      configured[id] = {
        relation: account.relation,
        assetCode: account.assetCode ?? 'USD',
        assetScale: account.assetScale ?? 9,
        plugin: 'ilp-plugin-btp',
        options: { listener: { port: ports[id], secret: account.secret } },
        rateLimit: { refillPeriod: 1000, refillCount: 1_000_000, capacity: 1_000_000 },
      };
    }
    const adminPort = await freePort();
    const child = spawn(process.execPath, [require.resolve('ilp-connector/dist/index.js')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        DEBUG: 'connector*',
        CONNECTOR_ENV: 'test',
        CONNECTOR_ILP_ADDRESS: address,
        CONNECTOR_BACKEND: 'one-to-one',
        CONNECTOR_SPREAD: '0',
        CONNECTOR_STORE: 'memory',
        CONNECTOR_ROUTE_BROADCAST_ENABLED: 'true',
        CONNECTOR_ROUTE_BROADCAST_INTERVAL: '500',
        CONNECTOR_ADMIN_API: 'true',
        CONNECTOR_ADMIN_API_HOST: '127.0.0.1',
        CONNECTOR_ADMIN_API_PORT: String(adminPort),
        CONNECTOR_ACCOUNTS: JSON.stringify(configured),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const connector = new ReferenceConnector(child, ports, adminPort);
    try {
      for (const port of Object.values(ports)) await connector.waitForTcp(port, 30_000);
    } catch (err) {
      await connector.stop();
      throw err;
    }
    return connector;
  }

  /** GET on the reference connector's admin API. */
  async admin(path: string): Promise<unknown> {
    const res = await fetch(`http://127.0.0.1:${this.adminPort}${path}`);
    return res.json();
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }

  logText(): string {
    return this.output.join('');
  }

  private async waitForTcp(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`ilp-connector exited:\n${this.logText()}`);
      const open = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (open) return;
      if (Date.now() > deadline)
        throw new Error(`ilp-connector did not listen on ${port}:\n${this.logText()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
