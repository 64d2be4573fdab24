import { DaemonError, type DaemonErrorCode } from '../errors';
import type { LedgerObserver } from './types';

/**
 * Where a LedgerBatchWriter sends its batches. writeBatch must be all-or-nothing and idempotent: a batch
 * is replayed (same ops, same ids) after a failure, including a failure after which the backend did in
 * fact apply it, so an op already applied must count as done and never be applied twice.
 */
export interface BatchSink<Op> {
  writeBatch(ops: readonly Op[], attempt: number): void | Promise<void>;
  /** Called once for a batch that failed every attempt, before its waiters are rejected. */
  onBatchFailed?(ops: readonly Op[], error: DaemonError): void;
}

export interface BatchWriterOptions {
  /** The most ops one write carries; a full batch is written without waiting for flushIntervalMs. */
  readonly batchSize: number;
  /**
   * Minimum gather delay: a batch that is not full is written only once its oldest op has waited this
   * long (and no write is in flight). 0 = none: ops reaching an idle writer go out at the next turn of
   * the event loop, with whatever was pushed in the same turn, and ops that queued during a write go
   * out the moment it completes. Above 0 it caps the writes per second at low and moderate load.
   */
  readonly flushIntervalMs: number;
  /**
   * How long an op pushed with push() (nobody waits for it) may wait for a durable op to ride along
   * with before it is written on its own (default 0: it is written like any other). Such ops never
   * start a write by themselves sooner, so they add no write of their own while durable ops keep coming.
   */
  readonly lazyFlushMs?: number;
  /**
   * Writes in flight at once (default 1). Above 1, the sink must accept concurrent writes and the ops
   * of one write must not depend on those of another: callers push an op only after the op it depends
   * on has settled (a post after its reservation), never both at once.
   */
  readonly maxInFlight?: number;
  /** Attempts per batch before its ops are rejected (default 5). */
  readonly maxAttempts?: number;
  /** Delay before the first retry; doubles on each further retry (default 5 ms). */
  readonly retryDelayMs?: number;
  readonly observer?: LedgerObserver;
  /** Code of the error a batch's waiters get after the last failed attempt (by the last cause). */
  readonly failureCode?: (cause: unknown) => DaemonErrorCode;
}

type Resolve = () => void;
type Reject = (err: Error) => void;

/**
 * Group commit at the ledger boundary. Up to maxInFlight writes are in flight at a time (one by
 * default, so the sink sees ops in the order they were pushed). While every write slot is busy, ops
 * queue up; the moment a write completes, everything queued (up to batchSize) goes out as the next write. So at low
 * load an op waits about one write, and under load batches grow by themselves, with no timer on the
 * path (unless the optional gather delay flushIntervalMs asks for one). Ops beyond a full batch are
 * overdue by definition and go out right after it. pushDurable's promise settles when its op is
 * durable: a Fulfill is relayed upstream only after that, otherwise a crash could leave the peers'
 * balances out of step.
 */
export class LedgerBatchWriter<Op> {
  private ops: Op[] = [];
  private resolves: (Resolve | undefined)[] = [];
  private rejects: (Reject | undefined)[] = [];
  /** Per queued op: whether it makes the queue due now (pushDurable) or may wait (push, pushPatient). */
  private urgent: boolean[] = [];
  /** Ops in writes in flight. */
  private inFlight = 0;
  private writesInFlight = 0;
  /** Sequence number (push order) of the first op of each write in flight. */
  private readonly writeStarts = new Set<number>();
  private readonly maxInFlight: number;
  private batchSize: number;
  /** True while startWrite() runs: a sink that answers synchronously must not recurse into the next write. */
  private starting = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** performance.now() when the oldest queued op was pushed; -Infinity once the queue is overdue. */
  private oldestAt = 0;
  /** Queued ops someone waits for (pushDurable); with none, only lazyFlushMs makes the queue due. */
  private queuedDurable = 0;
  private readonly lazyFlushMs: number;
  /** performance.now() at which `timer` fires. */
  private timerDueAt = 0;
  /** Ops ever pushed; the sequence number of the next op. */
  private pushed = 0;
  private drainWaiters: { target: number; resolve: Resolve }[] = [];
  private stopped = false;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly sink: BatchSink<Op>,
    private readonly options: BatchWriterOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    this.batchSize = options.batchSize;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 5;
    this.lazyFlushMs = options.lazyFlushMs ?? 0;
    this.maxInFlight = options.maxInFlight ?? 1;
    if (!(this.maxInFlight >= 1)) throw new RangeError('maxInFlight must be at least 1');
  }

  /** Changes the most ops one write carries (e.g. once a backend has learned its request limit). */
  resize(batchSize: number): void {
    if (!(batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    this.batchSize = batchSize;
  }

  /** Ops pushed but not yet durable (queued or being written). */
  get backlog(): number {
    return this.ops.length + this.inFlight;
  }

  /** Queues an op whose durability nobody waits for (it still fails the batch if it cannot be written). */
  push(op: Op): void {
    this.assertOpen();
    this.enqueue(op, undefined, undefined, false);
  }

  /** Queues an op; resolves once it is durable, rejects with a DaemonError if its batch fails for good. */
  pushDurable(op: Op): Promise<void> {
    this.assertOpen();
    return new Promise<void>((resolve, reject) => this.enqueue(op, resolve, reject, true));
  }

  /**
   * Queues an op its caller waits for but which need not start a write of its own: it rides along with
   * the next durable op, or is written alone after lazyFlushMs. For writes whose latency matters less
   * than the packets' (settlement claims): they add no commit while packets keep the writer busy.
   */
  pushPatient(op: Op): Promise<void> {
    this.assertOpen();
    return new Promise<void>((resolve, reject) => this.enqueue(op, resolve, reject, false));
  }

  /** Resolves once everything pushed before the call is written (or has failed for good). */
  flush(): Promise<void> {
    const target = this.pushed;
    if (this.settledFrontier() >= target) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiters.push({ target, resolve });
      this.startWrite();
    });
  }

  /** Writes everything still queued, then refuses new ops. */
  async stop(): Promise<void> {
    await this.flush();
    this.stopped = true;
    this.clearTimers();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  /** Every op pushed before this sequence number has settled (written or failed for good). */
  private settledFrontier(): number {
    let frontier = this.pushed - this.ops.length;
    for (const start of this.writeStarts) if (start < frontier) frontier = start;
    return frontier;
  }

  private assertOpen(): void {
    if (this.stopped) throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'the ledger has been stopped');
  }

  private enqueue(op: Op, resolve: Resolve | undefined, reject: Reject | undefined, urgent: boolean): void {
    this.pushed++;
    if (this.ops.length === 0) this.oldestAt = performance.now();
    this.ops.push(op);
    this.resolves.push(resolve);
    this.rejects.push(reject);
    this.urgent.push(urgent);
    if (urgent) this.queuedDurable++;
    // A write in flight sends what queued meanwhile when it completes (finishWrite).
    if (this.writesInFlight < this.maxInFlight) this.schedule();
  }

  /** Milliseconds until the queued ops are due to be written (<= 0: now). */
  private dueInMs(): number {
    if (this.ops.length >= this.batchSize) return 0;
    const gather = this.queuedDurable > 0 ? this.options.flushIntervalMs : this.lazyFlushMs;
    return this.oldestAt + gather - performance.now();
  }

  /** Arranges the next write: at the next turn of the loop if due (gathering that turn's ops), else on a timer. */
  private schedule(): void {
    const wait = this.dueInMs();
    if (wait <= 0) {
      this.scheduleImmediate();
    } else if (this.timer === undefined || performance.now() + wait < this.timerDueAt) {
      // A durable op may make the queue due sooner than the lazy ops' timer said.
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timerDueAt = performance.now() + wait;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.startWrite();
      }, wait);
    }
  }

  private scheduleImmediate(): void {
    if (this.immediate !== undefined) return;
    this.immediate = setImmediate(() => {
      this.immediate = undefined;
      this.startWrite();
    });
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.timer = this.immediate = undefined;
  }

  private startWrite(): void {
    if (this.writesInFlight >= this.maxInFlight || this.ops.length === 0) return;
    this.clearTimers();
    const n = Math.min(this.ops.length, this.batchSize);
    const start = this.pushed - this.ops.length;
    const ops = this.ops.splice(0, n);
    const resolves = this.resolves.splice(0, n);
    const rejects = this.rejects.splice(0, n);
    const urgent = this.urgent.splice(0, n);
    for (let i = 0; i < n; i++) if (urgent[i]) this.queuedDurable--;
    if (this.ops.length > 0) this.oldestAt = -Infinity;
    this.writesInFlight++;
    this.inFlight += n;
    this.writeStarts.add(start);
    this.starting = true;
    try {
      this.attempt(ops, resolves, rejects, 0, start);
    } finally {
      this.starting = false;
    }
    // Overdue ops beyond this batch take the next free slot.
    if (this.ops.length > 0 && this.writesInFlight < this.maxInFlight) this.scheduleImmediate();
  }

  private attempt(
    ops: Op[],
    resolves: (Resolve | undefined)[],
    rejects: (Reject | undefined)[],
    attempt: number,
    start: number,
  ): void {
    const started = process.hrtime.bigint();
    let result: void | Promise<void>;
    try {
      result = this.sink.writeBatch(ops, attempt);
    } catch (err) {
      this.failed(ops, resolves, rejects, attempt, started, err, start);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => this.succeeded(ops, resolves, started, start),
        (err: unknown) => this.failed(ops, resolves, rejects, attempt, started, err, start),
      );
    } else {
      this.succeeded(ops, resolves, started, start);
    }
  }

  private succeeded(ops: Op[], resolves: (Resolve | undefined)[], started: bigint, start: number): void {
    this.options.observer?.onBatchFlushed(ops.length, seconds(started), true);
    for (let i = 0; i < resolves.length; i++) resolves[i]?.();
    this.finishWrite(ops.length, start);
  }

  private failed(
    ops: Op[],
    resolves: (Resolve | undefined)[],
    rejects: (Reject | undefined)[],
    attempt: number,
    started: bigint,
    cause: unknown,
    start: number,
  ): void {
    this.options.observer?.onBatchFlushed(ops.length, seconds(started), false);
    if (attempt + 1 < this.maxAttempts) {
      const timer = setTimeout(
        () => {
          this.retryTimers.delete(timer);
          this.attempt(ops, resolves, rejects, attempt + 1, start);
        },
        this.retryDelayMs * 2 ** attempt,
      );
      this.retryTimers.add(timer);
      return;
    }
    const code = this.options.failureCode?.(cause) ?? 'ILPD_ERR_LEDGER_WRITE_FAILED';
    const message = `ledger batch of ${ops.length} failed ${this.maxAttempts} times: ${describe(cause)}`;
    const error = new DaemonError(code, message, { cause });
    try {
      this.sink.onBatchFailed?.(ops, error);
    } finally {
      for (let i = 0; i < rejects.length; i++) rejects[i]?.(error);
      this.finishWrite(ops.length, start);
    }
  }

  private finishWrite(n: number, start: number): void {
    this.writesInFlight--;
    this.inFlight -= n;
    this.writeStarts.delete(start);
    // Waiters are in push order, so their targets only grow.
    const frontier = this.settledFrontier();
    let done = 0;
    while (done < this.drainWaiters.length && this.drainWaiters[done].target <= frontier) done++;
    const ready = this.drainWaiters.splice(0, done);
    for (const waiter of ready) waiter.resolve();
    if (this.ops.length === 0) return;
    // What queued during the write and is due goes out now, not a timer's tick later. (A sink that
    // answered synchronously gets it at the next turn instead, so a long backlog cannot recurse.)
    if (this.dueInMs() <= 0 && !this.starting) this.startWrite();
    else this.schedule();
  }
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
