import { createHash, randomBytes } from 'node:crypto';
import {
  decodeAmountTooLargeData,
  decodeFulfill,
  decodeIldcpResponse,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodeIldcpRequest,
  encodePrepare,
  encodeReject,
  CCP_CONDITION,
  type PrepareView,
} from '@ilpd/codec';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * Every reject code the packet path generates, through a real ilpd process and real BTP sessions:
 * senders and receivers are raw ws BTP peers authenticated as ilpd's children.
 */
const HUB = 'test.hub';
/** Node timers count from the event loop's cached time, so one can fire a little early against Date.now. */
const TIMER_TOLERANCE_MS = 50;

describe('reject codes (e2e)', () => {
  let daemon: DaemonProcess;
  let alice: BtpPeer;
  let bob: BtpPeer;
  let slow: BtpPeer;
  const others: BtpPeer[] = [];
  /** What bob does with the next Prepare; fulfils by default when it knows the fulfillment. */
  let bobAnswers: (prepare: PrepareView) => Buffer;
  const fulfillments = new Map<string, Buffer>();

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [
        childPeer('alice', 'alice-secret', { maxPacketAmount: '1000000' }),
        childPeer('bob', 'bob-secret'),
        childPeer('carol', 'carol-secret'),
        childPeer('slow', 'slow-secret'),
        childPeer('limited', 'limited-secret', { rateLimit: { packetsPerSecond: 1, burst: 2 } }),
        childPeer('capped', 'capped-secret', { balance: { maximum: '1000' } }),
      ],
      config: { fx: { spread: 0 }, packet: { minMessageWindowMs: 500, maxHoldTimeMs: 30_000 } },
    });
    bobAnswers = (prepare) => {
      const fulfillment = fulfillments.get(prepare.executionCondition.toString('hex'));
      if (fulfillment === undefined) throw new Error('unknown condition');
      return encodeFulfill({ fulfillment, data: Buffer.from('thanks') });
    };
    alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      { onPrepare: (prepare) => bobAnswers(prepare) },
    );
    slow = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'slow', token: 'slow-secret' },
      { onPrepare: () => new Promise<Buffer>(() => undefined) },
    );
  });

  afterEach(() => {
    bobAnswers = (prepare) => {
      const fulfillment = fulfillments.get(prepare.executionCondition.toString('hex'));
      if (fulfillment === undefined) throw new Error('unknown condition');
      return encodeFulfill({ fulfillment, data: Buffer.from('thanks') });
    };
  });

  afterAll(async () => {
    await Promise.all([alice, bob, slow, ...others].filter(Boolean).map((p) => p.close()));
    await daemon?.stop();
    await daemon?.dispose();
  });

  function prepare(
    fields: { amount?: bigint; destination?: string; ttlMs?: number; condition?: Buffer } = {},
  ) {
    const fulfillment = randomBytes(32);
    const condition = fields.condition ?? createHash('sha256').update(fulfillment).digest();
    fulfillments.set(condition.toString('hex'), fulfillment);
    return encodePrepare({
      amount: fields.amount ?? 1000n,
      expiresAt: new Date(Date.now() + (fields.ttlMs ?? 10_000)),
      executionCondition: condition,
      destination: fields.destination ?? `${HUB}.bob.invoice-1`,
      data: Buffer.from('e2e'),
    });
  }

  async function rejectFor(sender: BtpPeer, ilp: Buffer) {
    const answer = await sender.sendIlp(ilp);
    expect(answer[0]).toBe(14);
    return decodeReject(answer);
  }

  async function waitForPeerState(peerId: string, connected: boolean): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const { body } = await daemon.getJson('/admin/peers');
      const peers = (body as { peers: { id: string; connected: boolean }[] }).peers;
      if (peers.find((p) => p.id === peerId)?.connected === connected) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`${peerId} did not become ${connected ? 'connected' : 'disconnected'}`);
  }

  /** Posted balance and pending reservations of a peer, from /admin/balances. */
  async function accountOf(peerId: string): Promise<Record<string, string>> {
    const { body } = await daemon.getJson('/admin/balances');
    const balances = (body as { balances: Record<string, string>[] }).balances;
    const found = balances.find((b) => b.peerId === peerId);
    if (found === undefined) throw new Error(`no account for ${peerId}`);
    return {
      balance: found.balance,
      pendingIncoming: found.pendingIncoming,
      pendingOutgoing: found.pendingOutgoing,
    };
  }

  async function balanceOf(peerId: string): Promise<string> {
    const { body } = await daemon.getJson('/admin/balances');
    const balances = (body as { balances: { peerId: string; balance: string }[] }).balances;
    return balances.find((b) => b.peerId === peerId)?.balance ?? 'missing';
  }

  it('pays alice → bob, relays the Fulfill and moves both balances', async () => {
    const aliceBefore = BigInt(await balanceOf('alice'));
    const bobBefore = BigInt(await balanceOf('bob'));
    let seenByBob: PrepareView | undefined;
    bobAnswers = (p) => {
      seenByBob = p;
      return fulfillPacket(fulfillments.get(p.executionCondition.toString('hex'))!, Buffer.from('thanks'));
    };
    const answer = await alice.sendIlp(prepare({ amount: 12_345n }));
    expect(answer[0]).toBe(13);
    expect(decodeFulfill(answer).data).toEqual(Buffer.from('thanks'));
    expect(seenByBob).toMatchObject({ amount: 12_345n, destination: `${HUB}.bob.invoice-1` });
    expect(BigInt(await balanceOf('alice')) - aliceBefore).toBe(12_345n);
    expect(BigInt(await balanceOf('bob')) - bobBefore).toBe(-12_345n);
  });

  it('answers ILDCP for a child', async () => {
    const answer = await alice.sendIlp(encodeIldcpRequest());
    expect(decodeIldcpResponse(answer)).toEqual({
      clientAddress: `${HUB}.alice`,
      assetCode: 'USD',
      assetScale: 9,
    });
  });

  it('F01: rejects bytes that are not a valid Prepare', async () => {
    const reject = await rejectFor(alice, Buffer.from([12, 5, 1, 2, 3, 4, 5]));
    expect(reject).toMatchObject({ code: 'F01', triggeredBy: HUB });
    expect(
      (await rejectFor(alice, encodeFulfill({ fulfillment: Buffer.alloc(32), data: Buffer.alloc(0) }))).code,
    ).toBe('F01');
  });

  it('F02: rejects an unknown destination', async () => {
    const reject = await rejectFor(alice, prepare({ destination: 'test.nowhere.x' }));
    expect(reject).toMatchObject({ code: 'F02', triggeredBy: HUB });
  });

  it('F02: rejects peer.* destinations it does not serve, without forwarding them', async () => {
    const received = bob.received.length;
    const ilp = encodePrepare({
      amount: 0n,
      expiresAt: new Date(Date.now() + 10_000),
      executionCondition: CCP_CONDITION,
      destination: 'peer.settle.xyz',
      data: Buffer.alloc(0),
    });
    expect((await rejectFor(alice, ilp)).code).toBe('F02');
    expect(bob.received.length).toBe(received);
  });

  it('F05: rejects upstream when the next hop fulfills with the wrong preimage', async () => {
    const before = await balanceOf('alice');
    bobAnswers = () => encodeFulfill({ fulfillment: Buffer.alloc(32, 7), data: Buffer.alloc(0) });
    const reject = await rejectFor(alice, prepare());
    expect(reject).toMatchObject({ code: 'F05', triggeredBy: HUB });
    expect(await balanceOf('alice')).toBe(before);
  });

  it('F08: rejects a packet above maxPacketAmount with the amounts in data', async () => {
    const reject = await rejectFor(alice, prepare({ amount: 1_000_001n }));
    expect(reject.code).toBe('F08');
    expect(decodeAmountTooLargeData(reject.data)).toEqual({
      receivedAmount: 1_000_001n,
      maximumAmount: 1_000_000n,
    });
  });

  it('R02: rejects a packet that expires too soon', async () => {
    expect((await rejectFor(alice, prepare({ ttlMs: 300 }))).code).toBe('R02');
  });

  it('R00: rejects when the next hop never answers before the outgoing expiry, and voids the reservation', async () => {
    const before = await accountOf('alice');
    let forwarded: PrepareView | undefined;
    slow.setPrepareHandler((p) => {
      forwarded = p;
      return new Promise<Buffer>(() => undefined);
    });
    const ilp = prepare({ destination: `${HUB}.slow`, ttlMs: 3000 });
    const reject = await rejectFor(alice, ilp);
    const answeredAt = Date.now();
    expect(reject).toMatchObject({ code: 'R00', triggeredBy: HUB });
    // It was our own timeout on the forwarded packet: slow got it, with the min message window taken off…
    expect(forwarded?.expiresAtMs).toBe(decodePrepare(ilp).expiresAtMs - 500);
    // …and we did not give up before that expiry (timers may fire a few ms early against Date.now).
    expect(answeredAt).toBeGreaterThanOrEqual(forwarded!.expiresAtMs - TIMER_TOLERANCE_MS);
    // Nothing stays reserved and nothing was posted.
    expect(await accountOf('alice')).toEqual(before);
  });

  it('T01: rejects when the next hop has disconnected', async () => {
    const carol = await connectBtpPeer(daemon.btpUrl, { username: 'carol', token: 'carol-secret' });
    await carol.close();
    await waitForPeerState('carol', false);
    const reject = await rejectFor(alice, prepare({ destination: `${HUB}.carol.x` }));
    expect(reject).toMatchObject({ code: 'T01', triggeredBy: HUB });
  });

  it('T04: rejects once the sender would exceed its balance limit', async () => {
    const capped = await connectBtpPeer(daemon.btpUrl, { username: 'capped', token: 'capped-secret' });
    others.push(capped);
    expect((await capped.sendIlp(prepare({ amount: 600n })))[0]).toBe(13);
    const reject = await rejectFor(capped, prepare({ amount: 600n }));
    expect(reject).toMatchObject({ code: 'T04', triggeredBy: HUB });
    expect(await balanceOf('capped')).toBe('600');
  });

  it('T05: rejects what exceeds the token bucket of the sender’s packet rate', async () => {
    const limited = await connectBtpPeer(daemon.btpUrl, { username: 'limited', token: 'limited-secret' });
    others.push(limited);
    // burst 2, 1 packet/s: of 8 Prepares at once, 2 pass on the full bucket, plus at most one per
    // second that the run lasted (a busy machine only makes that allowance larger, never the count).
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => limited.sendIlp(prepare({ amount: 1n }))),
    );
    const refills = Math.floor((Date.now() - started) / 1000);
    const codes = answers.map((a) => (a[0] === 13 ? 'fulfilled' : decodeReject(a).code));
    const fulfilled = codes.filter((c) => c === 'fulfilled').length;
    expect(codes.filter((c) => c !== 'fulfilled' && c !== 'T05')).toEqual([]);
    expect(fulfilled).toBeGreaterThanOrEqual(2);
    expect(fulfilled).toBeLessThanOrEqual(2 + refills);
  });

  it('relays a downstream reject unchanged, keeping its original triggeredBy', async () => {
    const downstream = encodeReject({
      code: 'F99',
      triggeredBy: `${HUB}.bob.app`,
      message: 'invoice already paid',
      data: Buffer.from('app-data'),
    });
    bobAnswers = () => downstream;
    const answer = await alice.sendIlp(prepare());
    expect(answer).toEqual(downstream);
  });

  it('forwards the Prepare with its expiry reduced by the min message window', async () => {
    let forwarded: PrepareView | undefined;
    bobAnswers = (p) => {
      forwarded = decodePrepare(Buffer.from(p.buffer));
      return encodeReject({ code: 'F99', triggeredBy: `${HUB}.bob`, message: '', data: Buffer.alloc(0) });
    };
    const ilp = prepare({ ttlMs: 8000 });
    await alice.sendIlp(ilp);
    expect(forwarded!.expiresAtMs).toBe(decodePrepare(ilp).expiresAtMs - 500);
  });
});
