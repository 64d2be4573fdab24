import { join } from 'node:path';

/**
 * Where a worker thread (or a piscina pool) finds its entry module, shared by every thread ilpd
 * starts: the ledger writer, the load receiver and the settlement signature pool.
 *
 * From a build, the entry is the compiled `<name>.js` next to the module that starts the thread.
 * When that module itself runs from its TypeScript sources (jest), a thread does not inherit the
 * runner's transpiler: the entry is then a small bootstrap that loads the TypeScript hook named by the
 * ILPD_TS_HOOK environment variable (the test setup sets it) and then `<name>.ts`, passed in argv.
 * Shipped code never names test code; a build never reads ILPD_TS_HOOK.
 */
export interface ThreadEntry {
  /** The file to start: `new Worker(filename, { argv })` or `new Piscina({ filename, argv })`. */
  readonly filename: string;
  readonly argv: readonly string[];
}

/** The environment variable that names the TypeScript hook for threads started from sources. */
export const TS_HOOK_ENV = 'ILPD_TS_HOOK';

/**
 * `callerFile` is the starting module's `__filename`; `name` the entry module's file name without its
 * extension, in the same directory.
 */
export function threadEntry(callerFile: string, name: string): ThreadEntry {
  const dir = join(callerFile, '..');
  if (!callerFile.endsWith('.ts')) return { filename: join(dir, `${name}.js`), argv: [] };
  if (process.env[TS_HOOK_ENV] === undefined) {
    throw new Error(
      `${callerFile} runs from TypeScript sources: set ${TS_HOOK_ENV} to a module that registers a ` +
        'TypeScript hook (the test setup does), or run the build',
    );
  }
  return { filename: join(__dirname, 'thread-entry-bootstrap.cjs'), argv: [join(dir, `${name}.ts`)] };
}
