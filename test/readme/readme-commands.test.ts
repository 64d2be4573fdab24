import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../packages/connector/src/config/load';
import { createLedger } from '../../packages/connector/src/ledger';
import { freePort } from '../helpers/daemon-process';

/**
 * The README's commands, taken from README.md itself and run as a user runs them from the repository
 * root right after `npm install` — which is what CI is: a fresh clone, `npm install`, `npm test`. The
 * only changes to the commands: free ports instead of 7768/7780/7781 (other suites run beside this
 * one), a temporary ledger file instead of config/data/ (env overrides, as the README documents), and
 * for the commands that edit the config, a copy of config/ilpd.yaml instead of the tracked file.
 */
const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of `lang` in the README section under `heading`. */
function blocks(heading: string, lang: string): string[] {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README has no section "## ${heading}"`);
  const end = README.indexOf('\n## ', start + 4);
  const section = README.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]);
}

/** The command lines of a sh block (comments kept: sh ignores them). */
function commands(block: string): string[] {
  return block
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('README commands', () => {
  let work: string;
  let ports: { btp: number; http: number; admin: number };
  let env: NodeJS.ProcessEnv;
  const daemons: ChildProcess[] = [];

  /** A README command through sh, from the repository root, with the test's ports. */
  function sh(command: string, extraEnv: NodeJS.ProcessEnv = {}): Run {
    const line = command
      .replace(/127\.0\.0\.1:7768/g, `127.0.0.1:${ports.btp}`)
      .replace(/127\.0\.0\.1:7780/g, `127.0.0.1:${ports.http}`);
    const result = spawnSync('sh', ['-c', line], {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  function expectOk(command: string, run: Run): void {
    if (run.code !== 0) throw new Error(`\`${command}\` exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  }

  /** Starts a daemon (a process group, so Ctrl-C reaches every process in it, as in a terminal). */
  function startDetached(command: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...env, ...extraEnv },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemons.push(child);
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('exit', (code, signal) => done({ code, signal })),
    );
    return { child, output: () => output, exited };
  }

  async function waitReady(output: () => string): Promise<void> {
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${ports.http}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`ilpd not ready:\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    // Inside the repository: the README's pay.js resolves its packages from the root node_modules.
    work = mkdtempSync(join(ROOT, '.tmp', 'readme-'));
    ports = { btp: await freePort(), http: await freePort(), admin: await freePort() };
    env = {
      ...process.env,
      ILPD_BTP__PORT: String(ports.btp),
      ILPD_HTTP__PORT: String(ports.http),
      ILPD_ADMIN__PORT: String(ports.admin),
      ILPD_LEDGER__EMBEDDED__PATH: join(work, 'ledger.sqlite'),
    };
    delete env.ILPD_TS_HOOK;
  });

  afterAll(() => {
    for (const child of daemons) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('links ilpd and ilpd-loadgen to checked-in files, so a fresh `npm install` links them before any build', () => {
    for (const bin of ['ilpd', 'ilpd-loadgen']) {
      const target = relative(ROOT, realpathSync(join(ROOT, 'node_modules/.bin', bin)));
      expect(target).toMatch(/^packages\/\w+\/bin\/[\w-]+\.cjs$/);
      expect(() => execFileSync('git', ['ls-files', '--error-unmatch', target], { cwd: ROOT })).not.toThrow();
    }
  });

  it('quick start: npm start, pay with the README’s script, read the balances live and after Ctrl-C', async () => {
    expect(commands(blocks('Quick start', 'sh')[0])[0]).toMatch(/^npm install && npm start\b/);
    const daemon = startDetached('npm', ['start']);
    await waitReady(daemon.output);
    expect(daemon.output()).toContain('ilpd ready: test.ilpd');

    const pay = blocks('Connect a peer and pay', 'js')[0].replace(
      /127\.0\.0\.1:7768/g,
      `127.0.0.1:${ports.btp}`,
    );
    writeFileSync(join(work, 'pay.js'), pay);
    const paid = spawnSync(process.execPath, [join(work, 'pay.js')], {
      cwd: work,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect([paid.status, paid.stdout.trim(), paid.stderr]).toEqual([0, 'ilp_fulfill', '']);

    const [live, stored] = commands(blocks('Connect a peer and pay', 'sh')[0]);
    expect(live).toMatch(/^curl /);
    const liveRun = sh(live);
    expectOk(live, liveRun);
    const report = JSON.parse(liveRun.stdout) as {
      balances: { peerId: string; balance: string }[];
      liquidity: { balance: string }[];
    };
    // The demo config keeps a 0.2 % spread: alice owes 1000, we owe bob 998, we earned 2.
    expect(Object.fromEntries(report.balances.map((b) => [b.peerId, b.balance]))).toEqual({
      alice: '1000',
      bob: '-998',
    });
    expect(report.liquidity.map((l) => l.balance)).toEqual(['-2']);

    // Ctrl-C: the terminal signals the whole process group. npm re-raises the signal on itself once
    // its child is done, so the daemon's graceful stop shows in its log, not in npm's exit code.
    process.kill(-(daemon.child.pid as number), 'SIGINT');
    expect(await daemon.exited).toEqual({ code: null, signal: 'SIGINT' });
    expect(daemon.output()).toContain('"msg":"ilpd stopped"');
    expect(daemon.output()).not.toContain('open handles');

    const storedRun = sh(stored);
    expectOk(stored, storedRun);
    expect(storedRun.stdout.split('\n').map((l) => l.split(/\s+/).slice(0, 3))).toEqual(
      expect.arrayContaining([
        ['alice', 'USD', '0.000001000'],
        ['bob', 'USD', '-0.000000998'],
        ['(connector)', 'USD', '-0.000000002'],
      ]),
    );
  }, 180_000);

  it('tools: every command runs and exits 0', async () => {
    // Its own ledger file (as a stopped daemon leaves it), so this test stands on its own.
    const ledgerPath = join(work, 'tools-ledger.sqlite');
    const ledger = createLedger(
      { ...loadConfig(join(ROOT, 'config/ilpd.yaml'), {}).ledger, embedded: { path: ledgerPath } },
      { logger: pino({ level: 'silent' }), configDir: work },
    );
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 9 });
    await ledger.stop();
    const tools = commands(blocks('Tools', 'sh')[0]);
    expect(tools.length).toBeGreaterThanOrEqual(5);
    for (const command of tools) {
      const run = sh(command, { ILPD_LEDGER__EMBEDDED__PATH: ledgerPath });
      expectOk(command, run);
      if (command.includes('packet decode'))
        expect(JSON.parse(run.stdout)).toMatchObject({ type: 'prepare', amount: '107' });
      if (command.includes('packet encode')) expect(run.stdout.trim()).toMatch(/^0d/);
      if (command.includes('config check')) expect(run.stdout).toMatch(/^config OK: config\/ilpd\.yaml/);
      if (command.includes('ledger balances'))
        expect(JSON.parse(run.stdout)).toMatchObject({ backend: 'embedded' });
    }
  }, 120_000);

  it('change peers while it runs: every command runs against the running demo config', async () => {
    // The commands edit their config file: they run on a copy of config/ilpd.yaml, not the tracked one.
    const config = join(work, 'config', 'ilpd.yaml');
    mkdirSync(join(work, 'config'), { recursive: true });
    copyFileSync(join(ROOT, 'config/ilpd.yaml'), config);
    const original = readFileSync(config, 'utf8');
    const daemon = startDetached(process.execPath, [
      join(ROOT, 'packages/connector/dist/cli.js'),
      'start',
      '--config',
      config,
    ]);
    await waitReady(daemon.output);

    const results = commands(blocks('Change peers while it runs', 'sh')[0]).map((command) => {
      const run = sh(command.replace(/config\/ilpd\.yaml/g, config));
      expectOk(command, run);
      return JSON.parse(run.stdout) as { changed: boolean; peers: Record<string, string[]> };
    });
    expect(
      results.map((r) => Object.entries(r.peers).flatMap(([k, ids]) => ids.map((id) => `${k} ${id}`))),
    ).toEqual([['added carol'], ['updated carol'], ['disabled carol'], ['removed carol'], []]);
    expect(readFileSync(config, 'utf8')).toBe(original);

    process.kill(-(daemon.child.pid as number), 'SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});
