'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- worker threads load this plain CommonJS file */
/* global require, __dirname */
/**
 * Writer-thread entry used only when the ledger itself runs from its TypeScript sources (jest, or a
 * `node -r` TypeScript hook): a worker thread does not inherit the parent thread's transpiler, so this
 * compiles the .ts files with swc (a dev dependency) as they are required. A build (dist) never uses
 * this file: it starts writer-thread.js directly.
 */
const fs = require('node:fs');
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

require(path.join(__dirname, 'writer-thread.ts'));
