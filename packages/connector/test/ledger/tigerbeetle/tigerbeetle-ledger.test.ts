import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { TransferFlags, type Client } from 'tigerbeetle-node';
import type { PacketHandle } from '../../../src/ledger';
import { accountId, ledgerNumber } from '../../../src/ledger/tigerbeetle/model';
import {
  TigerBeetleLedger,
  type TigerBeetleLedgerOptions,
} from '../../../src/ledger/tigerbeetle/tigerbeetle-ledger';
import {
  DEVELOPMENT_REQUEST_SIZE,
  PRODUCTION_REQUEST_SIZE,
  SimulatedTigerBeetle,
  eventsPerRequest,
} from '../support/simulated-tigerbeetle';

/**
 * The tigerbeetle backend against the simulated cluster, where the simulator's failure modes matter:
 * request size limits, requests applied long after the caller stopped waiting, restarts.
 */

interface Recorded {
  /** Events per create_transfers request handed to a client. */
  creates: number[];
  /** Events per lookup request. */
  lookups: number[];
  inFlight: number;
  maxInFlight: number;
}

const clusters: SimulatedTigerBeetle[] = [];
const ledgers: TigerBeetleLedger[] = [];
/** The claims store of the daemon that runs against each cluster (each restart opens it again). */
const claimsDirs = new Map<SimulatedTigerBeetle, string>();

afterEach(async () => {
  for (const ledger of ledgers.splice(0)) await ledger.stop();
  for (const cluster of clusters.splice(0)) {
    cluster.heal();
    cluster.close();
    rmSync(claimsDirs.get(cluster) as string, { recursive: true, force: true });
    claimsDirs.delete(cluster);
  }
});

function simulate(requestSizeLimit = DEVELOPMENT_REQUEST_SIZE, latencyMs = 0): SimulatedTigerBeetle {
  const cluster = new SimulatedTigerBeetle({ requestSizeLimit, latencyMs });
  clusters.push(cluster);
  claimsDirs.set(cluster, mkdtempSync(join(tmpdir(), 'ilpd-tb-claims-')));
  return cluster;
}

/** Log lines, parsed, for assertions on what an operator would read. */
function logSink(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function open(
  cluster: SimulatedTigerBeetle,
  overrides: Partial<TigerBeetleLedgerOptions> = {},
): { ledger: TigerBeetleLedger; recorded: Recorded } {
  const recorded: Recorded = { creates: [], lookups: [], inFlight: 0, maxInFlight: 0 };
  const track = <T>(sizes: number[], n: number, p: Promise<T>): Promise<T> => {
    sizes.push(n);
    recorded.maxInFlight = Math.max(recorded.maxInFlight, ++recorded.inFlight);
    return p.finally(() => recorded.inFlight--);
  };
  const ledger = new TigerBeetleLedger({
    batchSize: 1000,
    flushIntervalMs: 0,
    maxQueue: 100_000,
    pendingTimeoutMs: 60_000,
    clusterId: 0n,
    addresses: ['simulated'],
    requestTimeoutMs: 5000,
    requestsInFlight: 4,
    logger: pino({ level: 'silent' }),
    claimsPath: join(claimsDirs.get(cluster) as string, 'claims.sqlite'),
    ...overrides,
    createClient: () => {
      const client = cluster.client();
      return {
        ...client,
        createTransfers: (batch) => track(recorded.creates, batch.length, client.createTransfers(batch)),
        lookupAccounts: (ids) => track(recorded.lookups, ids.length, client.lookupAccounts(ids)),
        lookupTransfers: (ids) => track(recorded.lookups, ids.length, client.lookupTransfers(ids)),
      } satisfies Client;
    },
  });
  ledgers.push(ledger);
  return { ledger, recorded };
}

const limits = { maximum: 10n ** 15n, minimum: -(10n ** 15n) };
const alice = { peerId: 'alice', assetCode: 'USD', assetScale: 2, ...limits };
const bob = { peerId: 'bob', assetCode: 'USD', assetScale: 2, ...limits };

function packet(amount: bigint, expiresInMs = 30_000) {
  return {
    incoming: { peerId: 'alice', amount },
    outgoing: { peerId: 'bob', amount },
    expiresAtMs: Date.now() + expiresInMs,
  };
}

async function balance(ledger: TigerBeetleLedger, peerId: string) {
  return (await ledger.balances()).find((b) => b.peerId === peerId);
}

describe('tigerbeetle ledger: request size', () => {
  test.each([
    ['--development (32 KiB)', DEVELOPMENT_REQUEST_SIZE, 253],
    ['production (1 MiB)', PRODUCTION_REQUEST_SIZE, 8189],
    ['--limit-request=64KiB', 64 * 1024, 509],
  ])('learns the limit of a %s cluster and never sends more', async (_name, size, transfers) => {
    const cluster = simulate(size);
    const { ledger, recorded } = open(cluster);
    await ledger.start();
    expect(ledger.transfersPerRequest).toBe(transfers);
    expect(transfers).toBe(eventsPerRequest('create_transfers', size));
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    const refusedWhileLearning = cluster.tooMuchData;
    recorded.creates.length = 0;
    const handles = await Promise.all(Array.from({ length: 1500 }, () => ledger.reserve(packet(3n))));
    await Promise.all(handles.map((h) => ledger.post(h)));
    expect(cluster.tooMuchData).toBe(refusedWhileLearning);
    expect(Math.max(...recorded.creates)).toBeLessThanOrEqual(transfers);
    expect(await balance(ledger, 'alice')).toMatchObject({ balance: 4500n, pendingIncoming: 0n });
  });

  test('a configured maxBatchEvents above the cluster limit is split on the first refusal, never an outage', async () => {
    const cluster = simulate();
    const { ledger, recorded } = open(cluster, { maxBatchEvents: 2000 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    const handles = await Promise.all(Array.from({ length: 400 }, () => ledger.reserve(packet(1n))));
    await Promise.all(handles.map((h) => ledger.post(h)));
    expect(ledger.stats.tooLarge).toBeGreaterThan(0);
    expect(ledger.transfersPerRequest).toBeLessThanOrEqual(253);
    expect(ledger.isReady()).toBe(true);
    expect(Math.max(...recorded.creates.filter((n) => n <= 253))).toBeGreaterThan(100);
    expect(await balance(ledger, 'alice')).toMatchObject({ balance: 400n, pendingIncoming: 0n });
  });

  test('keeps several requests in flight, each on its own client session', async () => {
    const cluster = simulate(DEVELOPMENT_REQUEST_SIZE, 2);
    const { ledger, recorded } = open(cluster, { requestsInFlight: 4, batchSize: 20 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    await Promise.all(Array.from({ length: 400 }, () => ledger.reserve(packet(1n))));
    expect(recorded.maxInFlight).toBe(4);
    expect(cluster.clientsCreated).toBe(4);
  });
});

describe('tigerbeetle ledger: outcomes match the ledger when requests are applied late', () => {
  test('a post waits for the cluster however long; a reservation given up on is voided once it lands', async () => {
    const cluster = simulate();
    const { ledger } = open(cluster, { requestTimeoutMs: 150 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    const reserved = await ledger.reserve(packet(7n));
    cluster.partition();
    let posted = false;
    const post = ledger.post(reserved).then(() => (posted = true));
    await expect(ledger.reserve(packet(5n))).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 300));
    // No answer upstream yet, and /readyz says the ledger is down.
    expect(posted).toBe(false);
    expect(ledger.isReady()).toBe(false);
    cluster.heal();
    await post;
    const deadline = Date.now() + 2000;
    while ((await balance(ledger, 'alice'))?.pendingIncoming !== 0n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await balance(ledger, 'alice')).toMatchObject({ balance: 7n, pendingIncoming: 0n });
    expect(ledger.stats.abandonedVoided).toBe(1);
    expect(ledger.isReady()).toBe(true);
  });

  test('a post the cluster applies after the packet expired fails by itself, and is reported rejected', async () => {
    const cluster = simulate();
    const { ledger } = open(cluster, { requestTimeoutMs: 150 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    const reserved = await ledger.reserve(packet(9n, 1500));
    cluster.partition();
    const post = ledger.post(reserved);
    await new Promise((r) => setTimeout(r, 1600));
    cluster.heal();
    await expect(post).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_NOT_PENDING' });
    expect(await balance(ledger, 'alice')).toMatchObject({ balance: 0n });
  });

  test('stop() during an outage releases the clients after requestTimeoutMs; a post it cut off is never answered', async () => {
    const cluster = simulate();
    const { ledger } = open(cluster, { requestTimeoutMs: 150 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    const reserved = await ledger.reserve(packet(4n));
    cluster.partition();
    let settled = false;
    void ledger.post(reserved).then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await ledger.stop();
    ledgers.splice(ledgers.indexOf(ledger), 1);
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 300));
    // Neither a Fulfill nor a Reject could be known to match the ledger, so there is no answer at all.
    expect(settled).toBe(false);
    cluster.heal();
    await new Promise((r) => setTimeout(r, 20));
    // The request had left: the cluster applied it, within the packet's expiry.
    expect(cluster.account(accountId('Peer', 'alice', 'USD', 2))?.debits_posted).toBe(4n);
  });

  test('under repeated outages: zero drift, and every outcome reported matches the ledger', async () => {
    const cluster = simulate();
    const { ledger } = open(cluster, { requestTimeoutMs: 100, requestsInFlight: 3, batchSize: 50 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    let fulfilled = 0n;
    let rejected = 0;
    const outages = (async () => {
      // Short outages (posts wait them out) and one longer than the packets' lifetime (posts expire).
      for (const ms of [250, 120, 1400, 300]) {
        await new Promise((r) => setTimeout(r, 150));
        cluster.partition();
        await new Promise((r) => setTimeout(r, ms));
        cluster.heal();
      }
    })();
    const one = async (i: number): Promise<void> => {
      await new Promise((r) => setTimeout(r, i * 4));
      const amount = BigInt((i % 9) + 1);
      let handle: PacketHandle;
      try {
        handle = await ledger.reserve(packet(amount, 1200));
      } catch {
        rejected++;
        return;
      }
      await new Promise((r) => setTimeout(r, i % 20));
      if (i % 5 === 0) {
        await ledger.void(handle).catch(() => undefined);
        rejected++;
        return;
      }
      try {
        await ledger.post(handle);
        fulfilled += amount; // what the upstream peer is told it paid
      } catch {
        rejected++;
      }
    };
    await Promise.all([outages, ...Array.from({ length: 600 }, (_, i) => one(i))]);
    const deadline = Date.now() + 5000;
    while ((await balance(ledger, 'alice'))?.pendingIncoming !== 0n && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(rejected).toBeGreaterThan(0);
    expect(fulfilled).toBeGreaterThan(0n);
    expect(await balance(ledger, 'alice')).toMatchObject({ balance: fulfilled, pendingIncoming: 0n });
    expect(await balance(ledger, 'bob')).toMatchObject({ balance: -fulfilled, pendingOutgoing: 0n });
    const [liquidity] = await ledger.liquidityBalances();
    expect(liquidity.balance).toBe(0n);
  }, 20_000);
});

describe('tigerbeetle ledger: restart recovery', () => {
  test('voids only pendings of earlier runs still open, on our accounts, and reports what it did', async () => {
    const cluster = simulate();
    const first = open(cluster).ledger;
    await first.start();
    await first.registerPeer(alice);
    await first.registerPeer(bob);
    const posted = await Promise.all([1n, 2n, 3n].map((a) => first.reserve(packet(a))));
    await Promise.all(posted.map((h) => first.post(h)));
    await Promise.all([10n, 20n].map((a) => first.reserve(packet(a))));
    await first.stop();

    // Another application on the same cluster, same ledger number and codes, its own accounts.
    const ledger = ledgerNumber('USD', 2);
    const blank = { debits_pending: 0n, debits_posted: 0n, credits_pending: 0n, credits_posted: 0n };
    cluster.createAccountsDirectly(
      [901n, 902n].map((id) => ({
        id,
        ...blank,
        user_data_128: 0n,
        user_data_64: 0n,
        user_data_32: 0,
        reserved: 0,
        ledger,
        code: 1,
        flags: 0,
        timestamp: 0n,
      })),
    );
    cluster.createTransfersDirectly([
      {
        id: 903n,
        debit_account_id: 901n,
        credit_account_id: 902n,
        amount: 5n,
        pending_id: 0n,
        user_data_128: 0n,
        user_data_64: 1n,
        user_data_32: 0,
        timeout: 0,
        ledger,
        code: 1,
        flags: TransferFlags.pending,
        timestamp: 0n,
      },
    ]);

    const { logger, lines } = logSink();
    const { ledger: second, recorded } = open(cluster, { logger });
    await second.start();
    await second.registerPeer(alice);
    await second.registerPeer(bob);
    expect(await balance(second, 'alice')).toMatchObject({ balance: 6n, pendingIncoming: 0n });
    const done = lines.find((l) => l.msg === 'tigerbeetle recovery done');
    // Two open packets of four legs each are voided; the three posted packets' legs are left alone.
    expect(done).toMatchObject({ asset: 'USD/2', stale: 20, resolved: 12, voided: 8, complete: true });
    const voids = cluster.allTransfers().filter((t) => (t.flags & TransferFlags.void_pending_transfer) !== 0);
    expect(voids).toHaveLength(8);
    expect(cluster.account(901n)?.debits_pending).toBe(5n);
    expect(Math.max(...recorded.lookups)).toBeLessThanOrEqual(2031);

    // A restart after that finds nothing left to void.
    await second.stop();
    const third = open(cluster, { logger }).ledger;
    await third.start();
    await third.registerPeer(alice);
    expect(lines.filter((l) => l.msg === 'tigerbeetle recovery done').at(-1)).toMatchObject({ voided: 0 });
    expect(accountId('Peer', 'alice', 'USD', 2)).not.toBe(901n);
  });

  test('stops at its deadline and says so; what it left expires by its own timeout', async () => {
    const cluster = simulate();
    const first = open(cluster).ledger;
    await first.start();
    await first.registerPeer(alice);
    await first.registerPeer(bob);
    await Promise.all(Array.from({ length: 50 }, () => first.reserve(packet(1n))));
    await first.stop();
    const { logger, lines } = logSink();
    const second = open(cluster, { logger, recoveryBudgetMs: 1 }).ledger;
    await second.start();
    await new Promise((r) => setTimeout(r, 5));
    await second.registerPeer(alice);
    expect(lines.find((l) => String(l.msg).startsWith('tigerbeetle recovery stopped'))).toMatchObject({
      complete: false,
    });
    expect(second.isReady()).toBe(true);
  });
});
