import { BtpPacketType, decodeReject, encodePrepare } from '@ilpd/codec';
import { createHash } from 'node:crypto';
import { connectBtpPeer, fulfillPacket } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

function prepareTo(destination: string, condition = Buffer.alloc(32, 1)): Buffer {
  return encodePrepare({
    amount: 10n,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: condition,
    destination,
    data: Buffer.alloc(0),
  });
}

describe('malformed BTP input (e2e)', () => {
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      config: { btp: { maxPayloadBytes: 4096 }, fx: { spread: 0 } },
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
    });
  });

  afterAll(async () => {
    await daemon.stop();
    await daemon.dispose();
  });

  async function alice() {
    return connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
  }

  it('answers a malformed frame with a BTP error and keeps the session', async () => {
    const peer = await alice();
    peer.sendRaw(Buffer.from([BtpPacketType.Message, 0, 0, 1, 0, 0x09, 1, 2, 3]));
    await waitFor(() =>
      peer.received.some((f) => !Buffer.isBuffer(f) && f.type === BtpPacketType.Error && f.requestId === 256),
    );
    expect(peer.isOpen).toBe(true);
    // The session still works: an ILP packet to an unknown destination gets an ILP Reject.
    const reject = decodeReject(await peer.sendIlp(prepareTo('test.e2e.nobody')));
    expect(reject.triggeredBy).toBe('test.e2e');
    await peer.close();
  });

  it('answers garbage inside the ilp field with an ILP Reject, not a crash', async () => {
    const peer = await alice();
    const reject = decodeReject(await peer.sendIlp(Buffer.from([12, 0xff, 0xff, 0xff])));
    expect(reject.code).toMatch(/^F0[01]$/);
    await peer.close();
  });

  it('closes a connection whose frame is too short to read, and serves the next client', async () => {
    const peer = await alice();
    peer.sendRaw(Buffer.from([6, 1]));
    expect((await peer.closed).code).toBe(1002);
    await expectDaemonServes();
  });

  it('closes a connection sending a frame above btp.maxPayloadBytes, and serves the next client', async () => {
    const peer = await alice();
    peer.sendRaw(Buffer.alloc(8192, 6));
    expect((await peer.closed).code).toBe(1009);
    await expectDaemonServes();
  });

  it('settles a Prepare whose sender disconnects while it is forwarded: posted once, nothing left reserved', async () => {
    const before = { alice: await accountOf('alice'), bob: await accountOf('bob') };
    let bobSawPrepare: () => void = () => undefined;
    const seen = new Promise<void>((resolve) => (bobSawPrepare = resolve));
    let releaseBob: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (releaseBob = resolve));
    const fulfillment = Buffer.alloc(32, 4);
    const bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      {
        onPrepare: async () => {
          bobSawPrepare();
          await released;
          return fulfillPacket(fulfillment);
        },
      },
    );
    const peer = await alice();
    void peer
      .sendIlp(prepareTo('test.e2e.bob', createHash('sha256').update(fulfillment).digest()))
      .catch(() => undefined);
    await seen;
    peer.ws.terminate();
    await peer.closed;
    releaseBob();

    // bob's Fulfill is posted (we owe bob, alice owes us) even though alice can no longer hear it.
    await waitForAsync(async () => (await accountOf('alice')).balance === before.alice.balance + 10n);
    const after = { alice: await accountOf('alice'), bob: await accountOf('bob') };
    expect(after.alice).toEqual({ ...before.alice, balance: before.alice.balance + 10n });
    expect(after.bob).toEqual({ ...before.bob, balance: before.bob.balance - 10n });
    expect([after.alice.pending, after.bob.pending]).toEqual([0n, 0n]);
    await expectDaemonServes();
    await bob.close();
  });

  /** alice's or bob's posted balance and everything reserved for it (pending in + out). */
  async function accountOf(peerId: string): Promise<{ balance: bigint; pending: bigint }> {
    const { body } = await daemon.getJson('/admin/balances');
    const balances = (body as { balances: Record<string, string>[] }).balances;
    const found = balances.find((b) => b.peerId === peerId);
    if (found === undefined) throw new Error(`no account for ${peerId}`);
    return {
      balance: BigInt(found.balance),
      pending: BigInt(found.pendingIncoming) + BigInt(found.pendingOutgoing),
    };
  }

  async function expectDaemonServes(): Promise<void> {
    expect(daemon.isRunning).toBe(true);
    expect((await daemon.getJson('/healthz')).status).toBe(200);
    const next = await alice();
    const reject = decodeReject(await next.sendIlp(prepareTo('test.e2e.nobody')));
    expect(reject.code).toBe('F02');
    await next.close();
  }
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitForAsync(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
