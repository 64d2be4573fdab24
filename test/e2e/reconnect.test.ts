import { listenBtpPeer, type BtpPeerServer } from '../helpers/btp-peer';
import { DaemonProcess, freePort } from '../helpers/daemon-process';

describe('BTP client reconnect (e2e)', () => {
  let daemon: DaemonProcess;
  let upstream: BtpPeerServer;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    upstream = await listenBtpPeer({ token: 'up-secret', port });
    daemon = await DaemonProcess.start({
      peers: [
        {
          id: 'up',
          relation: 'peer',
          btp: {
            role: 'client',
            url: `btp+ws://me@127.0.0.1:${port}`,
            authToken: 'up-secret',
            reconnectInitialMs: 50,
            reconnectMaxMs: 400,
          },
          assetCode: 'USD',
          assetScale: 9,
        },
      ],
    });
  });

  afterAll(async () => {
    await daemon.stop();
    await daemon.dispose();
    await upstream.close();
  });

  async function upConnected(): Promise<boolean> {
    const { body } = await daemon.getJson('/admin/peers');
    return (body as { peers: { id: string; connected: boolean }[] }).peers[0].connected;
  }

  it('connects to its client-role peer at startup', async () => {
    await upstream.nextPeer();
    expect(await upConnected()).toBe(true);
  });

  it('reconnects with backoff after the peer goes away and comes back on the same port', async () => {
    await upstream.close();
    await waitUntil(async () => !(await upConnected()));
    // Down for a while: the daemon keeps retrying (capped at reconnectMaxMs) without giving up.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    upstream = await listenBtpPeer({ token: 'up-secret', port });
    await upstream.nextPeer(5000);
    await waitUntil(upConnected);
    const metrics = (await daemon.getJson('/metrics')).body as string;
    expect(metrics).toContain('ilpd_peer_connected{peer="up"} 1');
    const attempts = daemon.logs().filter((l) => l.msg === 'BTP client reconnecting');
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.every((l) => (l.delayMs as number) < 400)).toBe(true);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
