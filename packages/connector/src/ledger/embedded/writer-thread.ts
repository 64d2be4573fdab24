import { parentPort, workerData } from 'node:worker_threads';
import { LedgerStoreService, serveLedgerStore } from './store-service';
import type { WriterThreadData } from './writer-protocol';

/** Entry point of the embedded ledger's writer thread (started by LedgerWriterThread). */
if (parentPort === null) throw new Error('writer-thread must run as a worker thread');
serveLedgerStore(parentPort, new LedgerStoreService((workerData as WriterThreadData).path));
