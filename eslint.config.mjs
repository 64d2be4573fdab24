import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '.dependency-cruiser.cjs',
      '**/dist/**',
      '**/node_modules/**',
      'coverage/**',
      'reports/**',
      'data/**',
      '.tmp/**',
      '*.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // CLIs print their results to stdout by design; the daemon itself logs through pino.
    files: [
      'packages/*/src/cli.ts',
      'packages/*/src/cli/**/*.ts',
      'packages/*/bin/*.cjs',
      'packages/*/src/bench/**/*.ts',
      'test/**/*.ts',
      'packages/*/test/**/*.ts',
    ],
    rules: { 'no-console': 'off' },
  },
);
