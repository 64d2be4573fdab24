import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import { MAX_PREPARE_BYTES } from '@ilpd/codec';
import { InFlight, type PeerBudget } from '../../src/engine/in-flight';
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

describe('PacketEngine admission per peer', () => {
  function engineWithBudgets(alice: Partial<PeerBudget>): {
    engine: PacketEngine;
    processor: RecordingProcessor;
  } {
    const processor = new RecordingProcessor();
    const inFlight = new InFlight({ maxPackets: 100, maxBytes: 1 << 20 }, { ...UNLIMITED });
    inFlight.setPeer('alice', { ...UNLIMITED, ...alice });
    inFlight.setPeer('carol', UNLIMITED);
    const engine = new PacketEngine({
      processor,
      engine: { workers: 0, batchSize: 100, maxQueue: 100, maxInFlightBytes: 1 << 20 },
      logger: silentLogger,
      inFlight,
    });
    engine.start();
    running.push(engine);
    return { engine, processor };
  }
  const running: PacketEngine[] = [];
  const UNLIMITED = { inFlightPackets: 100, inFlightBytes: 1 << 20, heldPackets: 100, heldBytes: 1 << 20 };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((engine) => engine.stop()));
  });

  it('answers a peer beyond its own budget with T05, undecoded, while another peer is admitted', async () => {
    const { engine, processor } = engineWithBudgets({ inFlightPackets: 2 });
    processor.hold();
    const held = sendAll(engine, 2, 'alice');
    const refused = describeAnswer(await engine.handleIlp('alice', makePrepare()));
    expect(refused).toMatchObject({ kind: 'rejected', code: 'T05' });
    expect(processor.errorOf(processor.lastRejectBytes as Buffer)).toMatchObject({
      code: 'ILPD_ERR_PEER_BUDGET',
    });
    const carol = engine.handleIlp('carol', makePrepare());
    expect(processor.processed.map((p) => p.from)).toEqual(['alice', 'alice', 'carol']);
    processor.release();
    await Promise.all([...held, carol]);
    expect(engine.inFlight.value).toBe(0);
  });

  it('answers a packet longer than any valid Prepare with F01 before admitting it', async () => {
    const { engine, processor } = engineWithBudgets({});
    const oversized = Buffer.concat([makePrepare(), Buffer.alloc(MAX_PREPARE_BYTES)]);
    const answer = describeAnswer(await engine.handleIlp('alice', oversized));
    expect(answer).toMatchObject({ kind: 'rejected', code: 'F01' });
    expect([...engine.inFlight.perPeer()].find((p) => p.peerId === 'alice')).toMatchObject({
      refusedByPeerBudget: 0,
      refusedByPool: 0,
      packets: 0,
    });
    expect(processor.processed).toEqual([]);
  });

  it('answers data above 32,767 bytes with F01 and holds nothing', async () => {
    const { engine } = engineWithBudgets({});
    const packet = makePrepare({ destination: 'test.a', data: Buffer.alloc(32_767) });
    const bigger = Buffer.from(packet);
    // The same Prepare with one more byte of data: both length prefixes grow by one.
    const grown = Buffer.concat([bigger, Buffer.from([0])]);
    grown.writeUInt16BE(grown.readUInt16BE(2) + 1, 2);
    grown.writeUInt16BE(32_768, grown.length - 32_768 - 2);
    expect(describeAnswer(await engine.handleIlp('alice', packet))).toMatchObject({ kind: 'processed' });
    expect(describeAnswer(await engine.handleIlp('alice', grown))).toMatchObject({
      kind: 'rejected',
      code: 'F01',
    });
    expect(engine.inFlight.value).toBe(0);
  });

  it('holds its own copy of a packet that arrived as a slice of a larger buffer', async () => {
    const { engine, processor } = engineWithBudgets({});
    let seen: Buffer | undefined;
    processor.process = async (from, view) => {
      seen = view.buffer;
      return Buffer.from(from);
    };
    const packet = makePrepare();
    const read = Buffer.concat([packet, Buffer.alloc(64 * 1024)]);
    await engine.handleIlp('alice', read.subarray(0, packet.length));
    expect(seen?.equals(packet)).toBe(true);
    expect(seen?.buffer).not.toBe(read.buffer);
    const small = Buffer.from(packet);
    await engine.handleIlp('alice', small);
    expect(seen).toBe(small);
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
      engine: { workers: 2, batchSize: 10, maxQueue: 10, maxInFlightBytes: 1 << 20 },
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
