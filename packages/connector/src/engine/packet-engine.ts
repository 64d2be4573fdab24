import { join } from 'node:path';
import type { PrepareView } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/types';
import { DaemonError } from '../errors';
import { decodeIncomingPrepare } from '../packet/stages/validate';
import { systemClock, type Clock, type IlpHandler, type PacketProcessor } from '../ports';
import { InFlightCounter } from './in-flight';
import { WorkerPoolDecoder } from './worker-pool-decoder';

export interface PacketEngineOptions {
  readonly processor: PacketProcessor;
  readonly engine: DaemonConfig['engine'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Piscina task file; default: the compiled worker.js next to this module. */
  readonly workerFile?: string;
}

/**
 * The one entry of the packet path: every ILP packet a peer sends goes through `handleIlp`, is decoded
 * and validated, then handed to the pipeline (`process`). With `engine.workers` = 0 decoding runs
 * inline, as each packet arrives (it costs less than any hand-off); with N > 0 it runs in a pool of N
 * workers on micro-batches (WorkerPoolDecoder). At most `engine.maxQueue` packets are admitted and
 * unanswered at any time (`inFlight`, the count shutdown drains); beyond that, Prepares are answered
 * T03 at once, undecoded, so a flood never grows a queue.
 */
export class PacketEngine implements IlpHandler {
  private readonly processor: PacketProcessor;
  private readonly clock: Clock;
  private readonly maxQueue: number;
  private readonly busy: DaemonError;
  private readonly notRunning: DaemonError;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private pool: WorkerPoolDecoder | undefined;
  /** Prepares admitted and not yet answered. */
  readonly inFlight = new InFlightCounter();
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: PacketEngineOptions) {
    this.processor = options.processor;
    this.clock = options.clock ?? systemClock;
    this.maxQueue = options.engine.maxQueue;
    // Shared, so shedding a flood allocates no error (nor stack trace) per packet.
    this.busy = new DaemonError('ILPD_ERR_BUSY', `more than ${this.maxQueue} packets queued`);
    this.notRunning = new DaemonError('ILPD_ERR_BUSY', 'the packet engine is not running');
  }

  /** Packets handed to the worker pool and not yet decoded (0 when decoding inline). */
  get queueDepth(): number {
    return this.pool?.queued ?? 0;
  }

  /** Micro-batches handed to the worker pool so far (0 when decoding inline). */
  get batchesDispatched(): number {
    return this.pool?.batchesDispatched ?? 0;
  }

  start(): void {
    if (this.phase !== 'new') throw new Error(`PacketEngine.start() called when ${this.phase}`);
    const { engine, logger } = this.options;
    if (engine.workers > 0) {
      this.pool = new WorkerPoolDecoder({
        processor: this.processor,
        workers: engine.workers,
        batchSize: engine.batchSize,
        workerFile: this.options.workerFile ?? join(__dirname, 'worker.js'),
        logger,
      });
    }
    this.phase = 'running';
  }

  async handleIlp(fromPeerId: string, ilp: Buffer): Promise<Buffer> {
    const receivedAt = this.clock.monotonic();
    if (this.phase !== 'running')
      return this.processor.rejectInvalid(fromPeerId, this.notRunning, receivedAt);
    const inFlight = this.inFlight;
    if (inFlight.value >= this.maxQueue)
      return this.processor.rejectInvalid(fromPeerId, this.busy, receivedAt);
    inFlight.begin();
    try {
      return await (this.pool === undefined
        ? this.decodeInline(fromPeerId, ilp, receivedAt)
        : this.pool.decode(fromPeerId, ilp, receivedAt));
    } finally {
      inFlight.end();
    }
  }

  /**
   * Stops admitting packets; with workers, sends the open micro-batch, waits until every batch in the
   * pool has its verdicts and destroys the pool. Packets already handed to the pipeline are its to answer.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  private async shutdown(): Promise<void> {
    this.phase = 'stopping';
    await this.pool?.stop();
    this.phase = 'stopped';
  }

  private decodeInline(fromPeerId: string, ilp: Buffer, receivedAt: number): Buffer | Promise<Buffer> {
    let prepare: PrepareView;
    try {
      prepare = decodeIncomingPrepare(ilp);
    } catch (err) {
      return this.processor.rejectInvalid(fromPeerId, err, receivedAt);
    }
    return this.processor.process(fromPeerId, prepare, receivedAt);
  }
}
