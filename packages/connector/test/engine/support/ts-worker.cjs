'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, module */
/**
 * Entry point for the engine's piscina workers under jest, which transpiles only the test's own
 * thread: the repo's TypeScript hook runs the worker from its sources, with @ilpd/codec mapped to its
 * sources too, so the workers run exactly the code under test, never a stale dist.
 */
require('../../../../../test/helpers/register-ts.cjs');

module.exports = require('../../../src/engine/worker.ts');
