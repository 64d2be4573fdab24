'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, module, __dirname */
/**
 * Entry point for the engine's piscina workers under jest, which transpiles only the test's own
 * thread: .ts files are compiled with swc when required and @ilpd/codec maps to its sources (as
 * jest.config.js maps it), so the workers run exactly the code under test, never a stale dist.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const codecEntry = path.resolve(__dirname, '../../../../codec/src/index.ts');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === '@ilpd/codec' ? codecEntry : request, ...rest);
};
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};

module.exports = require('../../../src/engine/worker.ts');
