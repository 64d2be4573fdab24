/**
 * Child process of the unreachable-cluster test: starts a tigerbeetle ledger against an address where
 * no cluster answers, stops it, and then simply returns. The process must exit on its own: stop() has
 * to destroy the client, or its native handles keep the event loop alive forever.
 */
import pino from 'pino';
import { createLedger } from '../../../src/ledger';

async function main(): Promise<void> {
  const [address, mode] = process.argv.slice(2);
  const ledger = createLedger(
    {
      backend: 'tigerbeetle',
      batchSize: 100,
      flushIntervalMs: 2,
      maxQueue: 1000,
      pendingTimeoutMs: 60_000,
      embedded: { path: 'unused.sqlite' },
      tigerbeetle: {
        clusterId: 0n,
        addresses: [address],
        requestTimeoutMs: 300,
        // Never opened: the cluster never answers, so start fails before the claims store opens.
        claimsPath: 'never-opened-claims.sqlite',
      },
    },
    { logger: pino({ level: 'silent' }), configDir: '/' },
  );
  const started = ledger.start();
  if (mode === 'stop-during-start') {
    await ledger.stop();
    await started.catch((err: { code?: string }) => process.stdout.write(`start: ${err.code}\n`));
  } else {
    await started.catch((err: { code?: string }) => process.stdout.write(`start: ${err.code}\n`));
    await ledger.stop();
  }
  process.stdout.write('stopped\n');
}

void main();
