/** One jest run covers every package: unit tests under packages/<pkg>/test mirror src, cross-package
 * end-to-end, interop and crash suites live under test/. */
// Worker threads started from TypeScript sources load this hook first (see codec/src/thread-entry.ts).
process.env.ILPD_TS_HOOK ??= require.resolve('./test/helpers/register-ts.cjs');

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
    // xrpl's crypto dependencies (@noble, @scure, @xrplf 2.x) ship ES modules only: Node 20 loads them
    // with require(esm), jest's module system cannot, so they are compiled to CommonJS for tests.
    '/node_modules/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!.*(@noble|@scure|@xrplf)/)'],
  testMatch: ['<rootDir>/packages/*/test/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  moduleNameMapper: {
    '^@ilpd/codec$': '<rootDir>/packages/codec/src/index.ts',
  },
  testTimeout: 30000,
  maxWorkers: 2,
};
