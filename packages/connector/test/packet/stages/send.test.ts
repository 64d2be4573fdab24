import { DaemonError } from '../../../src/errors';
import { sendWithDeadline } from '../../../src/packet/stages/send';
import { FakePeerLink, makeFulfill } from '../factories';

describe('send stage', () => {
  it('resolves with the next hop answer', async () => {
    const fulfill = makeFulfill(Buffer.alloc(32));
    const link = new FakePeerLink().connect('bob', async () => fulfill);
    await expect(sendWithDeadline(link, 'bob', Buffer.from([12]), 1000)).resolves.toBe(fulfill);
    expect(link.sent[0]).toMatchObject({ peerId: 'bob', timeoutMs: 1000 });
  });

  it('hands the deadline to the peer link and rejects R00 when it passes', async () => {
    const link = new FakePeerLink().connect('bob', () => new Promise<Buffer>(() => undefined));
    await expect(sendWithDeadline(link, 'bob', Buffer.from([12]), 20)).rejects.toMatchObject({
      code: 'ILPD_ERR_TIMED_OUT',
    });
    expect(link.sent[0].timeoutMs).toBe(20);
  });

  it('keeps the transport error code (T01 when the peer is gone)', async () => {
    const link = new FakePeerLink();
    await expect(sendWithDeadline(link, 'bob', Buffer.from([12]), 1000)).rejects.toMatchObject({
      code: 'ILPD_ERR_PEER_UNREACHABLE',
    });
  });

  it('relays a transport failure as soon as it happens', async () => {
    const link = new FakePeerLink().connect('bob', async () => {
      throw new DaemonError('ILPD_ERR_TIMED_OUT', 'transport timeout');
    });
    const started = Date.now();
    await expect(sendWithDeadline(link, 'bob', Buffer.from([12]), 60_000)).rejects.toMatchObject({
      code: 'ILPD_ERR_TIMED_OUT',
      message: 'transport timeout',
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
