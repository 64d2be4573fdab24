import { decodeFulfill, encodeFulfill, encodePrepare, peekIlpPacketType } from '@ilpd/codec';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBtpPeer, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, freePort, runCli } from '../helpers/daemon-process';

jest.setTimeout(240_000);

const ROUNDS = 10;
const CONCURRENCY = 32;
const FULFILL_TYPE = 13;

interface BalanceJson {
  balances: {
    peerId: string;
    assetCode: string;
    balance: string;
    pendingIncoming: string;
    pendingOutgoing: string;
  }[];
  liquidity: { assetCode: string; balance: string }[];
}

interface Tally {
  /** Amounts of Prepares alice saw fulfilled. */
  aliceSawFulfilled: bigint;
  /** Amounts of Prepares whose answer alice never got (the daemon died first). */
  aliceUnanswered: bigint;
  /** Amounts bob fulfilled (bob hands out the preimage for every Prepare it sees). */
  bobFulfilled: bigint;
  packets: number;
}

/**
 * kill -9 the daemon at random moments while alice pays bob through it, restart it on the same ledger
 * file, and check the money: no reservation survives recovery, every asset sums to zero, and alice's
 * balance lies between what she saw fulfilled and what bob fulfilled. A Fulfill is relayed only after
 * its post is durable, so every fulfill alice saw is in the ledger; the only posted packets alice may
 * not have seen are those whose relay the kill interrupted (bounded by what she never got an answer to).
 */
describe('daemon crash recovery with the embedded ledger (kill -9 under load)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-crash-'));
  const tally: Tally = { aliceSawFulfilled: 0n, aliceUnanswered: 0n, bobFulfilled: 0n, packets: 0 };
  let btpPort: number;
  let httpPort: number;

  beforeAll(async () => {
    btpPort = await freePort();
    httpPort = await freePort();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function startDaemon(): Promise<DaemonProcess> {
    return DaemonProcess.start({
      dir,
      btpPort,
      httpPort,
      address: 'test.crash',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 }, log: { level: 'warn' } },
    });
  }

  async function pendingTotals(daemon: DaemonProcess): Promise<bigint> {
    const { body } = await daemon.getJson('/admin/balances');
    const { balances } = body as { balances: { pendingIncoming: string; pendingOutgoing: string }[] };
    return balances.reduce((sum, b) => sum + BigInt(b.pendingIncoming) + BigInt(b.pendingOutgoing), 0n);
  }

  /** Alice keeps CONCURRENCY Prepares in flight until her connection dies. */
  async function payUntilKilled(alice: BtpPeer, bob: BtpPeer): Promise<void> {
    const preimages = new Map<string, Buffer>();
    bob.setPrepareHandler((prepare) => {
      const fulfillment = preimages.get(prepare.executionCondition.toString('hex'));
      if (fulfillment === undefined) throw new Error('bob got a Prepare it cannot fulfill');
      tally.bobFulfilled += prepare.amount;
      return encodeFulfill({ fulfillment, data: Buffer.alloc(0) });
    });
    let alive = true;
    const worker = async (): Promise<void> => {
      while (alive) {
        const amount = BigInt(1 + Math.floor(Math.random() * 1000));
        const fulfillment = randomBytes(32);
        const condition = createHash('sha256').update(fulfillment).digest();
        preimages.set(condition.toString('hex'), fulfillment);
        tally.packets++;
        let answer: Buffer;
        try {
          answer = await alice.sendIlp(
            encodePrepare({
              amount,
              expiresAt: new Date(Date.now() + 30_000),
              executionCondition: condition,
              destination: 'test.crash.bob.invoice',
              data: Buffer.alloc(0),
            }),
          );
        } catch {
          tally.aliceUnanswered += amount;
          alive = false;
          return;
        }
        if (peekIlpPacketType(answer) === FULFILL_TYPE) {
          expect(decodeFulfill(answer).fulfillment).toEqual(fulfillment);
          tally.aliceSawFulfilled += amount;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  }

  it(`keeps balances exact across ${ROUNDS} kill -9s`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const daemon = await startDaemon();
      // Recovery has voided whatever the previous kill left pending.
      expect(await pendingTotals(daemon)).toBe(0n);
      const bob = await connectBtpPeer(daemon.btpUrl, { username: 'bob', token: 'bob-secret' });
      const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
      const paying = payUntilKilled(alice, bob);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1300));
      const exit = await daemon.kill();
      expect(exit.signal).toBe('SIGKILL');
      await paying;
      await Promise.all([alice.close(), bob.close()]);
    }

    // Recover once more, then stop gracefully and read the ledger file with the operator's CLI.
    const daemon = await startDaemon();
    expect(await pendingTotals(daemon)).toBe(0n);
    expect((await daemon.stop()).code).toBe(0);
    const cli = runCli(['ledger', 'balances', '--config', join(dir, 'ilpd.yaml'), '--json']);
    expect(cli.code).toBe(0);
    const ledger = JSON.parse(cli.stdout) as BalanceJson;

    const balanceOf = (peerId: string): bigint =>
      BigInt(ledger.balances.find((p) => p.peerId === peerId)?.balance ?? '0');
    for (const p of ledger.balances) {
      expect([p.peerId, p.pendingIncoming, p.pendingOutgoing]).toEqual([p.peerId, '0', '0']);
    }
    const usdSum =
      ledger.balances.filter((p) => p.assetCode === 'USD').reduce((s, p) => s + BigInt(p.balance), 0n) +
      ledger.liquidity.filter((l) => l.assetCode === 'USD').reduce((s, l) => s + BigInt(l.balance), 0n);
    expect(usdSum).toBe(0n);

    const alice = balanceOf('alice');
    const bob = balanceOf('bob');
    expect(tally.aliceSawFulfilled).toBeGreaterThan(0n);
    // Spread 0: what alice owes us is exactly what we owe bob.
    expect(bob).toBe(-alice);
    expect(alice).toBeGreaterThanOrEqual(tally.aliceSawFulfilled);
    expect(alice).toBeLessThanOrEqual(tally.aliceSawFulfilled + tally.aliceUnanswered);
    expect(alice).toBeLessThanOrEqual(tally.bobFulfilled);
  });
});
