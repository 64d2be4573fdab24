/**
 * Child process of the crash test: posts packets through the embedded ledger as fast as it can and
 * appends one line per event to the event log with a synchronous write (stdout to a pipe may buffer in
 * this process and die with it), so the parent can kill -9 it at any moment and then check the store:
 *   POSTING <seq> <amount>   a post was handed to the ledger
 *   ACK <seq>                that post is durable (its promise resolved)
 *   OPEN <amount>            a reservation deliberately left pending
 */
import { openSync, writeSync } from 'node:fs';
import pino from 'pino';
import { createLedger } from '../../../src/ledger';

async function main(): Promise<void> {
  const [path, runId, eventLog] = process.argv.slice(2);
  const events = openSync(eventLog, 'a');
  const ledger = createLedger(
    {
      backend: 'embedded',
      batchSize: 50,
      flushIntervalMs: 1,
      maxQueue: 100_000,
      pendingTimeoutMs: 60_000,
      embedded: { path },
      tigerbeetle: { clusterId: 0n, addresses: ['3000'], requestTimeoutMs: 1000 },
    },
    { logger: pino({ level: 'silent' }), configDir: '/' },
  );
  await ledger.start();
  await ledger.registerPeer({ peerId: 'alice', assetCode: 'USD', assetScale: 2 });
  await ledger.registerPeer({ peerId: 'bob', assetCode: 'USD', assetScale: 2 });
  const out: string[] = [];
  let announcedAck = false;
  const write = () => {
    if (out.length === 0) return;
    const text = out.splice(0).join('');
    writeSync(events, text);
    // Only tells the parent when to start its kill timer; the event log is the record.
    if (!announcedAck && text.includes('ACK')) {
      announcedAck = true;
      process.stdout.write('ACKED\n');
    }
  };
  let seq = 0;
  for (;;) {
    const posts: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) {
      const amount = BigInt(1 + ((seq * 7919) % 97));
      const mine = `${runId}.${seq++}`;
      const handle = await ledger.reserve({
        incoming: { peerId: 'alice', amount },
        outgoing: { peerId: 'bob', amount },
        expiresAtMs: Date.now() + 30_000,
      });
      if (i === 0) {
        out.push(`OPEN ${amount}\n`);
        continue;
      }
      // Announced before the post is handed over, so the parent knows of every post that may be durable.
      out.push(`POSTING ${mine} ${amount}\n`);
      write();
      posts.push(ledger.post(handle).then(() => void out.push(`ACK ${mine}\n`)));
    }
    write();
    await Promise.all(posts);
    write();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash child failed: ${String(err)}\n`);
  process.exit(1);
});
