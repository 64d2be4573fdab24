import { createHash, randomBytes } from 'node:crypto';
import BtpPlugin from 'ilp-plugin-btp';
import * as IlpPacket from 'ilp-packet';
import * as ILDCP from 'ilp-protocol-ildcp';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * Interop with the reference client stack: ilp-plugin-btp 1.5 clients (packets built and read with
 * ilp-packet, addresses from ilp-protocol-ildcp) pay each other through ilpd.
 */
describe('ilp-plugin-btp clients through ilpd (interop)', () => {
  let daemon: DaemonProcess;
  let alice: BtpPlugin;
  let bob: BtpPlugin;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: 'test.interop',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 } },
    });
    alice = new BtpPlugin({ server: `btp+ws://alice:alice-secret@127.0.0.1:${daemon.btpPort}` });
    bob = new BtpPlugin({ server: `btp+ws://bob:bob-secret@127.0.0.1:${daemon.btpPort}` });
    await Promise.all([alice.connect(), bob.connect()]);
  });

  afterAll(async () => {
    await Promise.all([alice?.disconnect(), bob?.disconnect()]);
    await daemon?.stop();
    await daemon?.dispose();
  });

  function prepare(destination: string, amount: string, fulfillment: Buffer): Buffer {
    return IlpPacket.serializeIlpPrepare({
      amount,
      expiresAt: new Date(Date.now() + 10_000),
      executionCondition: createHash('sha256').update(fulfillment).digest(),
      destination,
      data: Buffer.from('interop'),
    });
  }

  it('gives each child its address over ILDCP', async () => {
    await expect(ILDCP.fetch(alice.sendData.bind(alice))).resolves.toEqual({
      clientAddress: 'test.interop.alice',
      assetCode: 'USD',
      assetScale: 9,
    });
    await expect(ILDCP.fetch(bob.sendData.bind(bob))).resolves.toMatchObject({
      clientAddress: 'test.interop.bob',
    });
  });

  it('pays alice → bob: bob sees the Prepare, alice gets bob’s Fulfill', async () => {
    const fulfillment = randomBytes(32);
    const seen: IlpPacket.IlpPrepare[] = [];
    bob.registerDataHandler(async (data: Buffer) => {
      seen.push(IlpPacket.deserializeIlpPrepare(data));
      return IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.from('receipt') });
    });
    const answer = IlpPacket.deserializeIlpPacket(
      await alice.sendData(prepare('test.interop.bob.invoice', '2500', fulfillment)),
    );
    expect(answer.type).toBe(IlpPacket.Type.TYPE_ILP_FULFILL);
    expect((answer.data as IlpPacket.IlpFulfill).fulfillment).toEqual(fulfillment);
    expect((answer.data as IlpPacket.IlpFulfill).data).toEqual(Buffer.from('receipt'));
    expect(seen[0]).toMatchObject({ amount: '2500', destination: 'test.interop.bob.invoice' });
    bob.deregisterDataHandler();
  });

  it('relays bob’s reject to alice with bob’s triggeredBy', async () => {
    bob.registerDataHandler(async () =>
      IlpPacket.serializeIlpReject({
        code: 'F99',
        triggeredBy: 'test.interop.bob',
        message: 'no thanks',
        data: Buffer.from('why'),
      }),
    );
    const answer = IlpPacket.deserializeIlpReject(
      await alice.sendData(prepare('test.interop.bob', '1', randomBytes(32))),
    );
    expect(answer).toEqual({
      code: 'F99',
      triggeredBy: 'test.interop.bob',
      message: 'no thanks',
      data: Buffer.from('why'),
    });
    bob.deregisterDataHandler();
  });

  it('answers many concurrent packets and records exactly the fulfilled amount', async () => {
    const { body: before } = await daemon.getJson('/admin/balances');
    const aliceBefore = BigInt(
      (before as { balances: { peerId: string; balance: string }[] }).balances.find(
        (b) => b.peerId === 'alice',
      )!.balance,
    );
    const byCondition = new Map<string, Buffer>();
    bob.registerDataHandler(async (data: Buffer) => {
      const { executionCondition, amount } = IlpPacket.deserializeIlpPrepare(data);
      if (Number(amount) % 2 === 1) {
        return IlpPacket.serializeIlpReject({
          code: 'F99',
          triggeredBy: 'test.interop.bob',
          message: 'odd',
          data: Buffer.alloc(0),
        });
      }
      return IlpPacket.serializeIlpFulfill({
        fulfillment: byCondition.get(executionCondition.toString('hex'))!,
        data: Buffer.alloc(0),
      });
    });
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const fulfillment = randomBytes(32);
        byCondition.set(createHash('sha256').update(fulfillment).digest('hex'), fulfillment);
        return alice.sendData(prepare('test.interop.bob', String(i + 1), fulfillment));
      }),
    );
    const fulfilled = answers.filter((a) => a[0] === IlpPacket.Type.TYPE_ILP_FULFILL).length;
    expect(fulfilled).toBe(50);
    const { body } = await daemon.getJson('/admin/balances');
    const balances = (body as { balances: { peerId: string; balance: string }[] }).balances;
    // Sum of the even amounts 2 + 4 + … + 100.
    expect(BigInt(balances.find((b) => b.peerId === 'alice')!.balance) - aliceBefore).toBe(2550n);
    bob.deregisterDataHandler();
  });
});
