import { Worker } from 'node:worker_threads';
import { threadEntry } from '@ilpd/codec';
import { BtpSessionError } from '../btp/btp-session';
import { ReceiverReadings, type LoadReceiverOptions, type ReceivingPeer } from './load-receiver';
import { ReceiverCounters } from './receiver-counters';
import type {
  ReceiverThreadCommand,
  ReceiverThreadData,
  ReceiverThreadEvent,
} from './receiver-thread-protocol';

/** Longer than BtpSession.close() may take (it terminates a socket that does not close within 2 s). */
const STOP_TIMEOUT_MS = 5000;
/** WebSocket close code for a connection that ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;

export interface LoadReceiverThreadOptions extends Omit<LoadReceiverOptions, 'counters' | 'onClose'> {
  /** Worker entry; defaults to receiver-thread next to this module. */
  readonly file?: string;
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Main-thread handle on a LoadReceiver running in its own worker thread, so the receiver's decoding,
 * HMACs, socket reads and garbage collection never delay the sender's timer ticks or response handling
 * (latency is counted from each packet's scheduled time, so any such stall would be charged to the
 * connector). Counters are shared memory, read synchronously; a close of the receiver's connection, or
 * the thread's death, shows up in closedWith.
 */
export class LoadReceiverThread extends ReceiverReadings implements ReceivingPeer {
  private worker: Worker | undefined;
  private starting: Pending | undefined;
  private stopping = false;
  private lastError: Error | undefined;
  private closed: { readonly code: number; readonly reason: string } | undefined;

  constructor(private readonly options: LoadReceiverThreadOptions) {
    super(new ReceiverCounters(new SharedArrayBuffer(ReceiverCounters.BYTES)), options.address);
  }

  get closedWith(): { readonly code: number; readonly reason: string } | undefined {
    return this.closed;
  }

  /** True from start() until the thread has exited. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  async start(): Promise<void> {
    if (this.worker) throw new Error('the receiver thread is already started');
    const o = this.options;
    const data: ReceiverThreadData = {
      url: o.url,
      username: o.username,
      token: o.token,
      secret: o.secret,
      address: o.address,
      rejectCode: o.rejectCode,
      counters: this.counters.buffer as SharedArrayBuffer,
    };
    const entry =
      o.file === undefined ? threadEntry(__filename, 'receiver-thread') : { filename: o.file, argv: [] };
    const worker = new Worker(entry.filename, {
      argv: [...entry.argv],
      workerData: data,
      name: 'ilpd-loadgen-receiver',
    });
    this.worker = worker;
    this.stopping = false;
    this.lastError = undefined;
    worker.on('message', (event: ReceiverThreadEvent) => this.onEvent(event));
    worker.on('error', (err: Error) => (this.lastError = err));
    worker.on('exit', (code: number) => this.onExit(worker, code));
    try {
      await new Promise<void>((resolve, reject) => (this.starting = { resolve, reject }));
    } catch (err) {
      this.stopping = true;
      await worker.terminate();
      throw err;
    }
    // Once running, the sender's socket keeps the process alive; a forgotten stop() cannot hang it.
    worker.unref();
  }

  /** Closes the receiver's connection and ends the thread (terminated if it does not end in time). */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined) return;
    this.stopping = true;
    worker.ref();
    const exited = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const command: ReceiverThreadCommand = { kind: 'stop' };
    worker.postMessage(command);
    await exited;
    await worker.terminate();
  }

  private onEvent(event: ReceiverThreadEvent): void {
    switch (event.kind) {
      case 'started':
        this.addressValue = event.address;
        this.settleStart();
        return;
      case 'failed':
        this.settleStart(
          event.code?.startsWith('ILPD_LOADGEN_')
            ? new BtpSessionError(event.code as BtpSessionError['code'], event.message)
            : Object.assign(new Error(event.message), event.code ? { code: event.code } : {}),
        );
        return;
      case 'closed':
        this.closed ??= { code: event.code, reason: event.reason };
        return;
      case 'stopped':
        return;
    }
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.stopping && this.starting === undefined) return;
    const why = this.lastError ? `: ${this.lastError.message}` : '';
    const exited = `the receiver thread exited with code ${code}`;
    this.settleStart(new Error(`${exited} before it connected${why}`, { cause: this.lastError }));
    this.closed ??= { code: ABNORMAL_CLOSURE, reason: `${exited}${why}` };
  }

  private settleStart(err?: Error): void {
    const pending = this.starting;
    if (pending === undefined) return;
    this.starting = undefined;
    if (err) pending.reject(err);
    else pending.resolve();
  }
}
