import type { DaemonErrorCode } from '../../../src/errors';
import type { ClaimRecord, DaemonLedger, LedgerPeerAccount, SettlementOutcome } from '../../../src/ledger';
import { readBalanceReport } from '../../../src/ledger/balance-report';
import type { BackendHarness, LedgerStoreRef } from './backends';

type Sink = { writeBatch(ops: readonly unknown[], attempt: number): void | Promise<void> };

/**
 * Behaviour every ledger backend must show, written against the Ledger contract only (plus the
 * BatchSink seam for the lost-acknowledgement test), so it runs unchanged against a real cluster.
 */
export function describeLedgerConformance(backend: BackendHarness): void {
  describe(`ledger conformance: ${backend.label}`, () => {
    let store: LedgerStoreRef;
    const open: DaemonLedger[] = [];
    let USD: string;
    let EUR: string;
    let alice: string;
    let bob: string;

    beforeEach(() => {
      store = backend.newStore();
      USD = store.asset('USD');
      EUR = store.asset('EUR');
      alice = store.peer('alice');
      bob = store.peer('bob');
    });

    afterEach(async () => {
      for (const ledger of open.splice(0)) await ledger.stop();
      store.cleanup();
    });

    async function start(overrides?: Parameters<LedgerStoreRef['open']>[0]): Promise<DaemonLedger> {
      const ledger = store.open(overrides);
      open.push(ledger);
      await ledger.start();
      return ledger;
    }

    function peer(
      peerId: string,
      assetCode: string,
      limits: Partial<LedgerPeerAccount> = {},
    ): LedgerPeerAccount {
      return { peerId, assetCode, assetScale: 2, ...limits };
    }

    function packet(from: string, inAmount: bigint, to: string, outAmount: bigint = inAmount) {
      return {
        incoming: { peerId: from, amount: inAmount },
        outgoing: { peerId: to, amount: outAmount },
        expiresAtMs: Date.now() + 30_000,
      };
    }

    async function balanceOf(ledger: DaemonLedger, peerId: string) {
      const found = (await ledger.balances()).find((b) => b.peerId === peerId);
      if (found === undefined) throw new Error(`no balance for ${peerId}`);
      return found;
    }

    async function expectCode(promise: Promise<unknown>, code: DaemonErrorCode): Promise<void> {
      await expect(promise).rejects.toMatchObject({ code });
    }

    /** Per asset: peer balances plus the liquidity and settlement accounts sum to zero (double entry). */
    async function assetSums(ledger: DaemonLedger): Promise<Map<string, bigint>> {
      const sums = new Map<string, bigint>();
      for (const b of await ledger.balances())
        sums.set(b.assetCode, (sums.get(b.assetCode) ?? 0n) + b.balance);
      for (const l of [...(await ledger.liquidityBalances()), ...(await ledger.settlementBalances())]) {
        sums.set(l.assetCode, (sums.get(l.assetCode) ?? 0n) + l.balance);
      }
      return sums;
    }

    async function expectBalanced(ledger: DaemonLedger): Promise<void> {
      for (const [asset, sum] of await assetSums(ledger)) expect([asset, sum]).toEqual([asset, 0n]);
    }

    test('a posted packet moves both peers balances and keeps each asset summing to zero', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const handle = await ledger.reserve(packet(alice, 100n, bob, 99n));
      expect(await balanceOf(ledger, alice)).toMatchObject({
        balance: 0n,
        pendingIncoming: 100n,
        pendingOutgoing: 0n,
      });
      expect(await balanceOf(ledger, bob)).toMatchObject({
        balance: 0n,
        pendingIncoming: 0n,
        pendingOutgoing: 99n,
      });
      await ledger.post(handle);
      expect(await balanceOf(ledger, alice)).toMatchObject({
        balance: 100n,
        pendingIncoming: 0n,
        pendingOutgoing: 0n,
      });
      expect(await balanceOf(ledger, bob)).toMatchObject({
        balance: -99n,
        pendingIncoming: 0n,
        pendingOutgoing: 0n,
      });
      expect(await ledger.liquidityBalances()).toEqual([{ assetCode: USD, assetScale: 2, balance: -1n }]);
      await expectBalanced(ledger);
    });

    test('a voided packet releases its reservation and changes no balance', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const handle = await ledger.reserve(packet(alice, 50n, bob));
      await ledger.void(handle);
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 0n, pendingIncoming: 0n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: 0n, pendingOutgoing: 0n });
      await expectBalanced(ledger);
    });

    test('a resolved reservation cannot be posted or voided again', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const posted = await ledger.reserve(packet(alice, 10n, bob));
      await ledger.post(posted);
      await expectCode(ledger.post(posted), 'ILPD_ERR_LEDGER_NOT_PENDING');
      await expectCode(ledger.void(posted), 'ILPD_ERR_LEDGER_NOT_PENDING');
      const voided = await ledger.reserve(packet(alice, 10n, bob));
      await ledger.void(voided);
      await expectCode(ledger.post(voided), 'ILPD_ERR_LEDGER_NOT_PENDING');
      await expectCode(ledger.post({ id: 12345n }), 'ILPD_ERR_LEDGER_NOT_PENDING');
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 10n, pendingIncoming: 0n });
    });

    test('a packet from or to an unregistered peer is refused', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await expectCode(
        ledger.reserve(packet(alice, 1n, store.peer('nobody'))),
        'ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT',
      );
      await expectCode(
        ledger.reserve(packet(store.peer('nobody'), 1n, alice)),
        'ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT',
      );
    });

    test('incoming reservations stop at the maximum, counting pending ones, and free up on void', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 100n }));
      await ledger.registerPeer(peer(bob, USD));
      const first = await ledger.reserve(packet(alice, 60n, bob));
      await expectCode(ledger.reserve(packet(alice, 41n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      const second = await ledger.reserve(packet(alice, 40n, bob));
      await expectCode(ledger.reserve(packet(alice, 1n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      await ledger.void(second);
      await ledger.post(first);
      await expectCode(ledger.reserve(packet(alice, 41n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      await ledger.post(await ledger.reserve(packet(alice, 40n, bob)));
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 100n, pendingIncoming: 0n });
    });

    test('outgoing reservations stop at the minimum, counting pending ones', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD, { minimum: -100n }));
      const first = await ledger.reserve(packet(alice, 70n, bob));
      await expectCode(ledger.reserve(packet(alice, 31n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      await ledger.post(first);
      await ledger.post(await ledger.reserve(packet(alice, 30n, bob)));
      await expectCode(ledger.reserve(packet(alice, 1n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: -100n, pendingOutgoing: 0n });
    });

    test('a refused outgoing leg reserves nothing on the incoming side either', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 1000n }));
      await ledger.registerPeer(peer(bob, USD, { minimum: -10n }));
      await expectCode(ledger.reserve(packet(alice, 50n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 0n, pendingIncoming: 0n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: 0n, pendingOutgoing: 0n });
    });

    test('posted value in one direction makes room in the other', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 100n, minimum: -100n }));
      await ledger.registerPeer(peer(bob, USD, { maximum: 100n, minimum: -100n }));
      // We come to owe bob 80: bob may now owe us up to 180 more before reaching his maximum.
      await ledger.post(await ledger.reserve(packet(alice, 80n, bob)));
      await ledger.post(await ledger.reserve(packet(bob, 180n, alice, 20n)));
      await expectCode(ledger.reserve(packet(bob, 1n, alice)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: 100n });
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 60n });
      await expectBalanced(ledger);
    });

    test.each([
      ['incoming maximum', { maximum: 1000n }, {}],
      ['outgoing minimum', {}, { minimum: -700n }],
    ])('many concurrent reservations near the %s never exceed it', async (_name, aliceLimits, bobLimits) => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, aliceLimits));
      await ledger.registerPeer(peer(bob, USD, bobLimits));
      const results = await Promise.allSettled(
        Array.from({ length: 300 }, (_, i) => ledger.reserve(packet(alice, 7n + BigInt(i % 5), bob))),
      );
      const accepted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(accepted.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const reason of refused) expect(reason).toMatchObject({ code: 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED' });
      const reserved = (await balanceOf(ledger, alice)).pendingIncoming;
      expect(reserved).toBeLessThanOrEqual(aliceLimits.maximum ?? 1000n);
      expect((await balanceOf(ledger, bob)).pendingOutgoing).toBeLessThanOrEqual(
        -(bobLimits.minimum ?? -1000n),
      );
      // Posting everything accepted lands exactly on what was reserved, still within the limit.
      await Promise.all(accepted.map((h) => ledger.post(h)));
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: reserved, pendingIncoming: 0n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: -reserved, pendingOutgoing: 0n });
      // A limit is only ever missed by less than the smallest packet that was refused.
      expect(reserved).toBeGreaterThan((aliceLimits.maximum ?? -(bobLimits.minimum ?? 0n)) - 11n);
      await expectBalanced(ledger);
    });

    test('packet cycles far beyond what one --development request holds all complete, exactly once', async () => {
      const ledger = await start({ batchSize: 1000 });
      // Both limits on both peers: every reservation and post carries the most transfers it can.
      const limits = { maximum: 10n ** 12n, minimum: -(10n ** 12n) };
      await ledger.registerPeer(peer(alice, USD, limits));
      await ledger.registerPeer(peer(bob, USD, limits));
      const amounts = Array.from({ length: 600 }, (_, i) => BigInt((i % 7) + 1));
      const handles = await Promise.all(amounts.map((a) => ledger.reserve(packet(alice, a, bob))));
      await Promise.all(handles.map((h) => ledger.post(h)));
      const total = amounts.reduce((sum, a) => sum + a, 0n);
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: total, pendingIncoming: 0n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: -total, pendingOutgoing: 0n });
      await expectBalanced(ledger);
    });

    test('a post after the packet expired fails and leaves no balance change', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 10n }));
      await ledger.registerPeer(peer(bob, USD));
      const late = await ledger.reserve({ ...packet(alice, 10n, bob), expiresAtMs: Date.now() + 1200 });
      await new Promise((r) => setTimeout(r, 1300));
      await expectCode(ledger.post(late), 'ILPD_ERR_LEDGER_NOT_PENDING');
      // The expired reservation stops holding alice's limit (TigerBeetle releases it in a background pass).
      const deadline = Date.now() + 5000;
      while ((await balanceOf(ledger, alice)).pendingIncoming !== 0n && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 0n, pendingIncoming: 0n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ balance: 0n, pendingOutgoing: 0n });
      await ledger.post(await ledger.reserve(packet(alice, 10n, bob)));
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 10n });
      await expectBalanced(ledger);
    });

    test('a cross-asset packet commits both legs on their own assets', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, EUR));
      await ledger.post(await ledger.reserve(packet(alice, 110n, bob, 100n)));
      expect(await balanceOf(ledger, alice)).toMatchObject({ assetCode: USD, balance: 110n });
      expect(await balanceOf(ledger, bob)).toMatchObject({ assetCode: EUR, balance: -100n });
      const liquidity = await ledger.liquidityBalances();
      expect(liquidity).toEqual(
        expect.arrayContaining([
          { assetCode: USD, assetScale: 2, balance: -110n },
          { assetCode: EUR, assetScale: 2, balance: 100n },
        ]),
      );
      await expectBalanced(ledger);
    });

    test('a cross-asset packet refused on one leg reserves neither', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 50n }));
      await ledger.registerPeer(peer(bob, EUR));
      await expectCode(ledger.reserve(packet(alice, 60n, bob, 55n)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
      expect(await balanceOf(ledger, bob)).toMatchObject({ pendingOutgoing: 0n, balance: 0n });
      expect(await balanceOf(ledger, alice)).toMatchObject({ pendingIncoming: 0n, balance: 0n });
    });

    test('a batch written again after a lost acknowledgement counts once', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const sink = ledger as unknown as Sink;
      const write = sink.writeBatch.bind(ledger);
      let replays = 0;
      // The write lands, then its acknowledgement is "lost": the writer retries the same batch.
      sink.writeBatch = async (ops, attempt) => {
        await write(ops, attempt);
        if (attempt === 0) {
          replays++;
          throw new Error('acknowledgement lost');
        }
      };
      const handles = await Promise.all([1n, 2n, 3n].map((n) => ledger.reserve(packet(alice, n, bob))));
      // Posted together with the reservation's write, and posted after it was written on its own.
      const early = ledger.post(handles[0]);
      await ledger.balances();
      await Promise.all([early, ledger.post(handles[1]), ledger.post(handles[2])]);
      expect(replays).toBeGreaterThan(0);
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 6n, pendingIncoming: 0n });
      await ledger.stop();
      open.splice(open.indexOf(ledger), 1);
      // What the backend holds durably, not just what this process believes.
      const reopened = await start();
      await reopened.registerPeer(peer(alice, USD));
      await reopened.registerPeer(peer(bob, USD));
      expect(await balanceOf(reopened, alice)).toMatchObject({ balance: 6n, pendingIncoming: 0n });
      expect(await balanceOf(reopened, bob)).toMatchObject({ balance: -6n, pendingOutgoing: 0n });
      await expectBalanced(reopened);
    });

    test('registering a peer again keeps its balance', async () => {
      const ledger = await start();
      await ledger.registerPeer(peer(alice, USD, { maximum: 10n }));
      await ledger.registerPeer(peer(bob, USD));
      await ledger.post(await ledger.reserve(packet(alice, 10n, bob)));
      await ledger.registerPeer(peer(alice, USD, { maximum: 30n }));
      expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 10n });
      await ledger.post(await ledger.reserve(packet(alice, 20n, bob)));
      await expectCode(ledger.reserve(packet(alice, 1n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
    });

    test('after a restart, open reservations are voided and posted balances are intact', async () => {
      const first = await start();
      await first.registerPeer(peer(alice, USD, { maximum: 100n }));
      await first.registerPeer(peer(bob, USD));
      await first.post(await first.reserve(packet(alice, 30n, bob)));
      await first.reserve(packet(alice, 50n, bob));
      await first.reserve(packet(alice, 20n, bob));
      await first.stop();
      open.splice(open.indexOf(first), 1);

      const second = await start();
      await second.registerPeer(peer(alice, USD, { maximum: 100n }));
      await second.registerPeer(peer(bob, USD));
      expect(await balanceOf(second, alice)).toMatchObject({ balance: 30n, pendingIncoming: 0n });
      expect(await balanceOf(second, bob)).toMatchObject({ balance: -30n, pendingOutgoing: 0n });
      // The voided reservations no longer hold alice's limit.
      await second.post(await second.reserve(packet(alice, 70n, bob)));
      await expectBalanced(second);
    });

    test('a reservation nobody resolves is voided after pendingTimeoutMs', async () => {
      const timeoutMs = Math.max(200, backend.timeoutGranularityMs);
      const ledger = await start({ pendingTimeoutMs: timeoutMs });
      await ledger.registerPeer(peer(alice, USD, { maximum: 10n }));
      await ledger.registerPeer(peer(bob, USD));
      const stale = await ledger.reserve(packet(alice, 10n, bob));
      const deadline = Date.now() + timeoutMs + 15_000;
      while ((await balanceOf(ledger, alice)).pendingIncoming !== 0n && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await balanceOf(ledger, alice)).toMatchObject({ pendingIncoming: 0n, balance: 0n });
      await expectCode(ledger.post(stale), 'ILPD_ERR_LEDGER_NOT_PENDING');
      await ledger.post(await ledger.reserve(packet(alice, 10n, bob)));
    });

    test('reservations beyond maxQueue unwritten transfers are shed with OVERLOADED', async () => {
      const ledger = await start({ maxQueue: 2, flushIntervalMs: 200, batchSize: 1000 });
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const settled = await Promise.allSettled([1, 2, 3].map(() => ledger.reserve(packet(alice, 1n, bob))));
      expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({
        code: 'ILPD_ERR_LEDGER_OVERLOADED',
      });
    });

    test('stop() writes every queued post before it resolves', async () => {
      // Five reservations fill a batch and are written; the four posts then reach an idle writer whose
      // gather delay (a minute) only stop() cuts short.
      const ledger = await start({ flushIntervalMs: 60_000, batchSize: 5 });
      await ledger.registerPeer(peer(alice, USD));
      await ledger.registerPeer(peer(bob, USD));
      const handles = await Promise.all(
        Array.from({ length: 5 }, () => ledger.reserve(packet(alice, 2n, bob))),
      );
      await ledger.balances();
      const posts = handles.slice(0, 4).map((h) => ledger.post(h));
      await ledger.stop();
      open.splice(open.indexOf(ledger), 1);
      await Promise.all(posts);
      expect(ledger.isReady()).toBe(false);
      const reopened = await start();
      await reopened.registerPeer(peer(alice, USD));
      expect(await balanceOf(reopened, alice)).toMatchObject({ balance: 8n, pendingIncoming: 0n });
    });

    describe('settlement', () => {
      /** A claim on one of this store's channels (a real cluster keeps claim transfers between runs). */
      function claim(
        peerId: string,
        direction: ClaimRecord['direction'],
        channel: string,
        cumulative: bigint,
      ): ClaimRecord {
        return {
          peerId,
          direction,
          chain: 'evm',
          channelId: store.peer(channel),
          cumulative,
          signature: `0x${direction}${cumulative.toString(16)}`,
        };
      }

      async function settlementOf(ledger: DaemonLedger, assetCode: string): Promise<bigint> {
        const found = (await ledger.settlementBalances()).find((b) => b.assetCode === assetCode);
        if (found === undefined) throw new Error(`no settlement account for ${assetCode}`);
        return found.balance;
      }

      function sortClaims(claims: ClaimRecord[]): ClaimRecord[] {
        return [...claims].sort(
          (a, b) => a.direction.localeCompare(b.direction) || a.channelId.localeCompare(b.channelId),
        );
      }

      test('a paid claim raises the peer balance, a received one lowers it, and each asset still sums to zero', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        await ledger.registerPeer(peer(bob, USD));
        await ledger.registerPeer(peer(store.peer('carol'), EUR));
        await ledger.post(await ledger.reserve(packet(alice, 100n, bob, 99n)));
        expect(await ledger.recordSettlement(claim(bob, 'paid', 'ch-bob', 5000n), 60n)).toBe('applied');
        expect(ledger.postedBalance(bob)).toBe(-39n);
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-alice', 7000n), 70n)).toBe(
          'applied',
        );
        expect(ledger.postedBalance(alice)).toBe(30n);
        expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 30n, pendingIncoming: 0n });
        expect(await balanceOf(ledger, bob)).toMatchObject({ balance: -39n, pendingOutgoing: 0n });
        // The settlement account is the other side of both claims; liquidity keeps only the spread.
        expect(await settlementOf(ledger, USD)).toBe(10n);
        expect(await settlementOf(ledger, EUR)).toBe(0n);
        expect(await ledger.liquidityBalances()).toEqual(
          expect.arrayContaining([{ assetCode: USD, assetScale: 2, balance: -1n }]),
        );
        await expectBalanced(ledger);
        expect(ledger.postedBalance(store.peer('nobody'))).toBeUndefined();
        // The balances report of a running ledger: the shape `ilpd ledger balances` prints.
        const report = await readBalanceReport(ledger);
        expect(report.backend).toBe(backend.name);
        expect(report.balances.map((p) => [p.peerId, p.balance])).toEqual(
          [
            [alice, 30n],
            [bob, -39n],
            [store.peer('carol'), 0n],
          ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
        );
        expect(report.settlement).toEqual(
          expect.arrayContaining([
            { assetCode: USD, assetScale: 2, balance: 10n },
            { assetCode: EUR, assetScale: 2, balance: 0n },
          ]),
        );
      });

      test('an equal, lower or replayed claim is stale and changes nothing; directions are separate', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        const best = claim(alice, 'received', 'ch-1', 100n);
        expect(await ledger.recordSettlement(best, 10n)).toBe('applied');
        expect(await ledger.recordSettlement(best, 10n)).toBe('stale');
        expect(await ledger.recordSettlement({ ...best, signature: '0xother' }, 10n)).toBe('stale');
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-1', 99n), 3n)).toBe('stale');
        expect(ledger.postedBalance(alice)).toBe(-10n);
        expect(await settlementOf(ledger, USD)).toBe(10n);
        // The same channel id in the other direction is another channel (ours to alice).
        expect(await ledger.recordSettlement(claim(alice, 'paid', 'ch-1', 50n), 4n)).toBe('applied');
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-1', 150n), 5n)).toBe('applied');
        expect(ledger.postedBalance(alice)).toBe(-11n);
        expect(sortClaims(await ledger.claims())).toEqual([
          claim(alice, 'paid', 'ch-1', 50n),
          claim(alice, 'received', 'ch-1', 150n),
        ]);
        await expectBalanced(ledger);
      });

      test('a claim on a channel bound to another peer is foreign and changes nothing', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        await ledger.registerPeer(peer(bob, USD));
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-a', 10n), 10n)).toBe('applied');
        expect(await ledger.recordSettlement(claim(bob, 'received', 'ch-a', 20n), 20n)).toBe(
          'foreign-channel',
        );
        // Two peers racing for a new channel: the first claim judged binds it.
        const race = await Promise.all([
          ledger.recordSettlement(claim(bob, 'paid', 'ch-new', 5n), 5n),
          ledger.recordSettlement(claim(alice, 'paid', 'ch-new', 9n), 9n),
        ]);
        expect(race).toEqual(['applied', 'foreign-channel']);
        expect(ledger.postedBalance(alice)).toBe(-10n);
        expect(ledger.postedBalance(bob)).toBe(5n);
        expect(await settlementOf(ledger, USD)).toBe(5n);
        expect(sortClaims(await ledger.claims())).toEqual([
          claim(bob, 'paid', 'ch-new', 5n),
          claim(alice, 'received', 'ch-a', 10n),
        ]);
        await expectBalanced(ledger);
      });

      test('a claim of amount 0 is stored and moves nothing', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        expect(await ledger.recordSettlement(claim(alice, 'paid', 'ch-0', 3n), 0n)).toBe('applied');
        expect(await ledger.recordSettlement(claim(alice, 'paid', 'ch-0', 3n), 0n)).toBe('stale');
        expect(ledger.postedBalance(alice)).toBe(0n);
        expect(await settlementOf(ledger, USD)).toBe(0n);
        expect(await ledger.claims()).toEqual([claim(alice, 'paid', 'ch-0', 3n)]);
      });

      test('a claim of an unregistered peer or with a negative amount is refused', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        await expectCode(
          ledger.recordSettlement(claim(store.peer('nobody'), 'paid', 'ch-x', 1n), 1n),
          'ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT',
        );
        await expectCode(
          ledger.recordSettlement(claim(alice, 'paid', 'ch-x', 1n), -1n),
          'ILPD_ERR_INVALID_AMOUNT',
        );
        await expectCode(
          ledger.recordSettlement(claim(alice, 'paid', 'ch-x', 0n), 0n),
          'ILPD_ERR_INVALID_AMOUNT',
        );
        expect(await ledger.claims()).toEqual([]);
      });

      test('the best claims and what they booked survive a restart', async () => {
        const carol = store.peer('carol');
        const first = await start();
        await first.registerPeer(peer(alice, USD));
        await first.registerPeer(peer(carol, EUR));
        await first.recordSettlement(claim(alice, 'paid', 'ch-1', 10n), 10n);
        await first.recordSettlement(claim(alice, 'paid', 'ch-1', 25n), 15n);
        await first.recordSettlement(claim(alice, 'received', 'ch-2', 40n), 4n);
        await first.recordSettlement(claim(carol, 'received', 'ch-3', 7n), 7n);
        await first.stop();
        open.splice(open.indexOf(first), 1);

        const second = await start();
        expect(sortClaims(await second.claims())).toEqual([
          claim(alice, 'paid', 'ch-1', 25n),
          claim(alice, 'received', 'ch-2', 40n),
          claim(carol, 'received', 'ch-3', 7n),
        ]);
        await second.registerPeer(peer(alice, USD));
        await second.registerPeer(peer(carol, EUR));
        expect(second.postedBalance(alice)).toBe(21n);
        expect(second.postedBalance(carol)).toBe(-7n);
        expect(await settlementOf(second, USD)).toBe(-21n);
        expect(await settlementOf(second, EUR)).toBe(7n);
        // Judged against the stored claims: a replay is stale, another peer's claim foreign.
        expect(await second.recordSettlement(claim(alice, 'paid', 'ch-1', 25n), 15n)).toBe('stale');
        expect(await second.recordSettlement(claim(carol, 'paid', 'ch-1', 30n), 5n)).toBe('foreign-channel');
        expect(await second.recordSettlement(claim(alice, 'paid', 'ch-1', 30n), 5n)).toBe('applied');
        expect(second.postedBalance(alice)).toBe(26n);
        await expectBalanced(second);
      });

      test('a settlement makes room like a post: a peer at its limit can send again after paying', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD, { maximum: 100n, minimum: -50n }));
        await ledger.registerPeer(peer(bob, USD, { minimum: -100n }));
        await ledger.post(await ledger.reserve(packet(alice, 100n, bob)));
        await expectCode(ledger.reserve(packet(alice, 1n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
        // alice pays us 40: she may owe us 40 more.
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-in', 40n), 40n)).toBe('applied');
        await expectCode(ledger.reserve(packet(alice, 41n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
        // bob is at his minimum too (we owe him 100): we pay him 30, and may owe him 30 more.
        await expectCode(ledger.reserve(packet(alice, 31n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
        expect(await ledger.recordSettlement(claim(bob, 'paid', 'ch-out', 30n), 30n)).toBe('applied');
        await ledger.post(await ledger.reserve(packet(alice, 30n, bob)));
        await expectCode(ledger.reserve(packet(alice, 1n, bob)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
        expect(await balanceOf(ledger, alice)).toMatchObject({ balance: 90n });
        expect(await balanceOf(ledger, bob)).toMatchObject({ balance: -100n });
        // The other side narrows: alice paid more than she owed (balance -60), so we may owe her at
        // most 50 - nothing more once the claim takes her beyond it.
        expect(await ledger.recordSettlement(claim(alice, 'received', 'ch-in', 190n), 150n)).toBe('applied');
        expect(ledger.postedBalance(alice)).toBe(-60n);
        await expectCode(ledger.reserve(packet(bob, 1n, alice)), 'ILPD_ERR_LEDGER_LIMIT_EXCEEDED');
        await expectBalanced(ledger);
      });

      test('concurrent claims on one channel never book twice', async () => {
        const ledger = await start();
        await ledger.registerPeer(peer(alice, USD));
        // 30 claims at once: cumulative 10, 20, 30, 40, 50, then the same again, five more times.
        const cumulatives = Array.from({ length: 30 }, (_, i) => 10n * BigInt(1 + (i % 5)));
        const outcomes: SettlementOutcome[] = await Promise.all(
          cumulatives.map((c) => ledger.recordSettlement(claim(alice, 'received', 'ch-c', c), c)),
        );
        const applied = cumulatives.filter((_, i) => outcomes[i] === 'applied');
        expect(applied).toEqual([10n, 20n, 30n, 40n, 50n]);
        expect(outcomes.slice(5).every((o) => o === 'stale')).toBe(true);
        expect(ledger.postedBalance(alice)).toBe(-150n);
        expect(await settlementOf(ledger, USD)).toBe(150n);
        expect(await ledger.claims()).toEqual([claim(alice, 'received', 'ch-c', 50n)]);
        await expectBalanced(ledger);
      });
    });
  });
}
