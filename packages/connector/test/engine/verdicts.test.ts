import { encodeFulfill } from '@ilpd/codec';
import fc from 'fast-check';
import { makePrepare, makeReject, OUR_ADDRESS } from '../packet/factories';
import { describeAnswer, RecordingProcessor, startEngine, stopEngines } from './support/engine-harness';

afterEach(stopEngines);

/**
 * Sends every packet through a fresh engine in one turn; returns what each answer says, with the codes
 * of the error (and its cause) the pipeline's reject boundary was given for it.
 */
async function verdicts(workers: number, packets: readonly Buffer[]) {
  const processor = new RecordingProcessor();
  const engine = startEngine(processor, { workers, batchSize: 7, maxQueue: 100_000 });
  const answers = await Promise.all(packets.map((packet) => engine.handleIlp('alice', Buffer.from(packet))));
  return answers.map((answer) => ({ ...describeAnswer(answer), error: processor.errorOf(answer) }));
}

function withByte(packet: Buffer, index: number, value: number): Buffer {
  const copy = Buffer.from(packet);
  copy[index] = value;
  return copy;
}

const valid = [
  makePrepare(),
  makePrepare({ amount: 0n, destination: 'g.x', data: Buffer.alloc(0) }),
  makePrepare({ amount: 18446744073709551615n, destination: `${OUR_ADDRESS}.bob.${'a'.repeat(900)}` }),
  makePrepare({ data: Buffer.alloc(32_767, 7) }),
  makePrepare({ destination: 'peer.config' }),
];
const sample = makePrepare({ destination: 'test.ilpd.bob' });
const malformed = [
  Buffer.alloc(0),
  Buffer.from([12]),
  Buffer.from([99, 0]),
  encodeFulfill({ fulfillment: Buffer.alloc(32), data: Buffer.alloc(0) }),
  makeReject('F02', OUR_ADDRESS),
  Buffer.concat([sample, Buffer.from([0])]),
  withByte(sample, sample.indexOf(Buffer.from('test.ilpd.bob')) + 4, 0x20),
  withByte(sample, 2 + 8, 0x41),
  ...Array.from({ length: sample.length }, (_, cut) => sample.subarray(0, cut)),
];

describe('PacketEngine verdicts: inline and worker modes agree', () => {
  it('processes valid Prepares with identical views and rejects malformed ones with identical F01s', async () => {
    const corpus = [...valid, ...malformed];
    const inline = await verdicts(0, corpus);
    const pooled = await verdicts(2, corpus);

    expect(pooled).toEqual(inline);
    expect(inline.slice(0, valid.length).map((v) => v.kind)).toEqual(Array(valid.length).fill('processed'));
    expect(inline.slice(valid.length)).toEqual(
      Array(malformed.length).fill(
        expect.objectContaining({
          kind: 'rejected',
          code: 'F01',
          error: expect.objectContaining({ code: 'ILPD_ERR_INVALID_PACKET' }),
        }),
      ),
    );
    expect(inline.map((v) => v.kind === 'rejected' && v.error?.causeCode)).toContain('ILPD_CODEC_TRUNCATED');
  });

  it('agree on arbitrary damage to Prepares and on arbitrary bytes', async () => {
    const damaged = fc
      .tuple(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.nat())
      .map(([flips, cut]) => {
        const bytes = Buffer.from(sample);
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        return bytes.subarray(0, sample.length - (cut % 4));
      });
    const arbitrary = fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(damaged, arbitrary), { minLength: 1, maxLength: 40 }),
        async (packets) => {
          expect(await verdicts(2, packets)).toEqual(await verdicts(0, packets));
        },
      ),
      { numRuns: 25 },
    );
  });
});
