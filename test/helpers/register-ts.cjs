'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- loaded by `node -r` and by thread entries, before any TypeScript can run */
/* global require, __dirname, __filename, process */
/**
 * Lets a process or worker thread run this repo's TypeScript directly, as jest does: .ts files are
 * compiled with swc (a dev dependency) when required, and @ilpd/codec resolves to its sources, as
 * jest.config.js maps it. Child processes and worker threads do not inherit jest's transpiler, so
 * without this they would run a possibly stale build instead of the code under test. Builds (dist)
 * never load this file.
 */
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

// Worker threads this process starts from sources load this same hook (codec/src/thread-entry.ts).
process.env.ILPD_TS_HOOK ??= __filename;

if (require.extensions['.ts'] === undefined) {
  require.extensions['.ts'] = (module, filename) => {
    const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'commonjs' },
    });
    module._compile(code, filename);
  };

  const codecSource = path.resolve(__dirname, '../../packages/codec/src/index.ts');
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return resolveFilename.call(this, request === '@ilpd/codec' ? codecSource : request, ...rest);
  };
}
