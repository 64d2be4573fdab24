/* eslint-disable @typescript-eslint/no-require-imports, no-undef -- a CommonJS hook loaded by `node -r`,
   before any TypeScript can run. */
// Lets a child `node` process run this repo's TypeScript directly (as jest does, through swc), so
// process-level tests exercise the sources under test, not a possibly stale build.
const { readFileSync } = require('node:fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
