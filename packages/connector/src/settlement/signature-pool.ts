import { threadEntry } from '@ilpd/codec';
import { Piscina } from 'piscina';
import { runSignatureCheck, type SignatureCheck } from './signature-check';

/**
 * Where claim signatures are checked: on the main thread (`settlement.workers` = 0), or in a piscina
 * pool of worker threads, so the CPU a flood of claims costs (a few hundred µs each on secp256k1) is
 * spent beside the packet path's event loop, not on it. Engines ask it for every check against a known
 * key; the first claim of an EVM sender (key recovery) stays inline.
 */
export interface SignatureVerifier {
  verify(check: SignatureCheck): Promise<boolean>;
  close(): Promise<void>;
}

export const inlineSignatureVerifier: SignatureVerifier = {
  verify: (check) => Promise.resolve(runSignatureCheck(check)),
  close: () => Promise.resolve(),
};

export class PooledSignatureVerifier implements SignatureVerifier {
  private readonly pool: Piscina<SignatureCheck, boolean>;

  constructor(workers: number) {
    const entry = threadEntry(__filename, 'signature-worker');
    this.pool = new Piscina<SignatureCheck, boolean>({
      filename: entry.filename,
      argv: [...entry.argv],
      minThreads: workers,
      maxThreads: workers,
      // Each check is CPU-bound and short: one at a time per thread keeps the queue fair.
      concurrentTasksPerWorker: 1,
      recordTiming: false,
    });
  }

  verify(check: SignatureCheck): Promise<boolean> {
    return this.pool.run(check);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export function createSignatureVerifier(workers: number): SignatureVerifier {
  return workers > 0 ? new PooledSignatureVerifier(workers) : inlineSignatureVerifier;
}
