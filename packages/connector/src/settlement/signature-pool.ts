import { threadEntry } from '@ilpd/codec';
import { Piscina } from 'piscina';
import {
  runEvmSigning,
  runSignatureCheck,
  type EvmSigning,
  type SignatureCheck,
  type SignatureTask,
} from './signature-check';

/**
 * Where claim signatures are checked (and EVM claims signed): on the main thread (`settlement.workers`
 * = 0), or in a piscina pool of worker threads, so the CPU and garbage a stream of claims costs (a few
 * hundred µs each on secp256k1) is spent beside the packet path's event loop, not on it. Engines ask it
 * for every check against a known key and every EVM signature; the first claim of an EVM sender (key
 * recovery) stays inline, and XRPL signing (native, tens of µs) too.
 */
export interface SignatureVerifier {
  verify(check: SignatureCheck): Promise<boolean>;
  signEvm(signing: EvmSigning): Promise<string>;
  close(): Promise<void>;
}

export const inlineSignatureVerifier: SignatureVerifier = {
  verify: (check) => Promise.resolve(runSignatureCheck(check)),
  signEvm: (signing) => Promise.resolve(runEvmSigning(signing)),
  close: () => Promise.resolve(),
};

export class PooledSignatureVerifier implements SignatureVerifier {
  private readonly pool: Piscina<SignatureTask, boolean | string>;

  constructor(workers: number) {
    const entry = threadEntry(__filename, 'signature-worker');
    this.pool = new Piscina<SignatureTask, boolean | string>({
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
    return this.pool.run({ op: 'check', check }) as Promise<boolean>;
  }

  signEvm(signing: EvmSigning): Promise<string> {
    return this.pool.run({ op: 'sign-evm', signing }) as Promise<string>;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export function createSignatureVerifier(workers: number): SignatureVerifier {
  return workers > 0 ? new PooledSignatureVerifier(workers) : inlineSignatureVerifier;
}
