import { LedgerBatchWriter, type BatchSink } from '../../src/ledger/batch-writer';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A sink that records every write and answers as told. */
class RecordingSink implements BatchSink<number> {
  readonly writes: { ops: number[]; attempt: number }[] = [];
  readonly failedBatches: number[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  answer: (ops: readonly number[], attempt: number) => void | Promise<void> = () => undefined;

  writeBatch(ops: readonly number[], attempt: number): void | Promise<void> {
    this.writes.push({ ops: [...ops], attempt });
    const result = this.answer(ops, attempt);
    if (!(result instanceof Promise)) return result;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return result.finally(() => this.inFlight--);
  }

  onBatchFailed(ops: readonly number[]): void {
    this.failedBatches.push([...ops]);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('LedgerBatchWriter', () => {
  const writers: LedgerBatchWriter<number>[] = [];
  function writer(
    sink: RecordingSink,
    options: Partial<ConstructorParameters<typeof LedgerBatchWriter>[1]> = {},
  ) {
    const w = new LedgerBatchWriter<number>(sink, { batchSize: 3, flushIntervalMs: 10_000, ...options });
    writers.push(w);
    return w;
  }

  afterEach(async () => {
    for (const w of writers.splice(0)) await w.stop();
  });

  test('keeps up to maxInFlight writes in flight, and flush() waits for earlier writes even when a later one finishes first', async () => {
    const sink = new RecordingSink();
    const answers: Deferred[] = [];
    sink.answer = () => {
      const d = deferred();
      answers.push(d);
      return d.promise;
    };
    const w = writer(sink, { batchSize: 2, flushIntervalMs: 0, maxInFlight: 2 });
    const first = [w.pushDurable(1), w.pushDurable(2)];
    await sleep(5);
    const second = [w.pushDurable(3), w.pushDurable(4)];
    await sleep(5);
    const third = w.pushDurable(5);
    await sleep(5);
    // Two writes in flight; the fifth op waits for a free slot.
    expect(sink.writes.map((x) => x.ops)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    let flushed = false;
    const flush = w.flush().then(() => (flushed = true));
    answers[1].resolve();
    await Promise.all(second);
    await sleep(5);
    expect(sink.writes.map((x) => x.ops)).toEqual([[1, 2], [3, 4], [5]]);
    expect(flushed).toBe(false);
    answers[0].resolve();
    answers[2].resolve();
    await Promise.all([...first, third, flush]);
    expect(sink.maxInFlight).toBe(2);
  });

  test('resize() changes the ops per write from the next write on', async () => {
    const sink = new RecordingSink();
    const w = writer(sink, { batchSize: 10, flushIntervalMs: 0 });
    w.resize(2);
    await Promise.all([1, 2, 3, 4, 5].map((n) => w.pushDurable(n)));
    expect(sink.writes.map((x) => x.ops)).toEqual([[1, 2], [3, 4], [5]]);
    expect(() => w.resize(0)).toThrow(RangeError);
  });

  test('flushes as soon as batchSize ops are queued, without waiting for the interval', async () => {
    const sink = new RecordingSink();
    const w = writer(sink);
    const done = Promise.all([w.pushDurable(1), w.pushDurable(2), w.pushDurable(3)]);
    await done;
    expect(sink.writes).toEqual([{ ops: [1, 2, 3], attempt: 0 }]);
  });

  test('flushes a partial batch once its oldest op has waited flushIntervalMs', async () => {
    const sink = new RecordingSink();
    const w = writer(sink, { flushIntervalMs: 30 });
    const started = Date.now();
    await w.pushDurable(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(sink.writes).toEqual([{ ops: [1], attempt: 0 }]);
  });

  test('with no gather delay, writes what was pushed in one turn as one batch at the next turn', async () => {
    const sink = new RecordingSink();
    const w = writer(sink, { flushIntervalMs: 0, batchSize: 100 });
    const pushed = [w.pushDurable(1), w.pushDurable(2)];
    expect(sink.writes).toEqual([]);
    await new Promise<void>((r) => setImmediate(r));
    expect(sink.writes).toEqual([{ ops: [1, 2], attempt: 0 }]);
    await Promise.all(pushed);
  });

  test('with no gather delay, sends what queued during a write as the next batch the moment it completes', async () => {
    const sink = new RecordingSink();
    const gate = deferred();
    sink.answer = (ops) => (ops[0] === 1 ? gate.promise : undefined);
    const w = writer(sink, { flushIntervalMs: 0, batchSize: 100 });
    const first = w.pushDurable(1);
    // The first write must be in flight before the others are pushed (a fixed sleep is not enough on
    // a loaded machine: the write starts at a later turn of the loop).
    while (sink.writes.length === 0) await sleep(1);
    const queued = [w.pushDurable(2), w.pushDurable(3), w.pushDurable(4)];
    await sleep(5);
    expect(sink.writes).toEqual([{ ops: [1], attempt: 0 }]);
    gate.resolve();
    await first;
    // Already sent when the first write's waiters run: no timer or later turn in between.
    expect(sink.writes).toEqual([
      { ops: [1], attempt: 0 },
      { ops: [2, 3, 4], attempt: 0 },
    ]);
    await Promise.all(queued);
  });

  test('a gather delay holds every partial batch until its oldest op has waited that long', async () => {
    const sink = new RecordingSink();
    const gate = deferred();
    const writtenAt: number[] = [];
    sink.answer = (ops) => {
      writtenAt.push(performance.now());
      return ops[0] === 1 ? gate.promise : undefined;
    };
    const w = writer(sink, { flushIntervalMs: 60, batchSize: 100 });
    const first = w.pushDurable(1);
    await sleep(80);
    const pushedAt = performance.now();
    const second = w.pushDurable(2);
    gate.resolve();
    await first;
    expect(sink.writes).toHaveLength(1);
    await second;
    expect(sink.writes.map((x) => x.ops)).toEqual([[1], [2]]);
    expect(writtenAt[1] - pushedAt).toBeGreaterThanOrEqual(55);
  });

  test('ops that waited out the gather delay during a slow write go out as soon as it completes', async () => {
    const sink = new RecordingSink();
    const gate = deferred();
    sink.answer = (ops) => (ops[0] === 1 ? gate.promise : undefined);
    const w = writer(sink, { flushIntervalMs: 10, batchSize: 100 });
    const first = w.pushDurable(1);
    await sleep(20);
    const queued = w.pushDurable(2);
    await sleep(30);
    gate.resolve();
    await first;
    expect(sink.writes.map((x) => x.ops)).toEqual([[1], [2]]);
    await queued;
  });

  test('a backlog beyond batchSize goes out in full batches, back to back', async () => {
    const sink = new RecordingSink();
    const gate = deferred();
    sink.answer = (ops) => (ops[0] === 0 ? gate.promise : sleep(1));
    const w = writer(sink, { flushIntervalMs: 600_000, batchSize: 3 });
    const all = Array.from({ length: 8 }, (_, i) => w.pushDurable(i));
    await sleep(10);
    expect(sink.writes.map((x) => x.ops)).toEqual([[0, 1, 2]]);
    gate.resolve();
    await Promise.all(all);
    expect(sink.writes.map((x) => x.ops)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    expect(sink.maxInFlight).toBe(1);
  });

  test('a sink that answers synchronously drains a large backlog without deep recursion', async () => {
    const sink = new RecordingSink();
    const w = writer(sink, { flushIntervalMs: 600_000, batchSize: 1 });
    const all = Array.from({ length: 5_000 }, (_, i) => w.pushDurable(i));
    await w.flush();
    await Promise.all(all);
    expect(sink.writes).toHaveLength(5_000);
  });

  test('settles a durable op only once its batch write has finished', async () => {
    const sink = new RecordingSink();
    const gate = deferred();
    sink.answer = () => gate.promise;
    const w = writer(sink, { flushIntervalMs: 1 });
    let durable = false;
    const p = w.pushDurable(7).then(() => (durable = true));
    await sleep(20);
    expect(sink.writes).toHaveLength(1);
    expect(durable).toBe(false);
    expect(w.backlog).toBe(1);
    gate.resolve();
    await p;
    expect(durable).toBe(true);
    expect(w.backlog).toBe(0);
  });

  test('keeps push order, caps batches at batchSize and has one write in flight at a time', async () => {
    const sink = new RecordingSink();
    sink.answer = () => sleep(5);
    const w = writer(sink, { flushIntervalMs: 1 });
    await Promise.all(Array.from({ length: 10 }, (_, i) => w.pushDurable(i)));
    expect(sink.writes.flatMap((x) => x.ops)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const write of sink.writes) expect(write.ops.length).toBeLessThanOrEqual(3);
    expect(sink.maxInFlight).toBe(1);
  });

  test('retries a failed batch with the same ops and resolves once a retry succeeds', async () => {
    const sink = new RecordingSink();
    sink.answer = (_ops, attempt) => {
      if (attempt < 2) throw new Error('disk hiccup');
    };
    const observed: [number, boolean][] = [];
    const w = writer(sink, {
      retryDelayMs: 1,
      observer: { onBatchFlushed: (size, seconds, ok) => observed.push([size, ok && seconds >= 0]) },
    });
    await Promise.all([w.pushDurable(1), w.pushDurable(2), w.pushDurable(3)]);
    expect(sink.writes).toEqual([
      { ops: [1, 2, 3], attempt: 0 },
      { ops: [1, 2, 3], attempt: 1 },
      { ops: [1, 2, 3], attempt: 2 },
    ]);
    expect(observed).toEqual([
      [3, false],
      [3, false],
      [3, true],
    ]);
    expect(sink.failedBatches).toEqual([]);
  });

  test('after the last attempt rejects the batch with a clear code and goes on with the next batch', async () => {
    const sink = new RecordingSink();
    sink.answer = (ops) => {
      if (ops.includes(1)) throw new Error('disk full');
    };
    const w = writer(sink, { retryDelayMs: 1, maxAttempts: 3, batchSize: 1, flushIntervalMs: 1 });
    const first = w.pushDurable(1);
    const second = w.pushDurable(2);
    await expect(first).rejects.toMatchObject({
      code: 'ILPD_ERR_LEDGER_WRITE_FAILED',
      message: expect.stringContaining('disk full'),
    });
    await expect(second).resolves.toBeUndefined();
    expect(sink.writes.filter((x) => x.ops[0] === 1)).toHaveLength(3);
    expect(sink.failedBatches).toEqual([[1]]);
  });

  test('names the failure with failureCode when given', async () => {
    const sink = new RecordingSink();
    sink.answer = () => Promise.reject(new Error('no answer'));
    const w = writer(sink, {
      retryDelayMs: 1,
      maxAttempts: 2,
      flushIntervalMs: 1,
      failureCode: () => 'ILPD_ERR_LEDGER_UNAVAILABLE',
    });
    await expect(w.pushDurable(1)).rejects.toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
  });

  test('flush() waits for what was pushed before it, not for later pushes', async () => {
    const sink = new RecordingSink();
    sink.answer = () => sleep(2);
    const w = writer(sink, { batchSize: 2, flushIntervalMs: 10_000 });
    w.push(1);
    const flushed = w.flush();
    let stop = false;
    const pusher = (async () => {
      for (let i = 100; !stop; i++) {
        w.push(i);
        await sleep(1);
      }
    })();
    await flushed;
    stop = true;
    await pusher;
    expect(sink.writes[0].ops[0]).toBe(1);
  });

  test('stop() writes what is queued, then refuses new ops', async () => {
    const sink = new RecordingSink();
    const w = writer(sink);
    w.push(1);
    const durable = w.pushDurable(2);
    await w.stop();
    await durable;
    expect(sink.writes).toEqual([{ ops: [1, 2], attempt: 0 }]);
    expect(() => w.push(3)).toThrow(expect.objectContaining({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' }));
  });
  describe('ops nobody waits for (lazyFlushMs)', () => {
    test('wait for a durable op and go out in the same write', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 100, flushIntervalMs: 0, lazyFlushMs: 10_000 });
      w.push(1);
      w.push(2);
      await sleep(20);
      expect(sink.writes).toEqual([]);
      await w.pushDurable(3);
      expect(sink.writes).toEqual([{ ops: [1, 2, 3], attempt: 0 }]);
    });

    test('go out on their own once they have waited lazyFlushMs', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 100, flushIntervalMs: 0, lazyFlushMs: 30 });
      w.push(1);
      await sleep(5);
      expect(sink.writes).toEqual([]);
      await w.flush();
      expect(sink.writes).toEqual([{ ops: [1], attempt: 0 }]);
      w.push(2);
      await sleep(80);
      expect(sink.writes).toEqual([
        { ops: [1], attempt: 0 },
        { ops: [2], attempt: 0 },
      ]);
    });

    test('do not hold back a durable op behind their longer timer', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 100, flushIntervalMs: 20, lazyFlushMs: 10_000 });
      w.push(1);
      const started = performance.now();
      await w.pushDurable(2);
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(sink.writes).toEqual([{ ops: [1, 2], attempt: 0 }]);
    });

    test('are overdue behind a full batch', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 2, flushIntervalMs: 0, lazyFlushMs: 10_000 });
      w.push(1);
      w.push(2);
      w.push(3);
      await sleep(20);
      expect(sink.writes.map((x) => x.ops)).toEqual([[1, 2], [3]]);
    });
  });

  describe('ops their caller waits for but that may wait (pushPatient)', () => {
    test('ride along with the next durable op, and resolve when it is written', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 100, flushIntervalMs: 0, lazyFlushMs: 10_000 });
      let written = false;
      const patient = w.pushPatient(1).then(() => (written = true));
      await sleep(20);
      expect(sink.writes).toEqual([]);
      expect(written).toBe(false);
      await w.pushDurable(2);
      await patient;
      expect(sink.writes).toEqual([{ ops: [1, 2], attempt: 0 }]);
    });

    test('go out on their own after lazyFlushMs when no durable op comes', async () => {
      const sink = new RecordingSink();
      const w = writer(sink, { batchSize: 100, flushIntervalMs: 0, lazyFlushMs: 30 });
      await w.pushPatient(1);
      expect(sink.writes).toEqual([{ ops: [1], attempt: 0 }]);
    });
  });
});
