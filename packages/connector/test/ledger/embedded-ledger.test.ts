import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { embeddedPath } from '../../src/ledger';
import { EmbeddedLedger, type EmbeddedLedgerOptions } from '../../src/ledger/embedded/embedded-ledger';
import { PacketState, SqliteLedgerStore, type PacketRecord } from '../../src/ledger/embedded/sqlite-store';

const silent = pino({ level: 'silent' });
const DRILL_WRITER_THREAD = join(__dirname, 'support', 'writer-thread-drill.cjs');
/** Amounts the drill writer thread reacts to (see support/writer-thread-drill.cjs). */
const DIE_BEFORE_COMMIT = 666_001n;
const DIE_AFTER_COMMIT = 666_002n;

/** A logger whose records the test can read. */
function captureLogs(): { logger: pino.Logger; messages(): string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, messages: () => lines.map((line) => (JSON.parse(line) as { msg: string }).msg) };
}

describe('embedded ledger', () => {
  let dir: string;
  let path: string;
  const ledgers: EmbeddedLedger[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ilpd-embedded-'));
    path = join(dir, 'nested', 'ledger.sqlite');
  });

  afterEach(async () => {
    for (const ledger of ledgers.splice(0)) await ledger.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function options() {
    return {
      path,
      batchSize: 100,
      flushIntervalMs: 0,
      maxQueue: 1000,
      pendingTimeoutMs: 60_000,
      logger: silent,
    };
  }

  async function started(overrides: Partial<EmbeddedLedgerOptions> = {}): Promise<EmbeddedLedger> {
    const ledger = new EmbeddedLedger({ ...options(), ...overrides });
    ledgers.push(ledger);
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2 });
    await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
    return ledger;
  }

  /** Alice's posted balance as committed to the file. */
  function aliceOnDisk(): bigint | undefined {
    return SqliteLedgerStore.readSnapshot(path).accounts.find((a) => a.peerId === 'alice')?.balance;
  }

  const packet = (amount: bigint) => ({
    incoming: { peerId: 'alice', amount },
    outgoing: { peerId: 'bob', amount },
    expiresAtMs: Date.now() + 30_000,
  });

  test('resolves a relative store path against the config directory', () => {
    const config = { embedded: { path: 'data/l.sqlite' } } as Parameters<typeof embeddedPath>[0];
    expect(embeddedPath(config, '/etc/ilpd')).toBe('/etc/ilpd/data/l.sqlite');
    expect(embeddedPath({ embedded: { path: '/var/l.sqlite' } } as typeof config, '/etc/ilpd')).toBe(
      '/var/l.sqlite',
    );
  });

  test('is ready only between start and stop', async () => {
    const ledger = await started();
    expect(ledger.isReady()).toBe(true);
    await ledger.stop();
    expect(ledger.isReady()).toBe(false);
    await expect(ledger.reserve(packet(1n))).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
  });

  test('a post whose batch never commits is rejected, undone in memory, and the ledger reports unready', async () => {
    const ledger = await started();
    // A real store failure inside the writer thread: every insert into packets aborts.
    const db = new Database(path);
    db.exec(
      "CREATE TRIGGER fail_writes BEFORE INSERT ON packets BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
    );
    const handle = await ledger.reserve(packet(5n));
    await expect(ledger.post(handle)).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_WRITE_FAILED',
      message: expect.stringContaining('disk I/O error'),
    });
    expect(ledger.isReady()).toBe(false);
    db.exec('DROP TRIGGER fail_writes');
    db.close();
    expect((await ledger.balances()).find((b) => b.peerId === 'alice')).toMatchObject({
      balance: 0n,
      pendingIncoming: 0n,
    });
    await ledger.post(await ledger.reserve(packet(7n)));
    expect(ledger.isReady()).toBe(true);
    expect((await ledger.balances()).find((b) => b.peerId === 'alice')).toMatchObject({ balance: 7n });
  });

  test('a post frees limit headroom only once it is durable', async () => {
    const ledger = new EmbeddedLedger(options());
    ledgers.push(ledger);
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2, minimum: -100n });
    await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
    const toAlice = (amount: bigint) => ({
      incoming: { peerId: 'bob', amount },
      outgoing: { peerId: 'alice', amount },
      expiresAtMs: Date.now() + 30_000,
    });
    // Alice comes to owe us 100; until that is on disk we may still owe her at most 100, not 200.
    const posting = ledger.post(await ledger.reserve(packet(100n)));
    await expect(ledger.reserve(toAlice(200n))).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED',
    });
    await posting;
    await ledger.void(await ledger.reserve(toAlice(200n)));
  });

  test('a post that fails for good gives back the headroom it held', async () => {
    const ledger = new EmbeddedLedger({ ...options(), writerThreadFile: DRILL_WRITER_THREAD });
    ledgers.push(ledger);
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2, minimum: -100n });
    await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
    await expect(ledger.post(await ledger.reserve(packet(DIE_BEFORE_COMMIT)))).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_WRITE_FAILED',
    });
    // A hold left behind by the undone post would leave no room to owe alice anything.
    const toAlice = {
      incoming: { peerId: 'bob', amount: 100n },
      outgoing: { peerId: 'alice', amount: 100n },
      expiresAtMs: Date.now() + 30_000,
    };
    await ledger.void(await ledger.reserve(toAlice));
  });

  test('a claim frees limit headroom only once it is durable, and gives it back if it fails for good', async () => {
    const ledger = new EmbeddedLedger({ ...options(), writerThreadFile: DRILL_WRITER_THREAD });
    ledgers.push(ledger);
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2, minimum: -100n });
    await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
    const toAlice = (amount: bigint) => ({
      incoming: { peerId: 'bob', amount },
      outgoing: { peerId: 'alice', amount },
      expiresAtMs: Date.now() + 30_000,
    });
    const paid = (cumulative: bigint) => ({
      peerId: 'alice',
      direction: 'paid' as const,
      chain: 'evm',
      channelId: '0xa',
      cumulative,
      signature: '0x',
    });
    // We pay alice 50: until that is on disk we may still owe her at most 100, not 150.
    const paying = ledger.recordSettlement(paid(50n), 50n);
    expect(ledger.postedBalance('alice')).toBe(0n);
    await expect(ledger.reserve(toAlice(101n))).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED',
    });
    expect(await paying).toBe('applied');
    expect(ledger.postedBalance('alice')).toBe(50n);
    await ledger.void(await ledger.reserve(toAlice(150n)));
    // A claim whose batch never commits: rejected, undone, the channel back to its durable best.
    await expect(ledger.recordSettlement(paid(100n), DIE_BEFORE_COMMIT)).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_WRITE_FAILED',
    });
    expect(ledger.postedBalance('alice')).toBe(50n);
    expect(await ledger.claims()).toEqual([paid(50n)]);
    expect(await ledger.settlementBalances()).toEqual([{ assetCode: 'USD', assetScale: 2, balance: -50n }]);
    await ledger.void(await ledger.reserve(toAlice(150n)));
    expect(await ledger.recordSettlement(paid(100n), 50n)).toBe('applied');
  });

  test('a claim whose batch committed but went unanswered is replayed and booked once', async () => {
    const ledger = new EmbeddedLedger({ ...options(), writerThreadFile: DRILL_WRITER_THREAD });
    ledgers.push(ledger);
    await ledger.start();
    await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2 });
    const claim = {
      peerId: 'alice',
      direction: 'received' as const,
      chain: 'evm',
      channelId: '0xb',
      cumulative: 7n,
      signature: '0x',
    };
    expect(await ledger.recordSettlement(claim, DIE_AFTER_COMMIT)).toBe('applied');
    expect(ledger.postedBalance('alice')).toBe(-DIE_AFTER_COMMIT);
    await ledger.stop();
    const [alice] = SqliteLedgerStore.readSnapshot(path).accounts.filter((a) => a.kind === 'peer');
    expect(alice.balance).toBe(-DIE_AFTER_COMMIT);
  });

  test('opens a version 1 store: accounts and balances kept, settlement accounts and claims added', async () => {
    mkdirSync(join(dir, 'nested'));
    const db = new Database(path);
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('peer', 'liquidity')),
        peer_id TEXT NOT NULL, asset_code TEXT NOT NULL, asset_scale INTEGER NOT NULL,
        balance TEXT NOT NULL DEFAULT '0',
        UNIQUE (kind, peer_id, asset_code, asset_scale)
      );
      CREATE TABLE packets (
        boot INTEGER NOT NULL, seq INTEGER NOT NULL, state INTEGER NOT NULL, in_account INTEGER NOT NULL,
        in_amount TEXT NOT NULL, out_account INTEGER NOT NULL, out_amount TEXT NOT NULL,
        PRIMARY KEY (boot, seq)
      ) WITHOUT ROWID;
      INSERT INTO meta VALUES ('schema_version', '1'), ('boot', '4');
      INSERT INTO accounts VALUES (1, 'liquidity', '', 'USD', 2, '-30'), (2, 'peer', 'alice', 'USD', 2, '30');
    `);
    db.close();
    const ledger = await started();
    expect((await ledger.balances()).find((b) => b.peerId === 'alice')).toMatchObject({ balance: 30n });
    const claim = {
      peerId: 'alice',
      direction: 'received' as const,
      chain: 'evm',
      channelId: '0xc',
      cumulative: 5n,
      signature: '0x',
    };
    expect(await ledger.recordSettlement(claim, 5n)).toBe('applied');
    await ledger.stop();
    const check = new Database(path, { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe('2');
    check.close();
    const snapshot = SqliteLedgerStore.readSnapshot(path);
    expect(snapshot.accounts.map((a) => [a.kind, a.peerId, a.balance])).toEqual([
      ['liquidity', '', -30n],
      ['peer', 'alice', 25n],
      ['settlement', '', 5n],
      ['peer', 'bob', 0n],
    ]);
  });

  test('a writer thread that dies after committing is replaced, and the replayed batch counts once', async () => {
    const logs = captureLogs();
    const ledger = await started({ writerThreadFile: DRILL_WRITER_THREAD, logger: logs.logger });
    await ledger.post(await ledger.reserve(packet(DIE_AFTER_COMMIT)));
    expect(ledger.isReady()).toBe(true);
    expect(logs.messages()).toContain('ledger writer thread died');
    await ledger.post(await ledger.reserve(packet(3n)));
    await ledger.stop();
    expect(aliceOnDisk()).toBe(DIE_AFTER_COMMIT + 3n);
    const reopened = await started();
    expect((await reopened.balances()).find((b) => b.peerId === 'alice')).toMatchObject({
      balance: DIE_AFTER_COMMIT + 3n,
      pendingIncoming: 0n,
    });
  });

  test('a writer thread that dies on every attempt fails the batch, reports unready, and a new one takes over', async () => {
    const ledger = await started({ writerThreadFile: DRILL_WRITER_THREAD });
    await expect(ledger.post(await ledger.reserve(packet(DIE_BEFORE_COMMIT)))).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_WRITE_FAILED',
      message: expect.stringContaining('writer thread exited with code 70'),
    });
    expect(ledger.isReady()).toBe(false);
    expect((await ledger.balances()).find((b) => b.peerId === 'alice')).toMatchObject({
      balance: 0n,
      pendingIncoming: 0n,
    });
    await ledger.post(await ledger.reserve(packet(7n)));
    expect(ledger.isReady()).toBe(true);
    await ledger.stop();
    expect(aliceOnDisk()).toBe(7n);
  });

  test('stop() writes everything, then closes the store and its thread (the WAL is checkpointed away)', async () => {
    const ledger = await started();
    const posts = [1n, 2n, 3n].map(async (n) => ledger.post(await ledger.reserve(packet(n))));
    await ledger.stop();
    await Promise.all(posts);
    expect(existsSync(`${path}-wal`)).toBe(false);
    expect(aliceOnDisk()).toBe(6n);
  });

  test("start() fails with the store's reason and the ledger stays unready", async () => {
    const first = await started();
    await first.stop();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    const ledger = new EmbeddedLedger({ ...options(), path });
    await expect(ledger.start()).rejects.toThrow(/schema version 99/);
    expect(ledger.isReady()).toBe(false);
    await ledger.stop();
  });

  test('refuses a store written by another schema version', async () => {
    const ledger = await started();
    await ledger.stop();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => SqliteLedgerStore.openForWriting(path)).toThrow(/schema version 99/);
  });

  test('each run gets a new boot number, so packet ids never repeat across restarts', async () => {
    const first = await started();
    const a = await first.reserve(packet(1n));
    await first.stop();
    const second = await started();
    const b = await second.reserve(packet(1n));
    expect(b.id >> 64n).toBe((a.id >> 64n) + 1n);
    expect(b.id).not.toBe(a.id);
  });

  describe('store', () => {
    function record(store: SqliteLedgerStore, seq: number, amount: bigint): PacketRecord {
      const liquidity = store.ensureAccount('liquidity', '', 'USD', 2).id;
      return {
        boot: 1,
        seq,
        inAccountId: store.ensureAccount('peer', 'alice', 'USD', 2).id,
        inLiquidityId: liquidity,
        inAmount: amount,
        outAccountId: store.ensureAccount('peer', 'bob', 'USD', 2).id,
        outLiquidityId: liquidity,
        outAmount: amount,
      };
    }

    function balances(store: SqliteLedgerStore): Record<string, bigint> {
      return Object.fromEntries(store.loadAccounts().map((a) => [a.peerId || 'liquidity', a.balance]));
    }

    test('a replayed batch changes nothing, and resolved rows go once the next batch commits', () => {
      const store = SqliteLedgerStore.openForWriting(path);
      try {
        const p1 = record(store, 1, 10n);
        const p2 = record(store, 2, 4n);
        const batch = [
          { state: PacketState.Pending, packet: p1 },
          { state: PacketState.Posted, packet: p1 },
          { state: PacketState.Pending, packet: p2 },
        ];
        store.writeBatch(batch, false);
        store.writeBatch(batch, true);
        expect(balances(store)).toEqual({ alice: 10n, bob: -10n, liquidity: 0n });
        store.writeBatch([{ state: PacketState.Voided, packet: p2 }], false);
        store.writeBatch([{ state: PacketState.Posted, packet: p2 }], true);
        expect(balances(store)).toEqual({ alice: 10n, bob: -10n, liquidity: 0n });
        store.writeBatch([], false);
        const snapshot = SqliteLedgerStore.readSnapshot(path);
        expect(snapshot.pendingIn.size).toBe(0);
        const rows = new Database(path, { readonly: true });
        expect(rows.prepare('SELECT count(*) FROM packets').pluck().get()).toBe(0);
        rows.close();
      } finally {
        store.close();
      }
    });

    test('resolving a committed pending row deletes it, and a replay of that batch changes nothing', () => {
      const store = SqliteLedgerStore.openForWriting(path);
      try {
        const p1 = record(store, 1, 10n);
        const p2 = record(store, 2, 4n);
        store.writeBatch(
          [
            { state: PacketState.Pending, packet: p1 },
            { state: PacketState.Pending, packet: p2 },
          ],
          false,
        );
        const committed = { ...p1, pendingRowCommitted: true };
        const voided = { ...p2, pendingRowCommitted: true };
        const batch = [
          { state: PacketState.Posted, packet: committed },
          { state: PacketState.Voided, packet: voided },
        ];
        store.writeBatch(batch, false);
        store.writeBatch(batch, true);
        expect(balances(store)).toEqual({ alice: 10n, bob: -10n, liquidity: 0n });
        const rows = new Database(path, { readonly: true });
        expect(rows.prepare('SELECT count(*) FROM packets').pluck().get()).toBe(0);
        rows.close();
      } finally {
        store.close();
      }
    });

    test('recovery voids pending rows and keeps posted balances', () => {
      const store = SqliteLedgerStore.openForWriting(path);
      const p1 = record(store, 1, 3n);
      const p2 = record(store, 2, 8n);
      store.writeBatch(
        [
          { state: PacketState.Posted, packet: p1 },
          { state: PacketState.Pending, packet: p2 },
        ],
        false,
      );
      store.close();
      const snapshot = SqliteLedgerStore.readSnapshot(path);
      expect([...snapshot.pendingIn.values()]).toEqual([8n]);
      const reopened = SqliteLedgerStore.openForWriting(path);
      try {
        expect(reopened.recover()).toBe(1);
        expect(balances(reopened)).toEqual({ alice: 3n, bob: -3n, liquidity: 0n });
        expect(SqliteLedgerStore.readSnapshot(path).pendingIn.size).toBe(0);
      } finally {
        reopened.close();
      }
    });

    test('balances beyond 64 bits stay exact', () => {
      const store = SqliteLedgerStore.openForWriting(path);
      try {
        const big = 2n ** 64n - 1n;
        store.writeBatch(
          [1, 2, 3].map((seq) => ({ state: PacketState.Posted, packet: record(store, seq, big) })),
          false,
        );
        expect(balances(store)).toEqual({ alice: 3n * big, bob: -3n * big, liquidity: 0n });
      } finally {
        store.close();
      }
    });
  });
});
