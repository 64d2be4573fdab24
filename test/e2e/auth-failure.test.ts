import { authFrame, connectBtpPeer, connectRawBtpPeer, rejectPacket } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';
import { decodeReject, encodePrepare } from '@ilpd/codec';
import { createHash } from 'node:crypto';

const condition = createHash('sha256').update(Buffer.alloc(32)).digest();

function prepareTo(destination: string): Buffer {
  return encodePrepare({
    amount: 10n,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: condition,
    destination,
    data: Buffer.alloc(0),
  });
}

describe('BTP authentication (e2e)', () => {
  let daemon: DaemonProcess;

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
    });
  });

  afterAll(async () => {
    await daemon.stop();
    await daemon.dispose();
  });

  it('closes a connection presenting a wrong token, and routes nothing it sent', async () => {
    let bobSawPrepare = false;
    const bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      {
        onPrepare: () => {
          bobSawPrepare = true;
          return rejectPacket('F99', 'unexpected');
        },
      },
    );
    const intruder = await connectRawBtpPeer(daemon.btpUrl);
    await expect(intruder.request(authFrame(1, 'alice', 'wrong'))).rejects.toMatchObject({
      code: 'F00',
      btpName: 'NotAcceptedError',
    });
    // Whatever it sends after the refused auth goes nowhere: the socket is closed.
    try {
      intruder.sendRaw(Buffer.alloc(8));
    } catch {
      // Already closed.
    }
    expect((await intruder.closed).code).toBe(1008);
    expect(bobSawPrepare).toBe(false);

    const metrics = (await daemon.getJson('/metrics')).body as string;
    expect(metrics).toContain('ilpd_btp_auth_failures_total{reason="bad_token"} 1');
    expect(metrics).not.toMatch(/^ilpd_packets_total\{/m);
    const peers = (await daemon.getJson('/admin/peers')).body as {
      peers: { id: string; connected: boolean }[];
    };
    expect(peers.peers.find((p) => p.id === 'alice')?.connected).toBe(false);
    await bob.close();
  });

  it('still serves a correctly authenticated peer afterwards', async () => {
    const bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      {
        onPrepare: () => rejectPacket('F99', 'bob says no', 'test.e2e.bob'),
      },
    );
    const alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    const reject = decodeReject(await alice.sendIlp(prepareTo('test.e2e.bob')));
    expect([reject.code, reject.message, reject.triggeredBy]).toEqual(['F99', 'bob says no', 'test.e2e.bob']);
    await alice.close();
    await bob.close();
  });
});
