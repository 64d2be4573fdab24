import { makePrepare } from '../packet/factories';
import {
  CRASH_DRILL_WORKER_FILE,
  CRASH_MARKER,
  describeAnswer,
  RecordingProcessor,
  startEngine,
  stopEngines,
} from './support/engine-harness';

afterEach(stopEngines);

const crashing = Buffer.from([CRASH_MARKER, 0]);

function kinds(answers: Buffer[]): string[] {
  return answers.map(describeAnswer).map((a) => (a.kind === 'processed' ? 'ok' : a.code));
}

describe('PacketEngine when a worker dies', () => {
  it('rejects only the batch the worker held with T00, then carries on with a replacement worker', async () => {
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 1, batchSize: 2 }, CRASH_DRILL_WORKER_FILE);
    const good = makePrepare();

    // Three batches in one turn: the pool's single worker takes the first, the others wait in the pool.
    const answers = await Promise.all(
      [good, good, good, crashing, good, good].map((p) => engine.handleIlp('alice', p)),
    );
    expect(kinds(answers)).toEqual(['ok', 'ok', 'T00', 'T00', 'ok', 'ok']);
    expect(describeAnswer(answers[2])).toMatchObject({ message: 'the packet engine worker failed' });

    const after = await Promise.all([good, good, good].map((p) => engine.handleIlp('alice', p)));
    expect(kinds(after)).toEqual(['ok', 'ok', 'ok']);
    expect(processor.processed).toHaveLength(7);
    expect(engine.inFlight.value).toBe(0);
  });

  it('loses nothing from the batches other workers hold at the same time', async () => {
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 2, batchSize: 3 }, CRASH_DRILL_WORKER_FILE);
    const good = makePrepare();
    const packets = [good, good, good, good, crashing, good, good, good, good, good, good, good];

    const answers = await Promise.all(packets.map((p) => engine.handleIlp('alice', p)));
    expect(kinds(answers)).toEqual([
      'ok',
      'ok',
      'ok',
      'T00',
      'T00',
      'T00',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
      'ok',
    ]);

    for (let round = 0; round < 3; round++) {
      const again = await Promise.all(
        packets.map((p) => engine.handleIlp('alice', p === crashing ? good : p)),
      );
      expect(kinds(again)).toEqual(Array(packets.length).fill('ok'));
    }
  });
});
