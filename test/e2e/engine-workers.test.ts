import { createHash } from 'node:crypto';
import { decodeFulfill, decodeReject, encodePrepare } from '@ilpd/codec';
import { connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * The packet engine with a worker pool, in a real ilpd process: every packet alice sends crosses the
 * pool in micro-batches (the batch counter proves it: inline decoding never counts one), valid ones
 * reach bob and come back fulfilled, malformed ones get F01, the pool's queue is empty once everything
 * is answered, and SIGTERM still exits cleanly with the pool's threads running.
 */
const fulfillment = Buffer.alloc(32, 7);
const condition = createHash('sha256').update(fulfillment).digest();

/** The value of an unlabelled metric in a Prometheus text exposition. */
function metricValue(exposition: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(exposition);
  if (match === null) throw new Error(`${name} not in /metrics`);
  return Number(match[1]);
}

async function scrape(daemon: DaemonProcess): Promise<string> {
  return (await daemon.getJson('/metrics')).body as string;
}

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

  it('forwards valid Prepares and rejects malformed packets with F01, in one burst, through the pool', async () => {
    const batchesBefore = metricValue(await scrape(daemon), 'ilpd_engine_batches_total');
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
    // 33 packets in batches of at most 4 (batchSize): at least 9 hand-offs to the pool.
    const batches = metricValue(await scrape(daemon), 'ilpd_engine_batches_total') - batchesBefore;
    expect(batches).toBeGreaterThanOrEqual(Math.ceil(burst.length / 4));
    expect(batches).toBeLessThanOrEqual(burst.length);
  });

  it('reports an empty pool queue once everything is answered, and the admission limit', async () => {
    const metrics = await scrape(daemon);
    expect(metricValue(metrics, 'ilpd_engine_queue_depth')).toBe(0);
    expect(metricValue(metrics, 'ilpd_packets_in_flight')).toBe(0);
    expect(metricValue(metrics, 'ilpd_engine_max_queue')).toBe(2000);
  });

  it('exits 0 on SIGTERM with the worker pool released', async () => {
    expect(await daemon.stop()).toEqual({ code: 0, signal: null });
  });
});
