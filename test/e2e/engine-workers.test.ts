import { createHash } from 'node:crypto';
import { decodeFulfill, decodeReject, encodePrepare } from '@ilpd/codec';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * The packet engine with a worker pool, in a real ilpd process: every packet alice sends crosses the
 * pool (valid ones reach bob and come back fulfilled, malformed ones get F01), the queue depth gauge
 * is exported, and SIGTERM still exits cleanly with the pool's threads running.
 */
const fulfillment = Buffer.alloc(32, 7);
const condition = createHash('sha256').update(fulfillment).digest();

function prepare(amount: bigint): Buffer {
  return encodePrepare({
    amount,
    expiresAt: new Date(Date.now() + 20_000),
    executionCondition: condition,
    destination: 'test.engine.bob.receiver',
    data: Buffer.from('payload'),
  });
}

describe('packet engine with workers (e2e)', () => {
  let daemon: DaemonProcess;
  let alice: BtpPeer;
  let bob: BtpPeer;
  const received: bigint[] = [];

  beforeAll(async () => {
    daemon = await DaemonProcess.start({
      address: 'test.engine',
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 }, engine: { workers: 2, batchSize: 4 } },
    });
    alice = await connectBtpPeer(daemon.btpUrl, { username: 'alice', token: 'alice-secret' });
    bob = await connectBtpPeer(
      daemon.btpUrl,
      { username: 'bob', token: 'bob-secret' },
      {
        onPrepare: (view) => {
          received.push(view.amount);
          return fulfillPacket(fulfillment);
        },
      },
    );
  });

  afterAll(async () => {
    await alice?.close();
    await bob?.close();
    await daemon?.dispose();
  });

  it('forwards valid Prepares and rejects malformed packets with F01, in one burst', async () => {
    const valid = Array.from({ length: 30 }, (_, i) => prepare(BigInt(i + 1)));
    const malformed = [Buffer.from([12, 5, 1]), Buffer.from([99]), prepare(1n).subarray(0, 20)];
    const burst = [...valid.slice(0, 10), ...malformed, ...valid.slice(10)];

    const answers = await Promise.all(burst.map((ilp) => alice.sendIlp(ilp)));

    const fulfilled = answers.filter((a) => a[0] === 13).map((a) => decodeFulfill(a).fulfillment);
    const rejected = answers.filter((a) => a[0] === 14).map((a) => decodeReject(a));
    expect(fulfilled).toHaveLength(30);
    expect(fulfilled.every((f) => f.equals(fulfillment))).toBe(true);
    expect(rejected.map((r) => [r.code, r.triggeredBy])).toEqual(Array(3).fill(['F01', 'test.engine']));
    expect([...received].sort((a, b) => Number(a - b))).toEqual(valid.map((_, i) => BigInt(i + 1)));
  });

  it('exports the engine queue depth, back to zero once everything is answered', async () => {
    const metrics = await daemon.getJson('/metrics');
    expect(metrics.body).toMatch(/^ilpd_engine_queue_depth 0$/m);
  });

  it('exits 0 on SIGTERM with the worker pool released', async () => {
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
