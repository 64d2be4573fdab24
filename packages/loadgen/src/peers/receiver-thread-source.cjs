'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, __dirname */
/**
 * Receiver-thread entry used only when the loadgen itself runs from its TypeScript sources (jest, or a
 * `node -r` TypeScript hook): a worker thread does not inherit the parent thread's transpiler, so this
 * compiles the .ts files with swc (a dev dependency) as they are required, and resolves @ilpd/codec to
 * its sources as jest.config.js does, so the thread runs the same codec as the test that started it.
 * A build (dist) never uses this file: it starts receiver-thread.js directly.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

if (require.extensions['.ts'] === undefined) {
  require.extensions['.ts'] = (module, filename) => {
    const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    module._compile(code, filename);
  };
}

const codecSource = path.resolve(__dirname, '../../../codec/src/index.ts');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolveFilename.call(this, request === '@ilpd/codec' ? codecSource : request, ...rest);
};

require(path.join(__dirname, 'receiver-thread.ts'));
