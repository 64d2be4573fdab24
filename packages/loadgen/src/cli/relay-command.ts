import { parseArgs } from 'node:util';
import { BtpRelay } from '../relay/btp-relay';
import { UsageError, numberFlag, stringFlag, type Flags } from './options';

export const RELAY_USAGE = `ilpd-loadgen relay [options]

A bare BTP relay with no ILP processing (the throughput ceiling for bench:compare): authenticates peers,
forwards each Message to the other peer and each Response back by request id.
  --host H (127.0.0.1)  --port N (7768)
  --accounts ID:SECRET,…   require these credentials (default: accept any)
  --routes FROM=TO,…       where Messages from a peer go (default: the other connected peer)`;

function pairs(spec: string | undefined, sep: string, option: string): Map<string, string> | undefined {
  if (spec === undefined) return undefined;
  const out = new Map<string, string>();
  for (const item of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = item.indexOf(sep);
    if (i <= 0 || i === item.length - 1)
      throw new UsageError(`--${option}: expected "a${sep}b,…", got "${item}"`);
    out.set(item.slice(0, i), item.slice(i + 1));
  }
  return out;
}

/** Runs until SIGINT/SIGTERM. */
export async function relayCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      accounts: { type: 'string' },
      routes: { type: 'string' },
    },
  });
  const flags = values as Flags;
  const relay = new BtpRelay({
    host: stringFlag(flags, 'host', '127.0.0.1'),
    port: numberFlag(flags, 'port', 7768),
    accounts: pairs(stringFlag(flags, 'accounts'), ':', 'accounts'),
    routes: pairs(stringFlag(flags, 'routes'), '=', 'routes'),
  });
  const port = await relay.start();
  console.log(JSON.stringify({ relay: 'listening', port }));
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await relay.stop();
  console.log(JSON.stringify({ relay: 'stopped', relayed: relay.relayed }));
  return 0;
}
