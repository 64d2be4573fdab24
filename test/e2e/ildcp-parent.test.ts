import { encodeIldcpResponse } from '@ilpd/codec';
import { listenBtpPeer, rejectPacket, type BtpPeerServer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, freePort } from '../helpers/daemon-process';

/** ilpd as a child: with no address in its config it asks its parent over ILDCP before it is ready. */
describe('address from a parent over ILDCP (e2e)', () => {
  let parent: BtpPeerServer;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    parent = await listenBtpPeer({
      token: 'parent-secret',
      port: await freePort(),
      onPrepare: (prepare) =>
        prepare.destination === 'peer.config'
          ? encodeIldcpResponse({ clientAddress: 'test.parent.ilpd', assetCode: 'USD', assetScale: 9 })
          : rejectPacket('F02', 'parent has no route'),
    });
    daemon = await DaemonProcess.start({
      address: null,
      waitForReady: false,
      peers: [
        {
          id: 'parent',
          relation: 'parent',
          btp: {
            role: 'client',
            url: parent.url,
            authToken: 'parent-secret',
            reconnectInitialMs: 50,
            reconnectMaxMs: 200,
          },
          assetCode: 'USD',
          assetScale: 9,
        },
        childPeer('alice', 'alice-secret'),
      ],
    });
  });

  afterAll(async () => {
    await daemon.stop();
    await daemon.dispose();
    await parent.close();
  });

  it('becomes ready with the address the parent assigned, and hands children sub-addresses', async () => {
    await daemon.waitForReady();
    const ready = await daemon.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('ilpd ready'));
    expect(ready.address).toBe('test.parent.ilpd');
    const { body } = await daemon.getJson('/admin/routes');
    const prefixes = (body as { routes: { prefix: string }[] }).routes.map((r) => r.prefix);
    expect(prefixes).toEqual(expect.arrayContaining(['test.parent.ilpd', 'test.parent.ilpd.alice']));
  });
});
