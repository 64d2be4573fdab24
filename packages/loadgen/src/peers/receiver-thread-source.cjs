'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, __dirname */
/**
 * Receiver-thread entry used only when the loadgen itself runs from its TypeScript sources (jest, or a
 * `node -r` TypeScript hook): a worker thread does not inherit the parent thread's transpiler, so this
 * registers the repo's TypeScript hook first (which also maps @ilpd/codec to its sources, so the thread
 * runs the same codec as the test that started it). A build (dist) never uses this file: it starts
 * receiver-thread.js directly.
 */
const path = require('node:path');

require(path.resolve(__dirname, '../../../../test/helpers/register-ts.cjs'));
require(path.join(__dirname, 'receiver-thread.ts'));
