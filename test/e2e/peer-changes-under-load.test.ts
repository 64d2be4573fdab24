import { createHash, randomBytes } from 'node:crypto';
import { decodeReject, encodePrepare, type PrepareView } from '@ilpd/codec';
import {
  BtpRequestError,
  connectBtpPeer,
  fulfillPacket,
  rejectPacket,
  type BtpPeer,
} from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * Peers changed while packets flow, in a real ilpd process: a peer removed with Prepares in flight
 * (each completes or rejects cleanly, the ledger records exactly what was fulfilled, nothing stays
 * reserved), and a balance limit lowered under load (T04 from then on, exactly at the new limit).
 */
const TOKEN = 'e2e-admin-token-0123456789';
const HUB = 'test.live';

const fulfillments = new Map<string, Buffer>();

function prepare(destination: string, amount: bigint): Buffer {
  const fulfillment = randomBytes(32);
  const condition = createHash('sha256').update(fulfillment).digest();
  fulfillments.set(condition.toString('hex'), fulfillment);
  return encodePrepare({
    amount,
    expiresAt: new Date(Date.now() + 15_000),
    executionCondition: condition,
    destination,
    data: Buffer.alloc(0),
  });
}

function fulfil(p: PrepareView): Buffer {
  return fulfillPacket(fulfillments.get(p.executionCondition.toString('hex'))!);
}

interface Account {
  balance: bigint;
  pending: bigint;
}

async function accounts(daemon: DaemonProcess): Promise<Record<string, Account>> {
  const { body } = await daemon.getJson('/admin/balances');
  const list = (body as { balances: Record<string, string>[] }).balances;
  return Object.fromEntries(
    list.map((b) => [
      b.peerId,
      { balance: BigInt(b.balance), pending: BigInt(b.pendingIncoming) + BigInt(b.pendingOutgoing) },
    ]),
  );
}

function codeOf(answer: Buffer): string {
  return answer[0] === 13 ? 'fulfilled' : decodeReject(answer).code;
}

describe('peer changes under load (e2e)', () => {
  let daemon: DaemonProcess;
  const peers: BtpPeer[] = [];

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await daemon?.stop();
    await daemon?.dispose();
  });

  it('removes a peer with Prepares in flight: they complete or reject cleanly, nothing is lost in the ledger', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 } },
      adminToken: TOKEN,
    });
    // bob holds every Prepare until released, then fulfils the even amounts and rejects the odd ones.
    const held: PrepareView[] = [];
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      {
        onPrepare: async (p) => {
          held.push(p);
          await released;
          return p.amount % 2n === 0n ? fulfil(p) : rejectPacket('F99', 'no thanks', `${HUB}.bob`);
        },
      },
    );
    const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    peers.push(alice, bob);

    const amounts = [100n, 201n, 300n, 401n, 500n];
    const inFlight = amounts.map((amount) => alice.sendIlp(prepare(`${HUB}.bob.x`, amount)));
    while (held.length < amounts.length) await new Promise((resolve) => setTimeout(resolve, 10));

    const removal = daemon.adminRequest('DELETE', '/admin/peers/bob');
    // While bob drains: its route is withdrawn, nothing new goes to or comes from bob, and bob
    // cannot connect again; its session stays up for the answers still owed.
    await waitUntil(async () => {
      const { body } = await daemon.getJson('/admin/routes');
      return !(body as { routes: { prefix: string }[] }).routes.some((r) => r.prefix === `${HUB}.bob`);
    });
    expect(codeOf(await alice.sendIlp(prepare(`${HUB}.bob.x`, 2n)))).toBe('F02');
    expect(decodeReject(await bob.sendIlp(prepare(`${HUB}.alice.x`, 2n)))).toMatchObject({
      code: 'F00',
      message: 'peer bob is disabled by the operator',
    });
    await expect(
      connectBtpPeer(daemon.btpUrl, { username: 'bob', token: 'bob-secret' }),
    ).rejects.toBeInstanceOf(BtpRequestError);
    expect(bob.isOpen).toBe(true);

    release();
    const answers = (await Promise.all(inFlight)).map(codeOf);
    expect(answers).toEqual(['fulfilled', 'F99', 'fulfilled', 'F99', 'fulfilled']);
    expect(await removal).toMatchObject({
      status: 200,
      body: { peers: { removed: ['bob'] }, drained: true },
    });
    await bob.closed;

    // The ledger holds exactly the fulfilled packets; bob's account (and what we owe bob) is kept.
    expect(await accounts(daemon)).toEqual({
      alice: { balance: 900n, pending: 0n },
      bob: { balance: -900n, pending: 0n },
    });
    const { body } = await daemon.getJson('/admin/peers');
    expect((body as { peers: { id: string }[] }).peers.map((p) => p.id)).toEqual(['alice']);
  });

  it('lowers a balance limit under load: T04 from then on, exactly at the new limit', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [
        childPeer('alice', 'alice-secret', { balance: { maximum: '1000000000' } }),
        childPeer('bob', 'bob-secret'),
      ],
      config: { fx: { spread: 0 } },
      adminToken: TOKEN,
    });
    const bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      { onPrepare: fulfil },
    );
    const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    peers.push(alice, bob);

    // Load: 8 senders, each sending its next Prepare of 1000 as soon as the last is answered.
    const codes: { code: string; afterChange: boolean }[] = [];
    let changed = false;
    let stop = false;
    const sender = async (): Promise<void> => {
      while (!stop) {
        const code = codeOf(await alice.sendIlp(prepare(`${HUB}.bob.x`, 1000n)));
        codes.push({ code, afterChange: changed });
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, sender));
    while (codes.length < 50) await new Promise((resolve) => setTimeout(resolve, 10));

    // The new maximum: 500 packets' worth above what alice owes now (a multiple of 1000), far more than
    // the load posts while the change is on its way. Answers from here on may already see it.
    const limit = (await accounts(daemon)).alice.balance + 500_000n;
    changed = true;
    const patched = await daemon.adminRequest('PATCH', '/admin/peers/alice', {
      balance: { maximum: limit.toString() },
    });
    expect(patched).toMatchObject({ status: 200, body: { peers: { updated: ['alice'] } } });
    await waitUntil(() => codes.filter((c) => c.afterChange && c.code === 'T04').length >= 20);
    stop = true;
    await load;

    expect(codes.filter((c) => !c.afterChange && c.code !== 'fulfilled')).toEqual([]);
    expect(new Set(codes.map((c) => c.code))).toEqual(new Set(['fulfilled', 'T04']));
    // Posted up to the new limit and not a unit beyond, under 8 concurrent senders.
    expect(await accounts(daemon)).toEqual({
      alice: { balance: limit, pending: 0n },
      bob: { balance: -limit, pending: 0n },
    });
    const metrics = (await daemon.getJson('/metrics')).body as string;
    expect(metrics).toContain(
      `ilpd_peer_balance_limit{peer="alice",asset="USD",bound="maximum"} ${Number(limit) / 1e9}`,
    );
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
