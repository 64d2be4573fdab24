#!/usr/bin/env node
import { compareCommand, COMPARE_USAGE } from './cli/compare-command';
import { relayCommand, RELAY_USAGE } from './cli/relay-command';
import { runCommand, RUN_USAGE } from './cli/run-command';

const USAGE = `ilpd-loadgen: load and soak suite for ilpd (and any BTP connector)

Commands
  run       run a profile (steady, ramp, spike, soak) and write reports/<name>-<timestamp>.{json,html}
  compare   max sustainable packets/s of the bare relay, the reference ilp-connector and ilpd
  relay     start the bare BTP relay
  help [command]

Example
  ilpd-loadgen run --profile steady --rate 10000 --duration 60 --btp-url btp+ws://127.0.0.1:7768 \\
    --sender alice:alice-secret --receiver bob:bob-secret --daemon-pid 1234 --metrics-url http://127.0.0.1:7780`;

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; usage: string }> = {
  run: { run: runCommand, usage: RUN_USAGE },
  compare: { run: compareCommand, usage: COMPARE_USAGE },
  relay: { run: relayCommand, usage: RELAY_USAGE },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(COMMANDS[rest[0] ?? '']?.usage ?? USAGE);
    return 0;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    console.error(`unknown command "${command}"\n\n${USAGE}`);
    return 64;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(entry.usage);
    return 0;
  }
  return entry.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = err as { code?: string; message?: string };
    console.error(`ilpd-loadgen: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
    process.exitCode = 1;
  },
);
