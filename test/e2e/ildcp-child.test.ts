import { decodeFulfill, decodePrepare, decodeReject, encodeFulfill, encodePrepare } from '@ilpd/codec';
import { createHash } from 'node:crypto';
import BtpPlugin from 'ilp-plugin-btp';
import * as ILDCP from 'ilp-protocol-ildcp';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/** The reference stack as children: ilp-plugin-btp clients asking ilpd for their address over ILDCP. */
describe('ILDCP for children, with ilp-plugin-btp (e2e)', () => {
  let daemon: DaemonProcess;
  // One plugin per account: a second connection of the same peer replaces the first, as in ilp-plugin-btp.
  let alice: BtpPlugin;
  let bob: BtpPlugin;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: 'test.hub',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret', { assetScale: 6 })],
      config: { fx: { spread: 0 } },
    });
    alice = await connect('alice', 'alice-secret');
    bob = await connect('bob', 'bob-secret');
  });

  afterAll(async () => {
    await Promise.all([alice.disconnect(), bob.disconnect()]);
    await daemon.stop();
    await daemon.dispose();
  });

  async function connect(user: string, token: string): Promise<BtpPlugin> {
    const plugin = new BtpPlugin({ server: `btp+ws://${user}:${token}@127.0.0.1:${daemon.btpPort}` });
    await plugin.connect();
    return plugin;
  }

  it('tells each child its address, asset code and scale', async () => {
    await expect(ILDCP.fetch(alice.sendData.bind(alice))).resolves.toEqual({
      clientAddress: 'test.hub.alice',
      assetCode: 'USD',
      assetScale: 9,
    });
    await expect(ILDCP.fetch(bob.sendData.bind(bob))).resolves.toEqual({
      clientAddress: 'test.hub.bob',
      assetCode: 'USD',
      assetScale: 6,
    });
  });

  it('forwards a payment from one child to another and records it in the ledger', async () => {
    const fulfillment = Buffer.alloc(32, 9);
    let received: bigint | undefined;
    bob.registerDataHandler(async (data: Buffer) => {
      received = decodePrepare(data).amount;
      return encodeFulfill({ fulfillment, data: Buffer.alloc(0) });
    });
    const answer = await alice.sendData(
      encodePrepare({
        amount: 5_000_000n, // 0.005 USD at scale 9 → 5000 at scale 6
        expiresAt: new Date(Date.now() + 10_000),
        executionCondition: createHash('sha256').update(fulfillment).digest(),
        destination: 'test.hub.bob',
        data: Buffer.alloc(0),
      }),
    );
    if (answer[0] === 14) throw new Error(`rejected: ${JSON.stringify(decodeReject(answer))}`);
    expect(decodeFulfill(answer).fulfillment).toEqual(fulfillment);
    expect(received).toBe(5000n);
    const { body } = await daemon.getJson('/admin/balances');
    const balances = (body as { balances: { peerId: string; balance: string }[] }).balances;
    expect(balances).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peerId: 'alice', balance: '5000000' }),
        expect.objectContaining({ peerId: 'bob', balance: '-5000' }),
      ]),
    );
  });
});
