import { createHash, randomBytes } from 'node:crypto';
import BtpPlugin from 'ilp-plugin-btp';
import * as IlpPacket from 'ilp-packet';
import * as ILDCP from 'ilp-protocol-ildcp';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * Issue 14 (transport): two BTP connections for one account. Two ilp-plugin-btp instances with the same
 * credentials used to knock each other off; now the account holds up to peers[].btp.maxConnections,
 * Prepares towards it are spread over its connections, and each connection's own Prepares are answered
 * on that connection.
 */
function prepare(destination: string, fulfillment: Buffer, amount = '10'): Buffer {
  return IlpPacket.serializeIlpPrepare({
    amount,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: createHash('sha256').update(fulfillment).digest(),
    destination,
    data: Buffer.from('multi'),
  });
}

describe('several BTP connections for one account (e2e)', () => {
  let daemon: DaemonProcess;
  let first: BtpPlugin;
  let second: BtpPlugin;
  let bob: BtpPeer;
  const fulfillment = randomBytes(32);
  const seenBy = { first: 0, second: 0 };

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: 'test.multi',
      peers: [
        childPeer('alice', 'alice-secret', {
          btp: { role: 'server', authToken: 'alice-secret', maxConnections: 2 },
        }),
        childPeer('bob', 'bob-secret'),
      ],
      config: { fx: { spread: 0 } },
    });
    const server = `btp+ws://alice:alice-secret@127.0.0.1:${daemon.btpPort}`;
    first = new BtpPlugin({ server });
    second = new BtpPlugin({ server });
    await first.connect();
    await second.connect();
    const fulfill = IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.alloc(0) });
    first.registerDataHandler(async () => {
      seenBy.first++;
      return fulfill;
    });
    second.registerDataHandler(async () => {
      seenBy.second++;
      return fulfill;
    });
    bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      { onPrepare: () => fulfillPacket(fulfillment) },
    );
  });

  afterAll(async () => {
    await bob?.close();
    await Promise.all([first?.disconnect(), second?.disconnect()]);
    await daemon?.stop();
    await daemon?.dispose();
  });

  it('keeps both connections of the account up', async () => {
    const { body } = await daemon.getJson('/metrics');
    expect(body as string).toContain('ilpd_peer_connections{peer="alice"} 2');
    expect(first.isConnected() && second.isConnected()).toBe(true);
  });

  it('lets both connections pay (each answered on its own connection) and learn their address', async () => {
    const fromFirst = IlpPacket.deserializeIlpPacket(
      await first.sendData(prepare('test.multi.bob.x', fulfillment)),
    );
    const fromSecond = IlpPacket.deserializeIlpPacket(
      await second.sendData(prepare('test.multi.bob.y', fulfillment)),
    );
    expect([fromFirst.type, fromSecond.type]).toEqual([
      IlpPacket.Type.TYPE_ILP_FULFILL,
      IlpPacket.Type.TYPE_ILP_FULFILL,
    ]);
    await expect(ILDCP.fetch(second.sendData.bind(second))).resolves.toMatchObject({
      clientAddress: 'test.multi.alice',
    });
  });

  it('spreads Prepares towards the account over both connections, and both receive', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => bob.sendIlp(prepare(`test.multi.alice.p${i}`, fulfillment))),
    );
    expect(answers.every((a) => a[0] === IlpPacket.Type.TYPE_ILP_FULFILL)).toBe(true);
    expect(seenBy).toEqual({ first: 10, second: 10 });
    const { body } = await daemon.getJson('/admin/balances');
    const alice = (body as { balances: { peerId: string; balance: string }[] }).balances.find(
      (b) => b.peerId === 'alice',
    );
    // alice paid 2 × 10 and was paid 20 × 10.
    expect(alice?.balance).toBe(String(2 * 10 - 20 * 10));
  });

  it('serves the other connection alone once one goes away', async () => {
    await first.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = seenBy.second;
    const answer = await bob.sendIlp(prepare('test.multi.alice.after', fulfillment));
    expect(answer[0]).toBe(IlpPacket.Type.TYPE_ILP_FULFILL);
    expect(seenBy.second).toBe(before + 1);
  });
});
