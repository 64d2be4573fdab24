'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, module, process */
/**
 * The engine's real worker task, except that a batch holding a packet whose first byte is CRASH_MARKER
 * makes the worker thread exit while it holds that batch, as a crash would.
 */
const { validateBatch } = require('./ts-worker.cjs');
const { PackedBatch } = require('../../../src/engine/batch.ts');

const CRASH_MARKER = 0xee;

module.exports = function validateOrCrash(buffer) {
  const batch = new PackedBatch(buffer);
  for (let i = 0; i < batch.count; i++) {
    if (batch.packet(i)[0] === CRASH_MARKER) process.exit(70);
  }
  return validateBatch(buffer);
};
