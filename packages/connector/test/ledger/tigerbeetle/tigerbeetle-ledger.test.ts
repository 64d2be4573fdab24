import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { CreateTransferStatus, TransferFlags, type Client } from 'tigerbeetle-node';
import type { ClaimRecord, PacketHandle } from '../../../src/ledger';
import { ClaimEntry } from '../../../src/ledger/claims';
import { TigerBeetleClaimsStore, type ClaimIntent } from '../../../src/ledger/tigerbeetle/claims-store';
import { accountId, ledgerNumber } from '../../../src/ledger/tigerbeetle/model';
import { TbSettlement, type TbPeer } from '../../../src/ledger/tigerbeetle/operations';
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

describe('tigerbeetle ledger: the claims store, settled against the cluster at start', () => {
  const claimOf = (cumulative: bigint, channelId = '0xchan'): ClaimRecord => ({
    peerId: 'alice',
    direction: 'received',
    chain: 'evm',
    channelId,
    cumulative,
    signature: `0xsig${cumulative}`,
  });

  /** Writes claims into the cluster's claims store as a run that stopped after writing them left them. */
  function leaveIntents(cluster: SimulatedTigerBeetle, intents: ClaimIntent[]): void {
    const store = TigerBeetleClaimsStore.open(join(claimsDirs.get(cluster) as string, 'claims.sqlite'));
    try {
      store.commit(intents.map((intent) => ({ kind: 'intent', intent })));
    } finally {
      store.close();
    }
  }

  function storedRows(cluster: SimulatedTigerBeetle) {
    const store = TigerBeetleClaimsStore.open(join(claimsDirs.get(cluster) as string, 'claims.sqlite'));
    try {
      return store.load();
    } finally {
      store.close();
    }
  }

  async function startWithPeers(cluster: SimulatedTigerBeetle, logger?: pino.Logger) {
    const { ledger } = open(cluster, logger === undefined ? {} : { logger });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    return ledger;
  }

  async function restart(cluster: SimulatedTigerBeetle, ledger: TigerBeetleLedger, logger?: pino.Logger) {
    await ledger.stop();
    ledgers.splice(ledgers.indexOf(ledger), 1);
    return startWithPeers(cluster, logger);
  }

  test('an intent whose transfer never left is applied late, once, and binds its channel', async () => {
    const cluster = simulate();
    const first = await startWithPeers(cluster);
    expect(await first.recordSettlement(claimOf(10n), 10n)).toBe('applied');
    await first.stop();
    ledgers.splice(ledgers.indexOf(first), 1);
    // A run that stopped between writing these intents and sending their transfers: 30 on top of 20,
    // and 20 never sent either (its amount is part of what 30's amount assumes).
    const usd = { assetCode: 'USD', assetScale: 2 };
    leaveIntents(cluster, [
      { claim: claimOf(20n), amount: 10n, ...usd },
      { claim: claimOf(30n), amount: 10n, ...usd },
    ]);
    const { logger, lines } = logSink();
    const second = await startWithPeers(cluster, logger);
    expect(lines.find((l) => l.msg === 'tigerbeetle claims store opened')).toMatchObject({
      intents: 2,
      appliedLate: 2,
      alreadyInCluster: 0,
      dropped: 0,
    });
    expect(await second.claims()).toEqual([claimOf(30n)]);
    expect(second.postedBalance('alice')).toBe(-30n);
    expect(await second.settlementBalances()).toEqual([{ assetCode: 'USD', assetScale: 2, balance: 30n }]);
    expect(await second.recordSettlement(claimOf(30n), 10n)).toBe('stale');
    expect(await second.recordSettlement({ ...claimOf(40n), peerId: 'bob' }, 10n)).toBe('foreign-channel');
    // The run that made the intent sends its chain after all: the claim's transfer "exists" (sent
    // alone, other flags), so the chain fails and nothing is booked twice.
    const chain = new TbSettlement(new ClaimEntry(claimOf(30n), undefined), tbPeer('alice'), 10n);
    const statuses = cluster.createTransfersDirectly(chain.transfers()).map((r) => r.status);
    expect(statuses[0]).toBe(CreateTransferStatus.exists_with_different_flags);
    expect(chain.judge(statuses)).toBeUndefined();
    expect((await balance(second, 'alice'))?.balance).toBe(-30n);
    // The store now holds the best applied claim only.
    await second.stop();
    ledgers.splice(ledgers.indexOf(second), 1);
    expect(storedRows(cluster)).toEqual({ applied: [claimOf(30n)], intents: [] });
  });

  test('a claim cut off at stop during an outage lands once, and the next start finds it applied', async () => {
    const cluster = simulate();
    const { ledger } = open(cluster, { requestTimeoutMs: 150 });
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    cluster.partition();
    const recorded = ledger.recordSettlement(claimOf(50n), 50n);
    await new Promise((r) => setTimeout(r, 50));
    await ledger.stop();
    await expect(recorded).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
    ledgers.splice(ledgers.indexOf(ledger), 1);
    expect(storedRows(cluster).intents.map((i) => i.claim)).toEqual([claimOf(50n)]);
    // The request was sent before the clients were released: the cluster applies it when it is back.
    cluster.heal();
    await new Promise((r) => setTimeout(r, 20));
    const { logger, lines } = logSink();
    const next = await startWithPeers(cluster, logger);
    expect(lines.find((l) => l.msg === 'tigerbeetle claims store opened')).toMatchObject({
      intents: 1,
      alreadyInCluster: 1,
      appliedLate: 0,
    });
    expect(await next.claims()).toEqual([claimOf(50n)]);
    expect(next.postedBalance('alice')).toBe(-50n);
    expect(await next.recordSettlement(claimOf(50n), 50n)).toBe('stale');
  });

  test('an intent the cluster refuses is dropped: nothing booked, the channel stays free', async () => {
    const cluster = simulate();
    const first = await startWithPeers(cluster);
    await first.stop();
    ledgers.splice(ledgers.indexOf(first), 1);
    // An asset whose accounts do not exist on this cluster (e.g. a store carried over from another one).
    leaveIntents(cluster, [{ claim: claimOf(5n, '0xother'), amount: 5n, assetCode: 'XYZ', assetScale: 0 }]);
    const { logger, lines } = logSink();
    const second = await startWithPeers(cluster, logger);
    expect(lines.find((l) => l.msg === 'tigerbeetle claims store opened')).toMatchObject({ dropped: 1 });
    expect(lines.some((l) => String(l.msg).startsWith('a claim written before a stop was refused'))).toBe(
      true,
    );
    expect(await second.claims()).toEqual([]);
    expect(second.postedBalance('alice')).toBe(0n);
    // The refused id stays refused on the cluster (id_already_failed): a higher claim books.
    expect(await second.recordSettlement({ ...claimOf(6n, '0xother'), peerId: 'bob' }, 6n)).toBe('applied');
    expect(second.postedBalance('bob')).toBe(-6n);
  });

  test('an intent whose claim moves nothing is applied as it is', async () => {
    const cluster = simulate();
    const first = await startWithPeers(cluster);
    await first.stop();
    ledgers.splice(ledgers.indexOf(first), 1);
    leaveIntents(cluster, [{ claim: claimOf(7n), amount: 0n, assetCode: 'USD', assetScale: 2 }]);
    const second = await startWithPeers(cluster);
    expect(await second.claims()).toEqual([claimOf(7n)]);
    expect(second.postedBalance('alice')).toBe(0n);
  });

  test('claims ride the batch writer: many at once share create_transfers requests', async () => {
    const cluster = simulate();
    const { ledger, recorded } = open(cluster);
    await ledger.start();
    await ledger.registerPeer(alice);
    await ledger.registerPeer(bob);
    recorded.creates.length = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) => ledger.recordSettlement(claimOf(1n, `0x${i}`), 1n)),
    );
    expect(outcomes.every((o) => o === 'applied')).toBe(true);
    expect(recorded.creates.length).toBeLessThan(50);
    expect(ledger.postedBalance('alice')).toBe(-200n);
    expect((await balance(ledger, 'alice'))?.balance).toBe(-200n);
    const again = await restart(cluster, ledger);
    expect(again.postedBalance('alice')).toBe(-200n);
    expect((await again.claims()).length).toBe(200);
  });
});

function tbPeer(peerId: string): TbPeer {
  const id = (kind: Parameters<typeof accountId>[0], owner = peerId) => accountId(kind, owner, 'USD', 2);
  return {
    peerId,
    assetCode: 'USD',
    assetScale: 2,
    ledger: ledgerNumber('USD', 2),
    account: id('Peer'),
    headroomIn: id('HeadroomIn'),
    headroomOut: id('HeadroomOut'),
    liquidity: id('Liquidity', ''),
    control: id('Control', ''),
    settlement: id('Settlement', ''),
    ...limits,
  };
}
