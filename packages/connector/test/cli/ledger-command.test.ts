import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { formatAmount, runLedgerCommand } from '../../src/cli/ledger-command';
import { loadConfig } from '../../src/config/load';
import { createLedger } from '../../src/ledger';

function capture() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

function yaml(ledger: string): string {
  return `address: test.ilpd
fx: { rates: { USD: 1, EUR: 1.08 } }
ledger:
${ledger}
peers:
  - id: alice
    relation: child
    btp: { role: server, authToken: alice-secret }
    assetCode: USD
    assetScale: 2
  - id: bob
    relation: child
    btp: { role: server, authToken: bob-secret }
    assetCode: EUR
    assetScale: 3
`;
}

describe('ilpd ledger balances', () => {
  let dir: string;
  let configPath: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-ledger-cli-'));
    configPath = join(dir, 'ilpd.yaml');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a daemon-side ledger on the config's store, then stops it: the CLI reads what it left. */
  async function recordActivity(): Promise<void> {
    const config = loadConfig(configPath, {});
    const ledger = createLedger(config.ledger, {
      logger: pino({ level: 'silent' }),
      configDir: config.configDir,
    });
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2 });
    await ledger.registerPeer({ peerId: 'bob', assetCode: 'EUR', assetScale: 3 });
    const packet = (inAmount: bigint, outAmount: bigint) => ({
      incoming: { peerId: 'alice', amount: inAmount },
      outgoing: { peerId: 'bob', amount: outAmount },
      expiresAtMs: Date.now() + 30_000,
    });
    await ledger.post(await ledger.reserve(packet(1234n, 11000n)));
    await ledger.reserve(packet(5n, 40n));
    // We paid alice 3.00 with a claim: her balance rises, the USD settlement account falls.
    await ledger.recordSettlement(
      {
        peerId: 'alice',
        direction: 'paid',
        chain: 'evm',
        channelId: '0x01',
        cumulative: 10n ** 18n,
        signature: '0xab',
      },
      300n,
    );
    await ledger.stop();
  }

  test('prints a table per peer from the embedded store while the daemon is stopped', async () => {
    writeFileSync(configPath, yaml('  embedded: { path: ./data/ledger.sqlite }'));
    await recordActivity();
    const c = capture();
    expect(await runLedgerCommand(['balances', '--config', configPath], c.io)).toBe(0);
    const lines = c.out().trim().split('\n');
    expect(lines[0].split(/\s{2,}/)).toEqual(['PEER', 'ASSET', 'BALANCE', 'PENDING IN', 'PENDING OUT']);
    expect(lines[1].split(/\s+/)).toEqual(['alice', 'USD', '15.34', '0.05', '0.00']);
    expect(lines[2].split(/\s+/)).toEqual(['bob', 'EUR', '-11.000', '0.000', '0.040']);
    expect(lines.slice(3).map((l) => l.split(/\s+/))).toEqual(
      expect.arrayContaining([
        ['(connector)', 'USD', '-12.34'],
        ['(connector)', 'EUR', '11.000'],
        ['(settlement)', 'USD', '-3.00'],
      ]),
    );
    expect(c.err()).toBe('');
  });

  test('--json prints amounts as decimal strings in base units', async () => {
    writeFileSync(configPath, yaml('  embedded: { path: ./data/ledger.sqlite }'));
    await recordActivity();
    const c = capture();
    expect(await runLedgerCommand(['balances', '--config', configPath, '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out())).toEqual({
      backend: 'embedded',
      balances: [
        {
          peerId: 'alice',
          assetCode: 'USD',
          assetScale: 2,
          balance: '1534',
          pendingIncoming: '5',
          pendingOutgoing: '0',
        },
        {
          peerId: 'bob',
          assetCode: 'EUR',
          assetScale: 3,
          balance: '-11000',
          pendingIncoming: '0',
          pendingOutgoing: '40',
        },
      ],
      liquidity: [
        { assetCode: 'EUR', assetScale: 3, balance: '11000' },
        { assetCode: 'USD', assetScale: 2, balance: '-1234' },
      ],
      settlement: [
        { assetCode: 'EUR', assetScale: 3, balance: '0' },
        { assetCode: 'USD', assetScale: 2, balance: '-300' },
      ],
    });
  });

  test('fails with exit 1 and names the path when the store does not exist yet', async () => {
    writeFileSync(configPath, yaml('  embedded: { path: ./nowhere.sqlite }'));
    const c = capture();
    expect(await runLedgerCommand(['balances', '--config', configPath], c.io)).toBe(1);
    expect(c.err()).toContain(join(dir, 'nowhere.sqlite'));
    expect(c.out()).toBe('');
  });

  test('fails with exit 2 on bad usage or an invalid config', async () => {
    const c = capture();
    expect(await runLedgerCommand(['balances'], c.io)).toBe(2);
    expect(c.err()).toContain('--config');
    expect(await runLedgerCommand(['frobnicate'], c.io)).toBe(2);
    expect(await runLedgerCommand(['balances', '--config', join(dir, 'missing.yaml')], c.io)).toBe(2);
    expect(await runLedgerCommand(['--help'], c.io)).toBe(0);
    expect(c.out()).toContain('ilpd ledger balances --config <file>');
  });

  describe('tigerbeetle backend', () => {
    let server: Server;
    let port: number;

    beforeEach(async () => {
      // A port that accepts TCP but never speaks TigerBeetle: the client waits forever.
      server = createServer((socket) => socket.on('error', () => undefined));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });

    afterEach(async () => {
      server.close();
    });

    test('fails with exit 1 and a clear error when the cluster does not answer in time', async () => {
      writeFileSync(
        configPath,
        yaml(
          `  backend: tigerbeetle\n  tigerbeetle: { addresses: ['127.0.0.1:${port}'], requestTimeoutMs: 300 }`,
        ),
      );
      const c = capture();
      const started = Date.now();
      expect(await runLedgerCommand(['balances', '--config', configPath], c.io)).toBe(1);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(c.err()).toMatch(
        /TigerBeetle cluster 0 at 127\.0\.0\.1:\d+: lookup_accounts not answered within 300 ms/,
      );
    });
  });
});

test('formatAmount applies the asset scale exactly', () => {
  expect(formatAmount(0n, 0)).toBe('0');
  expect(formatAmount(5n, 2)).toBe('0.05');
  expect(formatAmount(-123456n, 3)).toBe('-123.456');
  expect(formatAmount(2n ** 64n, 9)).toBe('18446744073.709551616');
});
