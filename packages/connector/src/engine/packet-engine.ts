import { join } from 'node:path';
import { MAX_PREPARE_BYTES, type PrepareView } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { DaemonConfig } from '../config/types';
import { DaemonError } from '../errors';
import { decodeIncomingPrepare } from '../packet/stages/validate';
import { systemClock, type Clock, type IlpHandler, type PacketProcessor } from '../ports';
import { ADMITTED, InFlight, NO_PEER_BUDGET, PEER_BUDGET_EXHAUSTED } from './in-flight';
import { WorkerPoolDecoder } from './worker-pool-decoder';

export interface PacketEngineOptions {
  readonly processor: PacketProcessor;
  readonly engine: DaemonConfig['engine'];
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Piscina task file; default: the compiled worker.js next to this module. */
  readonly workerFile?: string;
  /**
   * The in-flight pool and per-peer budgets admission counts against (the composition root builds it
   * from the config); by default a pool of engine.maxQueue / engine.maxInFlightBytes with no per-peer
   * budget beyond it.
   */
  readonly inFlight?: InFlight;
}

/**
 * A packet whose bytes share their memory with more than this beyond themselves (a slice of a socket
 * read, a frame with other protocol data) is copied before it is held: otherwise one held Prepare of
 * 200 bytes could keep a 64 KiB read buffer alive, and the in-flight byte budgets would not bound memory.
 */
const RETAINED_SLACK_BYTES = 8192;

/**
 * The one entry of the packet path: every ILP packet a peer sends goes through `handleIlp`, is decoded
 * and validated, then handed to the pipeline (`process`). With `engine.workers` = 0 decoding runs
 * inline, as each packet arrives (it costs less than any hand-off); with N > 0 it runs in a pool of N
 * workers on micro-batches (WorkerPoolDecoder). Admission is the first thing that happens: a
 * Prepare longer than any valid one is F01, and one beyond its sender's budget (T05) or the shared
 * pool (T03) is answered at once, undecoded, so a flood never grows a queue (see InFlight). Admitted
 * packets stay counted until answered (`inFlight`, the count shutdown drains).
 */
export class PacketEngine implements IlpHandler {
  private readonly processor: PacketProcessor;
  private readonly clock: Clock;
  private readonly busy: DaemonError;
  private readonly overBudget: DaemonError;
  private readonly tooLarge: DaemonError;
  private readonly notRunning: DaemonError;
  private phase: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private pool: WorkerPoolDecoder | undefined;
  /** Prepares admitted and not yet answered, per peer and in all. */
  readonly inFlight: InFlight;
  private stopPromise: Promise<void> | undefined;

  constructor(private readonly options: PacketEngineOptions) {
    this.processor = options.processor;
    this.clock = options.clock ?? systemClock;
    const { maxQueue, maxInFlightBytes } = options.engine;
    const pool = { maxPackets: maxQueue, maxBytes: maxInFlightBytes };
    this.inFlight = options.inFlight ?? new InFlight(pool, NO_PEER_BUDGET);
    // Shared, so shedding a flood allocates no error (nor stack trace) per packet.
    this.busy = new DaemonError('ILPD_ERR_BUSY', 'the in-flight pool is full');
    this.overBudget = new DaemonError(
      'ILPD_ERR_PEER_BUDGET',
      'too many Prepares (or bytes) of this peer in flight; retry after answers arrive',
    );
    this.tooLarge = new DaemonError(
      'ILPD_ERR_INVALID_PACKET',
      `ILP Prepare longer than ${MAX_PREPARE_BYTES} bytes (RFC 27: data is at most 32767 bytes)`,
    );
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
    const size = ilp.length;
    if (size > MAX_PREPARE_BYTES) return this.processor.rejectInvalid(fromPeerId, this.tooLarge, receivedAt);
    const inFlight = this.inFlight;
    const verdict = inFlight.admit(fromPeerId, size);
    if (verdict !== ADMITTED) {
      const reason = verdict === PEER_BUDGET_EXHAUSTED ? this.overBudget : this.busy;
      return this.processor.rejectInvalid(fromPeerId, reason, receivedAt);
    }
    const owned = ilp.buffer.byteLength > size + RETAINED_SLACK_BYTES ? Buffer.from(ilp) : ilp;
    try {
      return await (this.pool === undefined
        ? this.decodeInline(fromPeerId, owned, receivedAt)
        : this.pool.decode(fromPeerId, owned, receivedAt));
    } finally {
      inFlight.release(fromPeerId, size);
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
