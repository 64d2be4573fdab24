import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { CLI_PATH, REPO_ROOT, writeTempConfig } from '../helpers/daemon-process';

/**
 * `ilpd start` logs human-readable lines on an interactive terminal and JSON lines into a pipe;
 * `--log-format` forces either. The terminal is a real pseudo-terminal (util-linux `script`). Each run
 * fails fast on purpose (its BTP port is taken), which makes the daemon log and exit by itself.
 */
describe('log format of ilpd start (e2e)', () => {
  let blocker: Server;
  let configPath: string;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const btpPort = (blocker.address() as { port: number }).port;
    configPath = writeTempConfig({
      address: 'test.logs',
      btp: { port: btpPort },
      http: { port: 0 },
      ledger: { embedded: { path: './ledger.sqlite' } },
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => blocker.close(resolve));
    rmSync(dirname(configPath), { recursive: true, force: true });
  });

  /** ANSI SGR sequences (colours): ESC [ … m. */
  const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

  /** Runs `ilpd start` to its exit; with `tty` under a pseudo-terminal. */
  function start(
    extra: string[],
    tty: boolean,
  ): Promise<{ code: number | null; output: string; raw: string }> {
    const args = [CLI_PATH, 'start', '--config', configPath, ...extra];
    const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = tty
      ? spawn('script', ['-qefc', quoted, '/dev/null'], {
          cwd: REPO_ROOT,
          env: { ...process.env, TERM: 'dumb' },
        })
      : spawn(process.execPath, args, { cwd: REPO_ROOT });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    // Colours are on for a terminal; the assertions read the text without them.
    const plain = (text: string): string => text.replace(ANSI_COLOUR, '').replace(/\r/g, '');
    return new Promise((resolve) =>
      child.once('close', (code) => resolve({ code, output: plain(output), raw: output })),
    );
  }

  const PRETTY_FATAL = /\[\d\d:\d\d:\d\d\.\d{3}\] FATAL: ilpd failed to start/;
  const JSON_FATAL = /^\{"level":60,.*"msg":"ilpd failed to start"\}$/m;

  it('is readable (and coloured) on a terminal', async () => {
    const run = await start([], true);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(PRETTY_FATAL);
    expect(run.output).not.toMatch(/\{"level":/);
    expect(run.raw.match(ANSI_COLOUR)?.length).toBeGreaterThan(0);
  });

  it('is JSON lines into a pipe', async () => {
    const run = await start([], false);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(JSON_FATAL);
  });

  it('--log-format json forces JSON on a terminal', async () => {
    const run = await start(['--log-format', 'json'], true);
    expect(run.output).toMatch(JSON_FATAL);
  });

  it('--log-format pretty forces readable lines into a pipe', async () => {
    const run = await start(['--log-format', 'pretty'], false);
    expect(run.output).toMatch(PRETTY_FATAL);
    expect(run.output).not.toMatch(/\{"level":/);
  });

  it('refuses an unknown --log-format with exit 2', async () => {
    const run = await start(['--log-format', 'xml'], false);
    expect(run.code).toBe(2);
    expect(run.output).toContain('--log-format: expected json or pretty, got "xml"');
  });
});
