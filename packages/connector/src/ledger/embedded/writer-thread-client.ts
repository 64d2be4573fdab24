import { Worker } from 'node:worker_threads';
import { threadEntry, type ThreadEntry } from '@ilpd/codec';
import type { Logger } from 'pino';
import { packWrites } from './packed-writes';
import type { StoreWrite, StoredAccount } from './sqlite-store';
import type { AccountKey, Recovered, WriterReply, WriterRequest, WriterThreadData } from './writer-protocol';

export interface LedgerWriterThreadOptions {
  /** Absolute path of the SQLite file. */
  readonly path: string;
  readonly logger: Logger;
  /** Worker entry; defaults to writer-thread next to this module. */
  readonly file?: string;
}

interface Waiter {
  resolve(result: WriterReply['result']): void;
  reject(err: Error): void;
}

/** A request before the client numbers it. */
type Request = WriterRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/**
 * Main-thread handle on the embedded ledger's writer thread: the thread that owns the SQLite write
 * connection, so fsyncs never block the event loop that serves the peers. Requests are answered in the
 * order sent. If the thread dies, every unanswered request is rejected (a commit then counts as failed
 * and is replayed by the batch writer, which the store recognises) and the next request starts a new
 * thread on the same file, without recovery: recovery belongs to the start of a run only.
 */
export class LedgerWriterThread {
  private worker: Worker | undefined;
  private readonly waiters = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;
  private lastError: Error | undefined;
  private readonly entry: ThreadEntry;

  constructor(private readonly options: LedgerWriterThreadOptions) {
    this.entry =
      options.file === undefined
        ? threadEntry(__filename, 'writer-thread')
        : { filename: options.file, argv: [] };
  }

  /** Starts the thread, opens the store and recovers from the previous run. */
  recover(): Promise<Recovered> {
    return this.request({ kind: 'recover' }) as Promise<Recovered>;
  }

  ensureAccount(account: AccountKey): Promise<StoredAccount> {
    return this.request({ kind: 'ensureAccount', account }) as Promise<StoredAccount>;
  }

  /**
   * Commits one batch in one transaction; resolves once it is durable. `replay` marks another attempt
   * at the batch committed last (it may have committed before a failure was reported).
   */
  async commit(writes: readonly StoreWrite[], replay: boolean): Promise<void> {
    const packed = packWrites(writes);
    await this.request({ kind: 'commit', replay, ...packed }, [packed.buffer]);
  }

  /** Closes the store and ends the thread; later requests are refused. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (worker === undefined) return;
    try {
      await this.send(worker, { kind: 'close' });
    } catch (err) {
      this.options.logger.warn({ err }, 'ledger writer thread did not close the store cleanly');
    }
    await worker.terminate();
    this.worker = undefined;
  }

  private request(request: Request, transfer?: ArrayBuffer[]): Promise<WriterReply['result']> {
    if (this.closed) return Promise.reject(new Error('the ledger writer thread is closed'));
    return this.send(this.worker ?? this.spawn(), request, transfer);
  }

  private send(worker: Worker, request: Request, transfer?: ArrayBuffer[]): Promise<WriterReply['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiters.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...request, id }, transfer);
      } catch (err) {
        this.waiters.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private spawn(): Worker {
    const data: WriterThreadData = { path: this.options.path };
    const worker = new Worker(this.entry.filename, {
      argv: [...this.entry.argv],
      workerData: data,
      name: 'ilpd-ledger-writer',
    });
    this.lastError = undefined;
    worker.on('message', (reply: WriterReply) => this.answer(reply));
    worker.on('error', (err: Error) => (this.lastError = err));
    worker.on('exit', (code: number) => this.exited(worker, code));
    this.worker = worker;
    return worker;
  }

  private answer(reply: WriterReply): void {
    const waiter = this.waiters.get(reply.id);
    if (waiter === undefined) return;
    this.waiters.delete(reply.id);
    if (reply.error === undefined) {
      waiter.resolve(reply.result);
    } else {
      waiter.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    }
  }

  private exited(worker: Worker, code: number): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    if (this.waiters.size === 0 && this.closed) return;
    const why = this.lastError === undefined ? '' : `: ${this.lastError.message}`;
    const error = new Error(`ledger writer thread exited with code ${code}${why}`, { cause: this.lastError });
    if (!this.closed) {
      this.options.logger.error({ err: error, unanswered: this.waiters.size }, 'ledger writer thread died');
    }
    const waiters = [...this.waiters.values()];
    this.waiters.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
