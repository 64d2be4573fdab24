/**
 * Import rules checked by `npm run lint` (dependency-cruiser): no module imports itself through a
 * cycle, and no cycle between folders (e.g. packet/ → routing/ → packet/). Shared interfaces live in
 * packages/connector/src/ports.ts so that no folder needs another only for its types.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular-modules',
      severity: 'error',
      comment: 'A cycle between modules: move the shared part into its own module (or ports.ts).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment: 'A cycle between folders: move the shared interface or helper to ports.ts or a common module.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['/dist/', '/test/', '/bench/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    moduleSystems: ['cjs', 'es6'],
  },
};
