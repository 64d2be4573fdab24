import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PrepareView } from '@ilpd/codec';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/types';
import { DaemonError, ERROR_CODES, isDaemonErrorCode } from '../errors';
import { systemClock, type Clock } from '../packet/clock';
import { decodeIncomingPrepare } from '../packet/stages/validate';
import type { IlpHandler } from '../packet/types';
import { packBatch, VERDICT_INVALID, VERDICT_VALID, VerdictReader, type BatchVerdicts } from './batch';
import { MicroBatch } from './micro-batch';

/** What the engine hands decoded packets to: the packet pipeline. */
export interface PacketProcessor {
  processPrepare(fromPeerId: string, prepare: PrepareView, receivedAt: number): Promise<Buffer>;
  rejectInvalid(fromPeerId: string, err: unknown, receivedAt: number): Buffer;
}

export interface PacketEngineOptions {
  readonly processor: PacketProcessor;
  readonly engine: DaemonConfig['engine'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Piscina task file; default: the compiled worker.js next to this module. */
  readonly workerFile?: string;
}

/**
 * The ingress of the packet path: every ILP packet a peer sends goes through `handleIlp`, is decoded
 * and validated, then handed to the pipeline. With `engine.workers` = 0 decoding runs inline (it costs
 * less than any hand-off); with N > 0 packets are collected into micro-batches (flushed at
 * `engine.batchSize` packets or at the end of the event-loop turn) packed into one transferred buffer
 * and decoded by a pool of N workers. At most `engine.maxQueue` packets are admitted and unanswered at
 * any time; beyond that, Prepares are answered T03 at once, so a flood never grows a queue.
 */
export class PacketEngine implements IlpHandler {
  private readonly processor: PacketProcessor;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly workers: number;
  private readonly batchSize: number;
  private readonly maxQueue: number;
  private readonly workerFile: string;
  private readonly busy: DaemonError;
  private readonly notRunning: DaemonError;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private pool: Piscina<ArrayBuffer, BatchVerdicts> | undefined;
  private depth = 0;
  private open: MicroBatch | undefined;
  private flushTimer: NodeJS.Immediate | undefined;
  private batchesInPool = 0;
  private batchCount = 0;
  private poolIdleWaiters: Array<() => void> = [];
  private stopPromise: Promise<void> | undefined;

  constructor(options: PacketEngineOptions) {
    this.processor = options.processor;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.workers = options.engine.workers;
    this.batchSize = options.engine.batchSize;
    this.maxQueue = options.engine.maxQueue;
    this.workerFile = options.workerFile ?? join(__dirname, 'worker.js');
    // Shared, so shedding a flood allocates no error (nor stack trace) per packet.
    this.busy = new DaemonError('ILPD_ERR_BUSY', `more than ${this.maxQueue} packets queued`);
    this.notRunning = new DaemonError('ILPD_ERR_BUSY', 'the packet engine is not running');
  }

  /** Packets admitted and not yet answered. */
  get queueDepth(): number {
    return this.depth;
  }

  /** Micro-batches handed to the worker pool so far. */
  get batchesDispatched(): number {
    return this.batchCount;
  }

  start(): void {
    if (this.phase !== 'new') throw new Error(`PacketEngine.start() called when ${this.phase}`);
    if (this.workers > 0) {
      if (!existsSync(this.workerFile)) {
        throw new Error(`packet engine worker not found at ${this.workerFile}: build the connector (tsc -b)`);
      }
      const pool = new Piscina<ArrayBuffer, BatchVerdicts>({
        filename: this.workerFile,
        minThreads: this.workers,
        maxThreads: this.workers,
        concurrentTasksPerWorker: 1,
        recordTiming: false,
      });
      // A worker that dies while idle: piscina replaces it; there is no batch to answer.
      pool.on('error', (err: unknown) => this.logger.error({ err }, 'packet engine worker failed'));
      this.pool = pool;
    }
    this.phase = 'running';
  }

  async handleIlp(fromPeerId: string, ilp: Buffer): Promise<Buffer> {
    const receivedAt = this.clock.monotonic();
    if (this.phase !== 'running')
      return this.processor.rejectInvalid(fromPeerId, this.notRunning, receivedAt);
    if (this.depth >= this.maxQueue) return this.processor.rejectInvalid(fromPeerId, this.busy, receivedAt);
    this.depth++;
    try {
      return await (this.pool === undefined
        ? this.decodeInline(fromPeerId, ilp, receivedAt)
        : this.enqueue(fromPeerId, ilp, receivedAt));
    } finally {
      this.depth--;
    }
  }

  /**
   * Stops admitting packets, sends the open micro-batch, waits until every batch in the pool has its
   * verdicts, then destroys the pool. Packets already handed to the pipeline are its to answer.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopping';
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.dispatch();
    if (this.batchesInPool > 0) await new Promise<void>((resolve) => this.poolIdleWaiters.push(resolve));
    const pool = this.pool;
    this.pool = undefined;
    if (pool !== undefined) await pool.destroy();
    this.phase = 'stopped';
  }

  private decodeInline(fromPeerId: string, ilp: Buffer, receivedAt: number): Buffer | Promise<Buffer> {
    let prepare: PrepareView;
    try {
      prepare = decodeIncomingPrepare(ilp);
    } catch (err) {
      return this.processor.rejectInvalid(fromPeerId, err, receivedAt);
    }
    return this.processor.processPrepare(fromPeerId, prepare, receivedAt);
  }

  private enqueue(fromPeerId: string, ilp: Buffer, receivedAt: number): Promise<Buffer> {
    return new Promise((resolve) => {
      const batch = (this.open ??= new MicroBatch());
      batch.add(fromPeerId, ilp, receivedAt, resolve);
      if (batch.size >= this.batchSize) this.dispatch();
      else this.flushTimer ??= setImmediate(this.flushAtEndOfTurn);
    });
  }

  private readonly flushAtEndOfTurn = (): void => {
    this.flushTimer = undefined;
    this.dispatch();
  };

  private dispatch(): void {
    const batch = this.open;
    const pool = this.pool;
    if (batch === undefined || pool === undefined) return;
    this.open = undefined;
    const buffer = packBatch(batch.packets);
    this.batchesInPool++;
    this.batchCount++;
    pool
      .run(buffer, { transferList: [buffer] })
      .then(
        (verdicts) => this.settle(batch, verdicts),
        (err: unknown) => {
          this.logger.error({ err, packets: batch.size }, 'packet engine worker failed; its batch gets T00');
          this.failBatch(batch, new DaemonError('ILPD_ERR_INTERNAL', 'the packet engine worker failed'));
        },
      )
      .catch((err: unknown) => this.failBatch(batch, err))
      .finally(() => {
        if (--this.batchesInPool === 0 && this.poolIdleWaiters.length > 0) {
          const waiters = this.poolIdleWaiters;
          this.poolIdleWaiters = [];
          for (const waiter of waiters) waiter();
        }
      });
  }

  private settle(batch: MicroBatch, verdicts: BatchVerdicts): void {
    const reader = new VerdictReader(verdicts.buffer, batch.size);
    let nextFault = 0;
    for (let i = batch.answered; i < batch.size; i++) {
      const status = reader.status(i);
      const from = batch.from[i];
      if (status === VERDICT_VALID) {
        batch.answerNext(
          this.processor.processPrepare(from, reader.view(i, batch.packets[i]), batch.receivedAt[i]),
        );
        continue;
      }
      const fault = status === VERDICT_INVALID ? verdicts.faults[nextFault++] : undefined;
      const err =
        fault !== undefined && fault.index === i
          ? this.errorOf(fault.code, fault.message)
          : missingVerdict(i);
      batch.answerNext(this.processor.rejectInvalid(from, err, batch.receivedAt[i]));
    }
  }

  /** Errors lose their class crossing the worker boundary; rebuild them so the Reject is the inline one. */
  private errorOf(code: string | undefined, message: string): DaemonError {
    if (isDaemonErrorCode(code)) return new DaemonError(code, message);
    this.logger.error({ workerError: message }, 'packet engine worker threw an unexpected error');
    return new DaemonError('ILPD_ERR_INTERNAL', ERROR_CODES.ILPD_ERR_INTERNAL.description);
  }

  /** Rejects every packet of the batch not answered yet. */
  private failBatch(batch: MicroBatch, err: unknown): void {
    for (let i = batch.answered; i < batch.size; i++) {
      batch.answerNext(this.processor.rejectInvalid(batch.from[i], err, batch.receivedAt[i]));
    }
  }
}

function missingVerdict(index: number): DaemonError {
  return new DaemonError(
    'ILPD_ERR_INTERNAL',
    `the packet engine worker returned no verdict for packet ${index}`,
  );
}
