'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, __dirname */
/**
 * Writer-thread entry used only when the ledger itself runs from its TypeScript sources (jest, or a
 * `node -r` TypeScript hook): a worker thread does not inherit the parent thread's transpiler, so this
 * registers the repo's TypeScript hook first. A build (dist) never uses this file: it starts
 * writer-thread.js directly.
 */
const path = require('node:path');

require(path.resolve(__dirname, '../../../../../test/helpers/register-ts.cjs'));
require(path.join(__dirname, 'writer-thread.ts'));
