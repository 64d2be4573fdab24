'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, process */
/**
 * The embedded ledger's real writer thread, except that it dies as a crash would when a batch holds a
 * packet (incoming amount) or a settlement of a marker amount:
 *   666001  the thread exits before committing the batch, on every attempt;
 *   666002  the thread commits the batch, then exits before answering (first attempt only), so the
 *           main thread must replay a batch that is in fact durable.
 */
require('../../../../../test/helpers/register-ts.cjs');
const { parentPort, workerData } = require('node:worker_threads');
const { LedgerStoreService, serveLedgerStore } = require('../../../src/ledger/embedded/store-service.ts');
const { unpackWrites } = require('../../../src/ledger/embedded/packed-writes.ts');

const DIE_BEFORE_COMMIT = 666001n;
const DIE_AFTER_COMMIT = 666002n;

class DrillService extends LedgerStoreService {
  handle(request) {
    const amounts =
      request.kind === 'commit'
        ? unpackWrites(request).map((w) => (w.packet === undefined ? w.settlement.amount : w.packet.inAmount))
        : [];
    if (amounts.includes(DIE_BEFORE_COMMIT)) process.exit(70);
    const reply = super.handle(request);
    if (amounts.includes(DIE_AFTER_COMMIT) && !request.replay) process.exit(71);
    return reply;
  }
}

serveLedgerStore(parentPort, new DrillService(workerData.path));
