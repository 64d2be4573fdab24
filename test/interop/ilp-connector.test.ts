import { createHash, randomBytes } from 'node:crypto';
import BtpPlugin from 'ilp-plugin-btp';
import * as IlpPacket from 'ilp-packet';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';
import { ReferenceConnector } from './reference-connector';

/**
 * ilpd peered with the reference ilp-connector 23 (a separate process) over BTP, ilpd as the client:
 * routes are exchanged over CCP in both directions (no static routes), and packets cross from a child
 * of each connector to a child of the other.
 */
describe('ilpd peered with the reference ilp-connector (interop)', () => {
  let reference: ReferenceConnector;
  let daemon: DaemonProcess;
  let alice: BtpPlugin; // child of ilpd
  let carol: BtpPlugin; // child of the reference connector
  const fulfillments = new Map<string, Buffer>();

  function fulfillKnown(data: Buffer): Buffer {
    const { executionCondition } = IlpPacket.deserializeIlpPrepare(data);
    const fulfillment = fulfillments.get(executionCondition.toString('hex'));
    if (fulfillment === undefined) throw new Error('unknown condition');
    return IlpPacket.serializeIlpFulfill({ fulfillment, data: Buffer.from('ok') });
  }

  function prepare(destination: string, amount: string): { ilp: Buffer; fulfillment: Buffer } {
    const fulfillment = randomBytes(32);
    const condition = createHash('sha256').update(fulfillment).digest();
    fulfillments.set(condition.toString('hex'), fulfillment);
    const ilp = IlpPacket.serializeIlpPrepare({
      amount,
      expiresAt: new Date(Date.now() + 10_000),
      executionCondition: condition,
      destination,
      data: Buffer.from('interop'),
    });
    return { ilp, fulfillment };
  }

  async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(
          `${what} not seen within ${timeoutMs} ms\nilpd:\n${daemon.logText()}\nreference:\n${reference.logText()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  beforeAll(async () => {
    reference = await ReferenceConnector.start('test.ref', {
      ilpd: { relation: 'peer', secret: 'ilpd-secret' },
      carol: { relation: 'child', secret: 'carol-secret' },
    });
    daemon = await DaemonProcess.start({
      address: 'test.ilpd',
      peers: [
        {
          id: 'ref',
          relation: 'peer',
          btp: {
            role: 'client',
            url: `btp+ws://ilpd:ilpd-secret@127.0.0.1:${reference.ports.ilpd}`,
            reconnectInitialMs: 100,
          },
          assetCode: 'USD',
          assetScale: 9,
        },
        childPeer('alice', 'alice-secret'),
      ],
      config: { fx: { spread: 0 }, routing: { broadcastIntervalMs: 500, routeExpiryMs: 5000 } },
    });
    alice = new BtpPlugin({ server: `btp+ws://alice:alice-secret@127.0.0.1:${daemon.btpPort}` });
    carol = new BtpPlugin({ server: `btp+ws://carol:carol-secret@127.0.0.1:${reference.ports.carol}` });
    await Promise.all([alice.connect(), carol.connect()]);
    alice.registerDataHandler(async (data: Buffer) => fulfillKnown(data));
    carol.registerDataHandler(async (data: Buffer) => fulfillKnown(data));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([alice?.disconnect(), carol?.disconnect()]);
    await daemon?.stop();
    await daemon?.dispose();
    await reference?.stop();
  });

  /** Resolves once each connector has learned the other's prefix over CCP (at once when it has). */
  async function routesExchanged(): Promise<void> {
    await waitFor('ilpd route to test.ref', async () => {
      const { body } = await daemon.getJson('/admin/routes');
      const routes = (body as { routes: { prefix: string; nextHop: string }[] }).routes;
      return routes.some((r) => r.prefix === 'test.ref' && r.nextHop === 'ref');
    });
    await waitFor('reference route to test.ilpd', async () => {
      const status = (await reference.admin('/routing')) as {
        localRoutingTable: Record<string, { nextHop: string }>;
      };
      return status.localRoutingTable['test.ilpd']?.nextHop === 'ilpd';
    });
  }

  async function balances(): Promise<{ alice: bigint; ref: bigint }> {
    const { body } = await daemon.getJson('/admin/balances');
    const list = (body as { balances: { peerId: string; balance: string }[] }).balances;
    const of = (peerId: string) => BigInt(list.find((b) => b.peerId === peerId)?.balance ?? '0');
    return { alice: of('alice'), ref: of('ref') };
  }

  it('learns the reference connector’s prefix over CCP, and the reference learns ours', async () => {
    await routesExchanged();
  });

  /**
   * Sends a Prepare from `sender`, expects it fulfilled, and checks that ilpd's balances for alice and
   * ref moved by exactly `expected` (spread 0): each test stands on its own, whatever ran before it.
   */
  async function payThrough(
    sender: { sendData(data: Buffer): Promise<Buffer> },
    destination: string,
    amount: string,
    expected: { alice: bigint; ref: bigint },
  ): Promise<void> {
    await routesExchanged();
    const before = await balances();
    const { ilp, fulfillment } = prepare(destination, amount);
    const answer = IlpPacket.deserializeIlpPacket(await sender.sendData(ilp));
    if (answer.type !== IlpPacket.Type.TYPE_ILP_FULFILL)
      throw new Error(`rejected: ${JSON.stringify(answer.data)}`);
    expect((answer.data as IlpPacket.IlpFulfill).fulfillment).toEqual(fulfillment);
    const after = await balances();
    expect({ alice: after.alice - before.alice, ref: after.ref - before.ref }).toEqual(expected);
  }

  it('forwards a packet from ilpd’s child through the reference connector', async () => {
    // alice pays: she owes us 7000 more; we owe the reference connector 7000 more.
    await payThrough(alice, 'test.ref.carol.invoice', '7000', { alice: 7000n, ref: -7000n });
  });

  it('forwards a packet from the reference connector’s child through ilpd', async () => {
    // alice is paid: we owe her 3000 more; the reference connector owes us 3000 more.
    await payThrough(carol, 'test.ilpd.alice.invoice', '3000', { alice: -3000n, ref: 3000n });
  });

  it('passes our rejects to the reference connector with our address as triggeredBy', async () => {
    await routesExchanged();
    const { ilp } = prepare('test.ilpd.nobody', '1');
    const reject = IlpPacket.deserializeIlpReject(await carol.sendData(ilp));
    expect(reject).toMatchObject({ code: 'F02', triggeredBy: 'test.ilpd' });
  });
});
