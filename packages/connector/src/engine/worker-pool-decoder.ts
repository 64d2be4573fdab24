import { existsSync } from 'node:fs';
import { Piscina } from 'piscina';
import type { Logger } from 'pino';
import { DaemonError, ERROR_CODES, isDaemonErrorCode } from '../errors';
import {
  packBatch,
  VERDICT_INVALID,
  VERDICT_VALID,
  VerdictReader,
  type BatchVerdicts,
  type PacketFault,
} from './batch';
import { MicroBatch } from './micro-batch';
import type { PacketProcessor } from '../ports';

export interface WorkerPoolDecoderOptions {
  readonly processor: PacketProcessor;
  readonly workers: number;
  readonly batchSize: number;
  /** The piscina task file (the compiled worker.js). */
  readonly workerFile: string;
  readonly logger: Logger;
}

/**
 * Decode/validate in a piscina pool: packets are collected into a micro-batch, which goes to the pool
 * when it holds `batchSize` packets or at the end of the event-loop turn (`setImmediate`, so packets
 * that several sockets deliver in one turn share a batch). Each packet is then handed to the processor
 * in arrival order. A worker that dies takes only its own batch with it: those packets get T00 and
 * piscina starts a replacement.
 */
export class WorkerPoolDecoder {
  private readonly pool: Piscina<ArrayBuffer, BatchVerdicts>;
  private open: MicroBatch | undefined;
  private flushTimer: NodeJS.Immediate | undefined;
  private batchesInPool = 0;
  private packetsInPool = 0;
  private batchCount = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: WorkerPoolDecoderOptions) {
    if (!existsSync(options.workerFile)) {
      throw new Error(
        `packet engine worker not found at ${options.workerFile}: build the connector (tsc -b)`,
      );
    }
    this.pool = new Piscina<ArrayBuffer, BatchVerdicts>({
      filename: options.workerFile,
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 1,
      recordTiming: false,
    });
    // A worker that dies while idle: piscina replaces it; there is no batch to answer.
    this.pool.on('error', (err: unknown) => options.logger.error({ err }, 'packet engine worker failed'));
  }

  /** Packets collected or handed to the pool and not yet decoded. */
  get queued(): number {
    return this.packetsInPool + (this.open?.size ?? 0);
  }

  /** Micro-batches handed to the pool so far. */
  get batchesDispatched(): number {
    return this.batchCount;
  }

  decode(fromPeerId: string, ilp: Buffer, receivedAt: number): Promise<Buffer> {
    return new Promise((answer) => {
      const batch = (this.open ??= new MicroBatch());
      batch.add(fromPeerId, ilp, receivedAt, answer);
      if (batch.size >= this.options.batchSize) this.dispatch();
      else this.flushTimer ??= setImmediate(this.flushAtEndOfTurn);
    });
  }

  /** Sends the open batch, waits until every batch in the pool has its verdicts, destroys the pool. */
  async stop(): Promise<void> {
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.dispatch();
    if (this.batchesInPool > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.pool.destroy();
  }

  private readonly flushAtEndOfTurn = (): void => {
    this.flushTimer = undefined;
    this.dispatch();
  };

  private dispatch(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.open = undefined;
    const buffer = packBatch(batch.packets);
    this.batchesInPool++;
    this.packetsInPool += batch.size;
    this.batchCount++;
    this.pool
      .run(buffer, { transferList: [buffer] })
      .then(
        (verdicts) => this.settle(batch, verdicts),
        (err: unknown) => {
          this.options.logger.error(
            { err, packets: batch.size },
            'packet engine worker failed; its batch gets T00',
          );
          this.failBatch(batch, new DaemonError('ILPD_ERR_INTERNAL', 'the packet engine worker failed'));
        },
      )
      .catch((err: unknown) => this.failBatch(batch, err))
      .finally(() => {
        this.packetsInPool -= batch.size;
        if (--this.batchesInPool === 0 && this.idleWaiters.length > 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const waiter of waiters) waiter();
        }
      });
  }

  private settle(batch: MicroBatch, verdicts: BatchVerdicts): void {
    const { processor } = this.options;
    const reader = new VerdictReader(verdicts.buffer, batch.size);
    let nextFault = 0;
    for (let i = batch.answered; i < batch.size; i++) {
      const status = reader.status(i);
      const from = batch.from[i];
      if (status === VERDICT_VALID) {
        batch.answerNext(processor.process(from, reader.view(i, batch.packets[i]), batch.receivedAt[i]));
        continue;
      }
      const fault = status === VERDICT_INVALID ? verdicts.faults[nextFault++] : undefined;
      const err = fault !== undefined && fault.index === i ? this.errorOf(fault) : missingVerdict(i);
      batch.answerNext(processor.rejectInvalid(from, err, batch.receivedAt[i]));
    }
  }

  /** Errors lose their class crossing the worker boundary; rebuild them so the Reject is the inline one. */
  private errorOf({ code, message, causeCode }: PacketFault): DaemonError {
    if (isDaemonErrorCode(code)) {
      return new DaemonError(
        code,
        message,
        causeCode === undefined ? undefined : { cause: { code: causeCode } },
      );
    }
    this.options.logger.error({ workerError: message }, 'packet engine worker threw an unexpected error');
    return new DaemonError('ILPD_ERR_INTERNAL', ERROR_CODES.ILPD_ERR_INTERNAL.description);
  }

  /** Rejects every packet of the batch not answered yet. */
  private failBatch(batch: MicroBatch, err: unknown): void {
    for (let i = batch.answered; i < batch.size; i++) {
      batch.answerNext(this.options.processor.rejectInvalid(batch.from[i], err, batch.receivedAt[i]));
    }
  }
}

function missingVerdict(index: number): DaemonError {
  return new DaemonError(
    'ILPD_ERR_INTERNAL',
    `the packet engine worker returned no verdict for packet ${index}`,
  );
}
