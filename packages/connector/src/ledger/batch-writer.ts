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
  /** Flush once this many ops are queued; also the most ops one write carries. */
  readonly batchSize: number;
  /** ... or once the oldest queued op has waited this long. */
  readonly flushIntervalMs: number;
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
 * Group commit at the ledger boundary. Ops queue up until batchSize or flushIntervalMs, then go to the
 * sink as one write; one write is in flight at a time so the sink sees ops in the order they were pushed
 * (a post never overtakes its pending). pushDurable's promise settles when its op is durable: a Fulfill is
 * relayed upstream only after that, otherwise a crash could leave the peers' balances out of step.
 */
export class LedgerBatchWriter<Op> {
  private ops: Op[] = [];
  private resolves: (Resolve | undefined)[] = [];
  private rejects: (Reject | undefined)[] = [];
  private inFlight = 0;
  private writing = false;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Ops ever pushed / ever settled (written or failed for good); flush() waits on these counts. */
  private pushed = 0;
  private settled = 0;
  private drainWaiters: { target: number; resolve: Resolve }[] = [];
  private stopped = false;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly sink: BatchSink<Op>,
    private readonly options: BatchWriterOptions,
  ) {
    if (!(options.batchSize >= 1)) throw new RangeError('batchSize must be at least 1');
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 5;
  }

  /** Ops pushed but not yet durable (queued or being written). */
  get backlog(): number {
    return this.ops.length + this.inFlight;
  }

  /** Queues an op whose durability nobody waits for (it still fails the batch if it cannot be written). */
  push(op: Op): void {
    this.assertOpen();
    this.pushed++;
    this.ops.push(op);
    this.resolves.push(undefined);
    this.rejects.push(undefined);
    this.schedule();
  }

  /** Queues an op; resolves once it is durable, rejects with a DaemonError if its batch fails for good. */
  pushDurable(op: Op): Promise<void> {
    this.assertOpen();
    this.pushed++;
    return new Promise<void>((resolve, reject) => {
      this.ops.push(op);
      this.resolves.push(resolve);
      this.rejects.push(reject);
      this.schedule();
    });
  }

  /** Resolves once everything pushed before the call is written (or has failed for good). */
  flush(): Promise<void> {
    const target = this.pushed;
    if (this.settled >= target) return Promise.resolve();
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
  }

  private assertOpen(): void {
    if (this.stopped) throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'the ledger has been stopped');
  }

  private schedule(): void {
    if (this.writing) return;
    if (this.ops.length >= this.options.batchSize) {
      if (this.immediate === undefined) {
        this.immediate = setImmediate(() => {
          this.immediate = undefined;
          this.startWrite();
        });
      }
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.startWrite();
      }, this.options.flushIntervalMs);
    }
  }

  private clearTimers(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.timer = this.immediate = this.retryTimer = undefined;
  }

  private startWrite(): void {
    if (this.writing || this.ops.length === 0) return;
    this.clearTimers();
    const n = Math.min(this.ops.length, this.options.batchSize);
    const ops = this.ops.splice(0, n);
    const resolves = this.resolves.splice(0, n);
    const rejects = this.rejects.splice(0, n);
    this.writing = true;
    this.inFlight = n;
    this.attempt(ops, resolves, rejects, 0);
  }

  private attempt(
    ops: Op[],
    resolves: (Resolve | undefined)[],
    rejects: (Reject | undefined)[],
    attempt: number,
  ): void {
    const started = process.hrtime.bigint();
    let result: void | Promise<void>;
    try {
      result = this.sink.writeBatch(ops, attempt);
    } catch (err) {
      this.failed(ops, resolves, rejects, attempt, started, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        () => this.succeeded(ops, resolves, started),
        (err: unknown) => this.failed(ops, resolves, rejects, attempt, started, err),
      );
    } else {
      this.succeeded(ops, resolves, started);
    }
  }

  private succeeded(ops: Op[], resolves: (Resolve | undefined)[], started: bigint): void {
    this.options.observer?.onBatchFlushed(ops.length, seconds(started), true);
    for (let i = 0; i < resolves.length; i++) resolves[i]?.();
    this.finishWrite();
  }

  private failed(
    ops: Op[],
    resolves: (Resolve | undefined)[],
    rejects: (Reject | undefined)[],
    attempt: number,
    started: bigint,
    cause: unknown,
  ): void {
    this.options.observer?.onBatchFlushed(ops.length, seconds(started), false);
    if (attempt + 1 < this.maxAttempts) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = undefined;
          this.attempt(ops, resolves, rejects, attempt + 1);
        },
        this.retryDelayMs * 2 ** attempt,
      );
      return;
    }
    const code = this.options.failureCode?.(cause) ?? 'ILPD_ERR_LEDGER_WRITE_FAILED';
    const message = `ledger batch of ${ops.length} failed ${this.maxAttempts} times: ${describe(cause)}`;
    const error = new DaemonError(code, message, { cause });
    try {
      this.sink.onBatchFailed?.(ops, error);
    } finally {
      for (let i = 0; i < rejects.length; i++) rejects[i]?.(error);
      this.finishWrite();
    }
  }

  private finishWrite(): void {
    this.settled += this.inFlight;
    this.writing = false;
    this.inFlight = 0;
    // Waiters are in push order, so their targets only grow.
    let done = 0;
    while (done < this.drainWaiters.length && this.drainWaiters[done].target <= this.settled) done++;
    const ready = this.drainWaiters.splice(0, done);
    for (const waiter of ready) waiter.resolve();
    if (this.ops.length === 0) return;
    // Whoever waits for a flush wants the rest written now, not after another interval.
    if (this.drainWaiters.length > 0) this.startWrite();
    else this.schedule();
  }
}

function seconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
