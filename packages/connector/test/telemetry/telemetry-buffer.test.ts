import { DaemonMetrics } from '../../src/telemetry/metrics';
import { TelemetryBuffer } from '../../src/telemetry/telemetry-buffer';

async function sample(
  metrics: DaemonMetrics,
  name: string,
): Promise<{ labels: Record<string, unknown>; value: number }[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

describe('TelemetryBuffer', () => {
  let metrics: DaemonMetrics;
  let buffer: TelemetryBuffer;

  beforeEach(() => {
    metrics = new DaemonMetrics();
    buffer = new TelemetryBuffer(metrics, { bufferSize: 4, flushIntervalMs: 20 });
  });

  afterEach(() => buffer.stop());

  it('touches no metric until it flushes', async () => {
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'fulfilled', seconds: 0.002 });
    expect(await sample(metrics, 'ilpd_packets_total')).toEqual([]);
    buffer.flush();
    expect(await sample(metrics, 'ilpd_packets_total')).toEqual([
      { labels: { type: 'forwarded', result: 'fulfilled', code: '' }, value: 1 },
    ]);
  });

  it('flushes by itself when the buffer is full', async () => {
    for (let i = 0; i < 4; i++)
      buffer.recordPacket({
        fromPeer: 'a',
        result: 'rejected',
        code: 'F02',
        rejectedLocally: true,
        seconds: 0.0001,
      });
    expect(await sample(metrics, 'ilpd_packets_total')).toEqual([
      { labels: { type: 'local', result: 'rejected', code: 'F02' }, value: 4 },
    ]);
    expect((await sample(metrics, 'ilpd_telemetry_flushes_total'))[0].value).toBe(1);
  });

  it('flushes on its timer', async () => {
    buffer.start();
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'rejected', code: 'T04', seconds: 0.01 });
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await sample(metrics, 'ilpd_packets_total')).toEqual([
      { labels: { type: 'forwarded', result: 'rejected', code: 'T04' }, value: 1 },
    ]);
  });

  it('aggregates by type, result and code and bounds odd codes to one label value', async () => {
    buffer.recordPacket({
      fromPeer: 'a',
      toPeer: 'b',
      result: 'rejected',
      code: 'R00',
      rejectedLocally: true,
      seconds: 0.5,
    });
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'rejected', code: 'ZZZ', seconds: 0.5 });
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'rejected', code: 'F0', seconds: 0.5 });
    buffer.flush();
    const values = await sample(metrics, 'ilpd_packets_total');
    expect(values).toEqual(
      expect.arrayContaining([
        { labels: { type: 'local', result: 'rejected', code: 'R00' }, value: 1 },
        { labels: { type: 'forwarded', result: 'rejected', code: 'other' }, value: 2 },
      ]),
    );
    expect(values).toHaveLength(2);
  });

  it('observes durations in seconds, by result', async () => {
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'fulfilled', seconds: 0.0003 });
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'fulfilled', seconds: 0.2 });
    buffer.flush();
    const text = await metrics.registry.metrics();
    expect(text).toContain('ilpd_packet_duration_seconds_bucket{le="0.0005",result="fulfilled"} 1');
    expect(text).toContain('ilpd_packet_duration_seconds_bucket{le="0.25",result="fulfilled"} 2');
    expect(text).toContain('ilpd_packet_duration_seconds_count{result="fulfilled"} 2');
  });

  it('records ledger batches as a LedgerObserver', async () => {
    buffer.onBatchFlushed(100, 0.003, true);
    buffer.onBatchFlushed(7, 0.001, false);
    buffer.flush();
    const text = await metrics.registry.metrics();
    expect(text).toContain('ilpd_ledger_batch_size_sum 107');
    expect(text).toContain('ilpd_ledger_flush_duration_seconds_count 2');
    expect(await sample(metrics, 'ilpd_ledger_flushes_total')).toEqual([
      { labels: { result: 'ok' }, value: 1 },
      { labels: { result: 'error' }, value: 1 },
    ]);
  });

  it('flushes what is buffered on stop', async () => {
    buffer.start();
    buffer.recordPacket({ fromPeer: 'a', toPeer: 'b', result: 'fulfilled', seconds: 0.001 });
    buffer.stop();
    expect(await sample(metrics, 'ilpd_packets_total')).toHaveLength(1);
  });
});
