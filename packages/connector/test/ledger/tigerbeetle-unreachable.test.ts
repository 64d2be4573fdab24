import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pino from 'pino';
import { createLedger } from '../../src/ledger';
import { TigerBeetleConnection } from '../../src/ledger/tigerbeetle/connection';

/**
 * The real tigerbeetle-node client against an address where no cluster runs (none can be installed
 * here): it never fails a request by itself, so every deadline and the client's release are ours.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function tigerbeetleConfig(address: string, requestTimeoutMs: number) {
  return {
    backend: 'tigerbeetle' as const,
    batchSize: 100,
    flushIntervalMs: 2,
    maxQueue: 1000,
    pendingTimeoutMs: 60_000,
    embedded: { path: 'unused.sqlite' },
    // The claims store is never opened: the cluster never answers, so start fails before it.
    tigerbeetle: {
      clusterId: 0n,
      addresses: [address],
      requestTimeoutMs,
      claimsPath: 'never-opened-claims.sqlite',
    },
  };
}

const silent = { logger: pino({ level: 'silent' }), configDir: '/' };

describe('tigerbeetle backend with no reachable cluster', () => {
  let address: string;

  beforeAll(async () => {
    address = `127.0.0.1:${await freePort()}`;
  });

  test('is not ready, and start() fails with ILPD_ERR_LEDGER_UNAVAILABLE after requestTimeoutMs', async () => {
    const ledger = createLedger(tigerbeetleConfig(address, 300), silent);
    expect(ledger.isReady()).toBe(false);
    const started = Date.now();
    await expect(ledger.start()).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_UNAVAILABLE',
      message: expect.stringContaining(
        `TigerBeetle cluster 0 at ${address}: lookup_accounts not answered within 300 ms`,
      ),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(ledger.isReady()).toBe(false);
    const packet = {
      incoming: { peerId: 'a', amount: 1n },
      outgoing: { peerId: 'b', amount: 1n },
      expiresAtMs: 0,
    };
    await expect(ledger.reserve(packet)).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
    await expect(ledger.registerPeer({ peerId: 'a', assetCode: 'USD', assetScale: 2 })).rejects.toMatchObject(
      {
        code: 'ILPD_ERR_LEDGER_UNAVAILABLE',
      },
    );
    await expect(ledger.balances()).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
    await ledger.stop();
  });

  test('a read times out into ILPD_ERR_LEDGER_UNAVAILABLE after requestTimeoutMs', async () => {
    const connection = new TigerBeetleConnection({
      clusterId: 0n,
      addresses: [address],
      requestTimeoutMs: 200,
    });
    await expect(connection.read('lookup_transfers', (c) => c.lookupTransfers([1n]))).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_UNAVAILABLE',
      message: expect.stringContaining('lookup_transfers not answered within 200 ms'),
    });
    expect(connection.lastRequestOk).toBe(false);
    connection.destroy();
  });

  test('a write is never given up on: still waiting after requestTimeoutMs (unhealthy meanwhile) until destroy()', async () => {
    const connection = new TigerBeetleConnection({
      clusterId: 0n,
      addresses: [address],
      requestTimeoutMs: 100,
    });
    let settled = false;
    const pending = connection.write('create_transfers', (c) => c.createTransfers([]));
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 400));
    // The real client keeps the request queued: a write that "timed out" may still be applied later.
    expect(settled).toBe(false);
    expect(connection.healthy).toBe(false);
    const started = Date.now();
    connection.destroy();
    await expect(pending).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_UNAVAILABLE',
      message: expect.stringContaining('closed'),
    });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test.each(['stop-after-failed-start', 'stop-during-start'])(
    'the process exits by itself after stop() (%s)',
    async (mode) => {
      const child = spawn(
        process.execPath,
        [
          '-r',
          join(__dirname, '..', '..', '..', '..', 'test', 'helpers', 'register-ts.cjs'),
          join(__dirname, 'support', 'unreachable-child.ts'),
          address,
          mode,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.resume();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        child.on('exit', (c, s) => resolve([c, s])),
      );
      clearTimeout(killer);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(stdout).toBe('start: ILPD_ERR_LEDGER_UNAVAILABLE\nstopped\n');
    },
    20_000,
  );
});
