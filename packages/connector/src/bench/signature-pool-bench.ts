/**
 * Claim checks inline vs in the signature pool (settlement.workers), as the daemon runs them: many
 * checks in flight through SignatureVerifier.verify, for XRPL ed25519 claims and EVM claims against a
 * known sender key. Prints one JSON line: checks per second and main-thread CPU per check for each
 * setting: the main thread's busy time per check (what the packet path would lose) and the whole
 * process's CPU per check (what the machine pays).
 *
 *   npm run bench:signatures   (env: BENCH_SIG_SECONDS=3, BENCH_SIG_IN_FLIGHT=64)
 */
import type { SignatureCheck } from '../settlement/signature-check';
import { createSignatureVerifier } from '../settlement/signature-pool';
import { signatureChecks } from './signature-checks';

const SECONDS = Number(process.env.BENCH_SIG_SECONDS ?? 3);
const IN_FLIGHT = Number(process.env.BENCH_SIG_IN_FLIGHT ?? 64);
const CLAIMS = 500;

async function measure(workers: number, checks: readonly SignatureCheck[]) {
  const verifier = createSignatureVerifier(workers);
  try {
    // Warm up: JIT, key caches, thread start.
    await Promise.all(checks.slice(0, 100).map((c) => verifier.verify(c)));
    let done = 0;
    let next = 0;
    // The main thread's busy time (event-loop utilisation): what the packet path would lose.
    const eluStart = performance.eventLoopUtilization();
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const until = started + SECONDS * 1000;
    const lane = async (): Promise<void> => {
      while (performance.now() < until) {
        const ok = await verifier.verify(checks[next++ % checks.length]);
        if (!ok) throw new Error('a valid claim did not verify');
        done++;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const seconds = (performance.now() - started) / 1000;
    const elu = performance.eventLoopUtilization(eluStart);
    const cpu = process.cpuUsage(cpuStart);
    return {
      perSec: Math.round(done / seconds),
      // Inline, every check runs on the main thread (in one microtask chain that ELU cannot see).
      mainThreadUsPerCheck: Math.round((workers === 0 ? cpu.user + cpu.system : elu.active * 1000) / done),
      processCpuUsPerCheck: Math.round((cpu.user + cpu.system) / done),
    };
  } finally {
    await verifier.close();
  }
}

async function main(): Promise<void> {
  const result: Record<string, Record<string, unknown>> = {};
  for (const [name, checks] of [
    ['xrplEd25519', signatureChecks('xrpl', CLAIMS)],
    ['evmKnownKey', signatureChecks('evm', CLAIMS)],
  ] as const) {
    result[name] = {};
    for (const workers of [0, 1, 2]) result[name][`workers${workers}`] = await measure(workers, checks);
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
