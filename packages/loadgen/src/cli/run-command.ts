import { parseArgs } from 'node:util';
import { spawnIlpd, type LoadTarget } from '../daemon/targets';
import { summaryLine } from '../report/load-report';
import { writeLoadReport } from '../report/write-report';
import { runLoad } from '../run/load-run';
import { buildProfile, PROFILE_NAMES, type ProfileName, type ProfileOptions } from '../schedule/profiles';
import {
  UsageError,
  WORKLOAD_FLAGS,
  adminUrls,
  credentialsFlag,
  numberFlag,
  receiverThreadFromFlags,
  stringFlag,
  timingFromFlags,
  workloadFromFlags,
  type Flags,
} from './options';

export const RUN_USAGE = `ilpd-loadgen run [options]

Profile
  --profile steady|ramp|spike|soak   (default steady)
  --rate N              base packets/s (steady, spike; soak default 10000)
  --duration S          seconds (steady, spike; soak default 3600)
  --stages R:S,R:S,…    ramp stages, e.g. 2000:10,5000:10,10000:20
  --spike-factor F      spike rate = F × rate (default 5)
  --spike-duration S    (default 30)   --spike-at S  (default: centred)
  --warmup S            seconds at the first rate before measuring (default 0)

Target
  --btp-url URL         btp+ws://127.0.0.1:7768 (default); --sender-url / --receiver-url override per peer
  --sender ID:SECRET    (default alice:alice-secret)   --receiver ID:SECRET  (default bob:bob-secret)
  --receiver-address A  skip ILDCP and use this address for the receiver
  --daemon-pid N        sample CPU and RSS of this process from /proc
  --metrics-url URL     daemon admin port, e.g. http://127.0.0.1:7780 (heap from /metrics,
                        ledger check from /admin/balances)
  --balances-url URL    override the balances endpoint
  --spawn-daemon        start a fresh ilpd in a temp dir, run, stop it with SIGTERM
  --ilpd-cli PATH       (default packages/connector/dist/cli.js)   --keep-daemon-dir

Workload
  --amount-min N --amount-max N (1..1000)  --reject-fraction F (0)  --pool-size N (16384)
  --accounts N (100)  --data-bytes N (0)  --seed N  --expiry-ms N (20000)  --tick-ms N (1)  --max-burst N
  --receiver-thread on|off   receiving peer in its own worker thread (default on; off shares the
                        sender's event loop and heap, for comparison)

Output
  --report-dir DIR (reports)  --name NAME (profile name)  --interval-ms N (1000)
  --summary-line        print only the totals as one JSON line on stdout
  SIGINT/SIGTERM end the run early and still write the report (a second one quits at once).
  Exit status: 0 ok, 2 ledger check failed, 1 error or connector lost, 130 interrupted.`;

export async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      profile: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      stages: { type: 'string' },
      'spike-factor': { type: 'string' },
      'spike-duration': { type: 'string' },
      'spike-at': { type: 'string' },
      warmup: { type: 'string' },
      'btp-url': { type: 'string' },
      'sender-url': { type: 'string' },
      'receiver-url': { type: 'string' },
      sender: { type: 'string' },
      receiver: { type: 'string' },
      'receiver-address': { type: 'string' },
      'daemon-pid': { type: 'string' },
      'metrics-url': { type: 'string' },
      'balances-url': { type: 'string' },
      'spawn-daemon': { type: 'boolean' },
      'ilpd-cli': { type: 'string' },
      'keep-daemon-dir': { type: 'boolean' },
      'report-dir': { type: 'string' },
      name: { type: 'string' },
      'interval-ms': { type: 'string' },
      'summary-line': { type: 'boolean' },
      ...WORKLOAD_FLAGS,
    },
  });
  const flags = values as Flags;
  const profileName = stringFlag(flags, 'profile', 'steady') as ProfileName;
  if (!PROFILE_NAMES.includes(profileName)) {
    throw new UsageError(`--profile: expected one of ${PROFILE_NAMES.join(', ')}, got "${profileName}"`);
  }
  const profile: ProfileOptions = {
    profile: profileName,
    rate: numberFlag(flags, 'rate'),
    durationS: numberFlag(flags, 'duration'),
    stages: stringFlag(flags, 'stages'),
    spikeFactor: numberFlag(flags, 'spike-factor'),
    spikeDurationS: numberFlag(flags, 'spike-duration'),
    spikeAtS: numberFlag(flags, 'spike-at'),
  };
  const segments = buildProfile(profile);
  const sender = credentialsFlag(flags, 'sender', 'alice:alice-secret');
  const receiver = credentialsFlag(flags, 'receiver', 'bob:bob-secret');
  const workload = workloadFromFlags(flags);
  const timing = timingFromFlags(flags);
  const receiverThread = receiverThreadFromFlags(flags);
  const intervalMs = numberFlag(flags, 'interval-ms', 1000);
  const summaryOnly = flags['summary-line'] === true;
  const log = (line: string) => console.error(`[loadgen] ${line}`);

  let target: LoadTarget;
  if (flags['spawn-daemon'] === true) {
    log('starting a fresh ilpd');
    target = await spawnIlpd({
      sender,
      receiver,
      cliPath: stringFlag(flags, 'ilpd-cli'),
      keepWorkDir: flags['keep-daemon-dir'] === true,
    });
    log(`ilpd pid ${target.pid} at ${target.senderUrl}, work dir ${target.workDir}`);
  } else {
    const btpUrl = stringFlag(flags, 'btp-url', 'btp+ws://127.0.0.1:7768');
    const admin = adminUrls(stringFlag(flags, 'metrics-url'));
    target = {
      kind: 'external',
      senderUrl: stringFlag(flags, 'sender-url', btpUrl),
      receiverUrl: stringFlag(flags, 'receiver-url', btpUrl),
      pid: numberFlag(flags, 'daemon-pid'),
      metricsUrl: admin.metricsUrl,
      balancesUrl: stringFlag(flags, 'balances-url', admin.balancesUrl),
      receiverAddress: stringFlag(flags, 'receiver-address'),
      stop: async () => undefined,
    };
  }
  // First signal: stop sending, drain, check the ledger and write the report. Second: leave now.
  const interrupt = new AbortController();
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      log(`${signal} again: stopping without a report`);
      void target.stop().finally(() => process.exit(130));
      return;
    }
    log(`${signal}: ending the run early (again to quit without a report)`);
    interrupt.abort();
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  let report;
  try {
    report = await runLoad({
      name: stringFlag(flags, 'name', profileName),
      profileName,
      profileParams: Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined)),
      segments,
      warmupS: numberFlag(flags, 'warmup', 0),
      target: { ...target, receiverAddress: stringFlag(flags, 'receiver-address', target.receiverAddress) },
      sender,
      receiver,
      workload,
      ...timing,
      receiverThread,
      intervalMs,
      log,
      signal: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
    await target.stop();
  }
  const paths = writeLoadReport(report, stringFlag(flags, 'report-dir', 'reports'));
  const summary = summaryLine(report);
  if (summaryOnly) {
    console.log(JSON.stringify(summary));
    log(`report: ${paths.jsonPath}`);
    log(`chart:  ${paths.htmlPath}`);
  } else {
    console.log(JSON.stringify({ ...summary, report: paths.jsonPath, chart: paths.htmlPath }));
  }
  if (report.aborted) return interrupt.signal.aborted ? 130 : 1;
  return report.balanced === false ? 2 : 0;
}
