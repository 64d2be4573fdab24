import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import { PacketEngine } from '../../src/engine/packet-engine';
import { makePrepare, silentLogger } from '../packet/factories';
import {
  createEngine,
  describeAnswer,
  RecordingProcessor,
  startEngine,
  stopEngines,
} from './support/engine-harness';

afterEach(async () => {
  jest.restoreAllMocks();
  await stopEngines();
});

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function sendAll(engine: PacketEngine, count: number, from = 'alice'): Array<Promise<Buffer>> {
  return Array.from({ length: count }, (_, i) => engine.handleIlp(from, makePrepare({ amount: BigInt(i) })));
}

describe('PacketEngine micro-batching (workers)', () => {
  it('hands a batch to the pool as soon as it holds batchSize packets', async () => {
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 1, batchSize: 3 });

    const first = sendAll(engine, 3);
    expect(engine.batchesDispatched).toBe(1);
    const rest = sendAll(engine, 2);
    expect(engine.batchesDispatched).toBe(1);

    await Promise.all([...first, ...rest]);
    expect(engine.batchesDispatched).toBe(2);
    expect(processor.processed.map((p) => p.amount)).toEqual(['0', '1', '2', '0', '1']);
  });

  it('flushes a partial batch at the end of the event-loop turn', async () => {
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 1, batchSize: 100 });

    const answers = sendAll(engine, 2);
    expect(engine.batchesDispatched).toBe(0);
    expect(engine.queueDepth).toBe(2);
    await nextTurn();
    expect(engine.batchesDispatched).toBe(1);

    const described = (await Promise.all(answers)).map(describeAnswer);
    expect(described.map((a) => a.kind)).toEqual(['processed', 'processed']);
    expect(engine.queueDepth).toBe(0);
  });
});

describe('PacketEngine inline mode (workers = 0)', () => {
  it('decodes on arrival and hands the packet to the pipeline in the same turn, without batching', () => {
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 0, batchSize: 100 });
    void engine.handleIlp('alice', makePrepare({ amount: 9n }));
    expect(processor.processed).toEqual([expect.objectContaining({ from: 'alice', amount: '9' })]);
    expect(engine.batchesDispatched).toBe(0);
  });
});

describe.each([
  ['inline', 0],
  ['worker', 1],
])('PacketEngine maxQueue (%s)', (_mode: string, workers: number) => {
  it('answers Prepares beyond maxQueue with T03 at once and never queues more', async () => {
    const processor = new RecordingProcessor();
    processor.hold();
    const engine = startEngine(processor, { workers, batchSize: 2, maxQueue: 4 });

    const admitted = sendAll(engine, 4);
    const shed = sendAll(engine, 3);
    expect(engine.inFlight.value).toBe(4);
    const settled: string[] = [];
    admitted.forEach((p) => void p.then(() => settled.push('admitted')));

    const shedAnswers = (await Promise.all(shed)).map(describeAnswer);
    expect(shedAnswers).toEqual(Array(3).fill(expect.objectContaining({ kind: 'rejected', code: 'T03' })));
    expect(settled).toEqual([]);
    await waitFor(() => processor.processed.length === 4);
    expect(engine.inFlight.value).toBe(4);

    let idle = false;
    void engine.inFlight.whenIdle().then(() => (idle = true));
    await nextTurn();
    expect(idle).toBe(false);
    processor.release();
    await Promise.all(admitted);
    expect(engine.inFlight.value).toBe(0);
    await nextTurn();
    expect(idle).toBe(true);
    const later = describeAnswer(await engine.handleIlp('alice', makePrepare()));
    expect(later.kind).toBe('processed');
  });
});

describe('PacketEngine lifecycle', () => {
  it('stop() sends the open batch, waits for its verdicts, then destroys the pool', async () => {
    const pools = new Set<Piscina>();
    const run = Piscina.prototype.run;
    jest.spyOn(Piscina.prototype, 'run').mockImplementation(function (
      this: Piscina,
      task: unknown,
      options?: Parameters<Piscina['run']>[1],
    ) {
      pools.add(this);
      return run.call(this, task, options);
    });
    const destroy = jest.spyOn(Piscina.prototype, 'destroy');
    const processor = new RecordingProcessor();
    const engine = startEngine(processor, { workers: 2, batchSize: 100 });

    const answers = sendAll(engine, 3);
    await engine.stop();

    expect((await Promise.all(answers)).map(describeAnswer).map((a) => a.kind)).toEqual(
      Array(3).fill('processed'),
    );
    expect(destroy).toHaveBeenCalledTimes(1);
    expect([...pools].map((pool) => pool.threads.length)).toEqual([0]);
  });

  it('answers T03 before start() and after stop()', async () => {
    const engine = createEngine(new RecordingProcessor(), { workers: 1, batchSize: 10, maxQueue: 10 });
    expect(describeAnswer(await engine.handleIlp('alice', makePrepare()))).toMatchObject({ code: 'T03' });
    engine.start();
    expect(describeAnswer(await engine.handleIlp('alice', makePrepare()))).toMatchObject({
      kind: 'processed',
    });
    await engine.stop();
    expect(describeAnswer(await engine.handleIlp('alice', makePrepare()))).toMatchObject({
      code: 'T03',
      message: 'the packet engine is not running',
    });
    expect(engine.inFlight.value).toBe(0);
  });

  it('stop() of an engine that never started resolves at once', async () => {
    const engine = new PacketEngine({
      processor: new RecordingProcessor(),
      engine: { workers: 2, batchSize: 10, maxQueue: 10 },
      logger: silentLogger,
    });
    await expect(engine.stop()).resolves.toBeUndefined();
  });

  it('start() names the worker file when it is missing', () => {
    const workerFile = '/nonexistent/ilpd/worker.js';
    expect(existsSync(workerFile)).toBe(false);
    const engine = createEngine(
      new RecordingProcessor(),
      { workers: 1, batchSize: 10, maxQueue: 10 },
      workerFile,
    );
    expect(() => engine.start()).toThrow(/worker not found at \/nonexistent\/ilpd\/worker\.js/);
  });
});
