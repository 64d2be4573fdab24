'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, process, module */
/**
 * Thread entry for modules that run from their TypeScript sources (see thread-entry.ts): registers the
 * TypeScript hook named by ILPD_TS_HOOK, then loads the entry module given as the thread's first
 * argument and re-exports it (piscina reads the task function from the exports). Never used by a build.
 */
const hook = process.env.ILPD_TS_HOOK;
const entry = process.argv[2];
if (hook === undefined || entry === undefined) {
  throw new Error('thread-entry-bootstrap.cjs needs ILPD_TS_HOOK and the entry module as argv[2]');
}
require(hook);
module.exports = require(entry);
