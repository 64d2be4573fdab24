import type { MessagePort } from 'node:worker_threads';
import { unpackWrites } from './packed-writes';
import { SqliteLedgerStore } from './sqlite-store';
import type { WriterReply, WriterRequest } from './writer-protocol';

/**
 * The writer thread's side of the embedded ledger: it owns the one write connection to the SQLite file
 * and runs each request to completion before the next, so commits happen in the order the main thread
 * sent them. The store opens when the thread starts; if that fails, every request is answered with the
 * reason. Nothing here is authoritative for balances or limits: the main thread is.
 */
export class LedgerStoreService {
  private store: SqliteLedgerStore | undefined;
  private readonly openError: Error | undefined;

  constructor(path: string) {
    try {
      this.store = SqliteLedgerStore.openForWriting(path);
    } catch (err) {
      this.openError = err instanceof Error ? err : new Error(String(err));
    }
  }

  handle(request: WriterRequest): WriterReply {
    try {
      return { id: request.id, result: this.run(request) };
    } catch (err) {
      const { message, code } = err as { message?: unknown; code?: unknown };
      return {
        id: request.id,
        error: {
          message: typeof message === 'string' ? message : String(err),
          code: typeof code === 'string' ? code : undefined,
        },
      };
    }
  }

  private run(request: WriterRequest): WriterReply['result'] {
    if (request.kind === 'close') {
      this.store?.close();
      this.store = undefined;
      return undefined;
    }
    const store = this.store;
    if (store === undefined) {
      throw new Error(`ledger store is not open: ${this.openError?.message ?? 'closed'}`, {
        cause: this.openError,
      });
    }
    switch (request.kind) {
      case 'commit':
        store.writeBatch(unpackWrites(request), request.replay);
        return undefined;
      case 'ensureAccount': {
        const { kind, peerId, assetCode, assetScale } = request.account;
        return store.ensureAccount(kind, peerId, assetCode, assetScale);
      }
      case 'recover': {
        // Only at the start of a run: a writer thread restarted mid-run must not void live reservations.
        const voided = store.recover();
        return { voided, boot: store.nextBoot(), accounts: store.loadAccounts(), claims: store.loadClaims() };
      }
    }
  }
}

/** Answers requests on `port` until the main thread closes the store. */
export function serveLedgerStore(port: MessagePort, service: LedgerStoreService): void {
  port.on('message', (request: WriterRequest) => {
    port.postMessage(service.handle(request));
    if (request.kind === 'close') port.close();
  });
}
