import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * A real EVM node for settlement suites: the anvil binary shipped in the npm package
 * `@foundry-rs/anvil` (no Docker, no download), listening on 127.0.0.1 on a port the OS picks.
 *
 *   const anvil = await Anvil.spawn();          // anvil.url, anvil.privateKeys (funded dev accounts)
 *   ...
 *   await anvil.kill();                         // in afterAll
 *
 * Two ways to take it away for outage tests, both keeping the chain's state:
 *  - `stop()` / `start()` (or `restart(downForMs)`): SIGTERM, anvil dumps its state (accounts, storage,
 *    blocks, receipts) to `--state <dir>/state.json`; `start()` loads it on the same port. While it is
 *    down, connections are refused: the node is really unreachable. Anvil does not persist its clock
 *    offset (evm_increaseTime), so `start()` sets the clock to no earlier than the last block's
 *    timestamp plus the time it was down: block timestamps never go backwards. Transactions still in
 *    its mempool are lost, as on a real node restart (automine leaves none).
 *  - `pause()` / `resume()`: SIGSTOP / SIGCONT. The process keeps everything, but the kernel still
 *    accepts connections into the listen backlog and nothing answers: calls hang until the client's
 *    timeout, as with a hung node.
 */
export const ANVIL_BIN = resolve(__dirname, '../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

export interface AnvilOptions {
  /** Default 31337 (anvil's). */
  readonly chainId?: number;
  /** Funded dev accounts (default 10, 10,000 ETH each). */
  readonly accounts?: number;
  readonly readyTimeoutMs?: number;
}

interface AnvilConfigOut {
  readonly available_accounts: string[];
  readonly private_keys: string[];
}

export class Anvil {
  /** Funded dev accounts: `privateKeys[i]` controls `addresses[i]`. */
  readonly privateKeys: readonly string[];
  readonly addresses: readonly string[];
  /** The last lines anvil printed, for failure messages. */
  readonly output: string[] = [];
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stoppedAtMs = 0;
  private lastBlockTimestamp = 0;
  private removeExitHook: (() => void) | undefined;

  private constructor(
    readonly port: number,
    readonly chainId: number,
    private readonly dir: string,
    config: AnvilConfigOut,
  ) {
    this.privateKeys = config.private_keys;
    this.addresses = config.available_accounts;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts a fresh chain on a free port and waits until it answers. */
  static async spawn(options: AnvilOptions = {}): Promise<Anvil> {
    const dir = mkdtempSync(join(tmpdir(), 'ilpd-anvil-'));
    const chainId = options.chainId ?? 31337;
    const probe = new AnvilProcess(dir, [
      '--port',
      '0',
      '--chain-id',
      String(chainId),
      '--accounts',
      String(options.accounts ?? 10),
      '--config-out',
      join(dir, 'accounts.json'),
    ]);
    let port: number;
    try {
      port = await probe.listening(options.readyTimeoutMs ?? 20_000);
    } catch (err) {
      probe.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    const config = JSON.parse(readFileSync(join(dir, 'accounts.json'), 'utf8')) as AnvilConfigOut;
    const anvil = new Anvil(port, chainId, dir, config);
    anvil.adopt(probe);
    await anvil.waitForRpc(options.readyTimeoutMs ?? 20_000);
    return anvil;
  }

  /** Raw JSON-RPC call (for test-only methods: evm_increaseTime, evm_mine, anvil_*). */
  async rpc<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: T; error?: { message: string } };
    if (body.error !== undefined) throw new Error(`anvil ${method}: ${body.error.message}`);
    return body.result as T;
  }

  /** Moves the chain's clock forward and mines a block at the new time. */
  async increaseTime(seconds: number): Promise<void> {
    await this.rpc('evm_increaseTime', [seconds]);
    await this.rpc('evm_mine', []);
  }

  async latestBlockTimestamp(): Promise<number> {
    const block = await this.rpc<{ timestamp: string }>('eth_getBlockByNumber', ['latest', false]);
    return Number(BigInt(block.timestamp));
  }

  /** SIGTERM: anvil dumps its state and exits; the port refuses connections until `start()`. */
  async stop(): Promise<void> {
    if (this.child === undefined) return;
    this.resume(); // a paused process neither answers nor handles SIGTERM
    this.lastBlockTimestamp = await this.latestBlockTimestamp();
    const exited = this.exited;
    this.child.kill('SIGTERM');
    await exited;
    this.child = undefined;
    this.stoppedAtMs = Date.now();
  }

  /** Starts the stopped node again on the same port from its dumped state. */
  async start(readyTimeoutMs = 20_000): Promise<void> {
    if (this.child !== undefined) throw new Error('anvil is already running');
    const node = new AnvilProcess(this.dir, [
      '--port',
      String(this.port),
      '--chain-id',
      String(this.chainId),
    ]);
    this.adopt(node);
    await node.listening(readyTimeoutMs);
    await this.waitForRpc(readyTimeoutMs);
    const downSeconds = Math.ceil((Date.now() - this.stoppedAtMs) / 1000);
    const resumeAt = Math.max(this.lastBlockTimestamp + downSeconds, Math.floor(Date.now() / 1000));
    await this.rpc('evm_setTime', [resumeAt]);
  }

  /** Stops the node for `downForMs` and brings it back with the same state on the same port. */
  async restart(downForMs: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downForMs));
    await this.start();
  }

  /** SIGSTOP: the node stops answering (calls hang) but keeps every bit of state, mempool included. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Ends the node for good and removes its files. */
  async kill(): Promise<void> {
    if (this.child !== undefined) {
      const exited = this.exited;
      this.child.kill('SIGKILL');
      await exited;
      this.child = undefined;
    }
    this.removeExitHook?.();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private adopt(node: AnvilProcess): void {
    this.child = node.child;
    this.exited = node.exited;
    node.onLine = (line) => {
      this.output.push(line);
      if (this.output.length > 200) this.output.shift();
    };
    // A suite that fails before its afterAll must not leave a node running after jest exits.
    this.removeExitHook?.();
    const child = node.child;
    const hook = (): void => void child.kill('SIGKILL');
    process.once('exit', hook);
    this.removeExitHook = () => process.removeListener('exit', hook);
  }

  private async waitForRpc(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.rpc('eth_chainId');
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          throw new Error(`anvil on ${this.url} did not answer: ${String(err)}\n${this.output.join('\n')}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
}

/** One anvil process; its stdout must be drained, or anvil blocks once the pipe is full. */
class AnvilProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  onLine: (line: string) => void = () => undefined;
  private readonly lines: string[] = [];
  private portSeen: ((port: number) => void) | undefined;
  private port: number | undefined;

  constructor(dir: string, args: string[]) {
    this.child = spawn(ANVIL_BIN, ['--host', '127.0.0.1', '--state', join(dir, 'state.json'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolveExit) => this.child.once('exit', () => resolveExit()));
    let pending = '';
    const onData = (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        this.lines.push(line);
        if (this.lines.length > 200) this.lines.shift();
        this.onLine(line);
        const listening = /Listening on 127\.0\.0\.1:(\d+)/.exec(line);
        if (listening !== null) {
          this.port = Number(listening[1]);
          this.portSeen?.(this.port);
        }
      }
    };
    this.child.stdout?.on('data', onData);
    this.child.stderr?.on('data', onData);
  }

  listening(timeoutMs: number): Promise<number> {
    if (this.port !== undefined) return Promise.resolve(this.port);
    return new Promise((resolvePort, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`anvil did not start listening in ${timeoutMs} ms:\n${this.lines.join('\n')}`));
      }, timeoutMs);
      this.child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`anvil exited (${code ?? signal}) before listening:\n${this.lines.join('\n')}`));
      });
      this.portSeen = (port) => {
        clearTimeout(timer);
        resolvePort(port);
      };
    });
  }
}
