import { decodePrepare } from '@ilpd/codec';
import {
  packBatch,
  PackedBatch,
  VERDICT_INVALID,
  VERDICT_VALID,
  VerdictReader,
} from '../../src/engine/batch';
import { makePrepare } from '../packet/factories';

describe('packed micro-batch', () => {
  it('carries every packet back to back, unchanged, including empty ones', () => {
    const packets = [
      makePrepare(),
      Buffer.alloc(0),
      Buffer.from([1, 2, 3]),
      makePrepare({ data: Buffer.alloc(300) }),
    ];
    const batch = new PackedBatch(packBatch(packets));
    expect(batch.count).toBe(4);
    packets.forEach((packet, i) => expect(batch.packet(i).equals(packet)).toBe(true));
  });

  it('packs an empty batch', () => {
    expect(new PackedBatch(packBatch([])).count).toBe(0);
  });

  it('reads packets without copying them out of the batch buffer', () => {
    const buffer = packBatch([makePrepare()]);
    expect(new PackedBatch(buffer).packet(0).buffer).toBe(buffer);
  });

  it('rebuilds, over the original bytes, the view decodePrepare gave in the worker', () => {
    const packets = [
      makePrepare({ amount: 18446744073709551615n, destination: 'test.a.b', data: Buffer.alloc(0) }),
      makePrepare({ amount: 7n, data: Buffer.alloc(32_767, 1) }),
    ];
    const worker = new PackedBatch(packBatch(packets));
    for (let i = 0; i < worker.count; i++) worker.markValid(i, decodePrepare(worker.packet(i)));

    const reader = new VerdictReader(worker.buffer, packets.length);
    packets.forEach((packet, i) => {
      const expected = decodePrepare(packet);
      const view = reader.view(i, packet);
      expect(reader.status(i)).toBe(VERDICT_VALID);
      expect(view.buffer).toBe(packet);
      expect(view.amount).toBe(expected.amount);
      expect(view.expiresAtMs).toBe(expected.expiresAtMs);
      expect(view.executionCondition.equals(expected.executionCondition)).toBe(true);
      expect(view.destination).toBe(expected.destination);
      expect(view.data.equals(expected.data)).toBe(true);
    });
  });

  it('leaves status 0 for packets the worker never reached', () => {
    const worker = new PackedBatch(packBatch([makePrepare(), makePrepare(), makePrepare()]));
    worker.markInvalid(1);
    const reader = new VerdictReader(worker.buffer, 3);
    expect([reader.status(0), reader.status(1), reader.status(2)]).toEqual([0, VERDICT_INVALID, 0]);
  });
});
