/**
 * Child process of the settlement crash test: books claims through the embedded ledger as fast as it
 * can, beside packet posts that share their commits, and appends one line per event to the event log
 * with a synchronous write (stdout to a pipe may buffer in this process and die with it), so the parent
 * can kill -9 it at any moment and then check the store:
 *   CLAIMING <direction> <channel> <cumulative>   a claim was handed to the ledger
 *   CLAIMED <direction> <channel> <cumulative>    the ledger answered 'applied' (durable)
 * Each claim's amount is its increase over the channel's best claim (as the payer and payee book them),
 * so once every claim is booked exactly once, a channel's booked total is its best claim's cumulative.
 */
import { openSync, writeSync } from 'node:fs';
import pino from 'pino';
import { createLedger, type ClaimRecord } from '../../../src/ledger';

const CHANNELS: { direction: ClaimRecord['direction']; channelId: string }[] = [
  { direction: 'paid', channelId: 'out-1' },
  { direction: 'paid', channelId: 'out-2' },
  { direction: 'received', channelId: 'in-1' },
  { direction: 'received', channelId: 'in-2' },
];

async function main(): Promise<void> {
  const [path, eventLog] = process.argv.slice(2);
  const events = openSync(eventLog, 'a');
  const log = (line: string) => writeSync(events, `${line}\n`);
  const ledger = createLedger(
    {
      backend: 'embedded',
      batchSize: 50,
      flushIntervalMs: 0,
      maxQueue: 100_000,
      pendingTimeoutMs: 60_000,
      embedded: { path },
      tigerbeetle: { clusterId: 0n, addresses: ['3000'], requestTimeoutMs: 1000, claimsPath: 'unused' },
    },
    { logger: pino({ level: 'silent' }), configDir: '/' },
  );
  await ledger.start();
  for (const peerId of ['alice', 'bob', 'carol']) {
    await ledger.registerPeer({ peerId, assetCode: 'USD', assetScale: 2 });
  }
  const best = new Map<string, bigint>();
  for (const c of await ledger.claims()) best.set(`${c.direction} ${c.channelId}`, c.cumulative);
  let announced = false;
  let n = 0;
  const claims = async (direction: ClaimRecord['direction'], channelId: string) => {
    const key = `${direction} ${channelId}`;
    for (;;) {
      const previous = best.get(key) ?? 0n;
      const cumulative = previous + BigInt(1 + (n++ % 13));
      log(`CLAIMING ${key} ${cumulative}`);
      const outcome = await ledger.recordSettlement(
        { peerId: 'carol', direction, chain: 'evm', channelId, cumulative, signature: `0x${cumulative}` },
        cumulative - previous,
      );
      if (outcome !== 'applied') throw new Error(`claim ${key} ${cumulative}: ${outcome}`);
      best.set(key, cumulative);
      log(`CLAIMED ${key} ${cumulative}`);
      if (!announced) {
        announced = true;
        // Only tells the parent when to start its kill timer; the event log is the record.
        process.stdout.write('CLAIMED\n');
      }
    }
  };
  const packets = async () => {
    for (;;) {
      const handle = await ledger.reserve({
        incoming: { peerId: 'alice', amount: 3n },
        outgoing: { peerId: 'bob', amount: 3n },
        expiresAtMs: Date.now() + 30_000,
      });
      await ledger.post(handle);
    }
  };
  await Promise.all([
    ...CHANNELS.map((c) => claims(c.direction, c.channelId)),
    ...Array.from({ length: 20 }, packets),
  ]);
}

main().catch((err: unknown) => {
  process.stderr.write(`settlement crash child failed: ${String(err)}\n`);
  process.exit(1);
});
