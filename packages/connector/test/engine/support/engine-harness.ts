import { join } from 'node:path';
import { decodeReject, type PrepareView } from '@ilpd/codec';
import type { DaemonConfig } from '../../../src/config/types';
import { PacketEngine } from '../../../src/engine/packet-engine';
import type { PacketProcessor } from '../../../src/ports';
import { rejectFromError } from '../../../src/packet/reject';
import { OUR_ADDRESS, silentLogger } from '../../packet/factories';

/** Worker entry that runs the engine's TypeScript worker under jest. */
export const WORKER_FILE = join(__dirname, 'ts-worker.cjs');
/** Same worker, but a batch holding a packet that starts with CRASH_MARKER kills the worker thread. */
export const CRASH_DRILL_WORKER_FILE = join(__dirname, 'crash-drill-worker.cjs');
export const CRASH_MARKER = 0xee;

export interface Processed {
  readonly kind: 'processed';
  readonly from: string;
  readonly amount: string;
  readonly expiresAtMs: number;
  readonly condition: string;
  readonly destination: string;
  readonly data: string;
}

export interface Rejected {
  readonly kind: 'rejected';
  readonly code: string;
  readonly message: string;
}

/**
 * Stands in for the pipeline: answers a valid Prepare with a description of every field of its view,
 * and an invalid one with the Reject the pipeline's reject boundary would build. `hold()` keeps valid
 * packets unanswered until `release()`.
 */
export class RecordingProcessor implements PacketProcessor {
  readonly processed: Processed[] = [];
  readonly rejected: Rejected[] = [];
  /** The code of the error each Reject was built from, and of its cause, by Reject. */
  private readonly errors = new Map<Buffer, { code: unknown; causeCode: unknown }>();
  private held: Array<() => void> | undefined;

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const resume of held) resume();
  }

  async process(from: string, view: PrepareView): Promise<Buffer> {
    const processed: Processed = {
      kind: 'processed',
      from,
      amount: view.amount.toString(),
      expiresAtMs: view.expiresAtMs,
      condition: view.executionCondition.toString('hex'),
      destination: view.destination,
      data: view.data.toString('hex'),
    };
    this.processed.push(processed);
    if (this.held !== undefined) await new Promise<void>((resume) => this.held?.push(resume));
    return Buffer.from(JSON.stringify(processed));
  }

  /** The codes of the error (and its cause) that `reject`, an answer of ours, was built from. */
  errorOf(reject: Buffer): { code: unknown; causeCode: unknown } | undefined {
    return this.errors.get(reject);
  }

  /** The bytes of the last Reject built by rejectInvalid. */
  lastRejectBytes: Buffer | undefined;

  rejectInvalid(_from: string, err: unknown): Buffer {
    const error = err as { code?: unknown; cause?: { code?: unknown } } | null;
    const reject = rejectFromError(err, OUR_ADDRESS);
    this.lastRejectBytes = reject;
    this.errors.set(reject, { code: error?.code, causeCode: error?.cause?.code });
    this.rejected.push(describeAnswer(reject) as Rejected);
    return reject;
  }
}

/** Turns an engine answer back into what the processor saw. */
export function describeAnswer(answer: Buffer): Processed | Rejected {
  if (answer[0] === 14) {
    const reject = decodeReject(answer);
    return { kind: 'rejected', code: reject.code, message: reject.message };
  }
  return JSON.parse(answer.toString()) as Processed;
}

/** Engines started by a test; `stopEngines()` in afterEach releases them. */
const running: PacketEngine[] = [];

/** An engine (not started) that `stopEngines()` stops after the test. */
export function createEngine(
  processor: PacketProcessor,
  engine: Partial<DaemonConfig['engine']> = {},
  workerFile: string = WORKER_FILE,
): PacketEngine {
  const instance = new PacketEngine({
    processor,
    engine: { workers: 0, batchSize: 100, maxQueue: 10_000, maxInFlightBytes: 1 << 30, ...engine },
    logger: silentLogger,
    workerFile,
  });
  running.push(instance);
  return instance;
}

export function startEngine(
  processor: PacketProcessor,
  engine: Partial<DaemonConfig['engine']> = {},
  workerFile: string = WORKER_FILE,
): PacketEngine {
  const instance = createEngine(processor, engine, workerFile);
  instance.start();
  return instance;
}

export async function stopEngines(): Promise<void> {
  await Promise.all(running.splice(0).map((engine) => engine.stop()));
}
