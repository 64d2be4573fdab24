import { parseArgs } from 'node:util';
import { COMPARE_TARGETS, runCompare, type CompareTargetName } from '../compare/compare-run';
import { DEFAULT_SEARCH } from '../compare/stepped-search';
import { writeJsonReport } from '../report/write-report';
import {
  UsageError,
  WORKLOAD_FLAGS,
  credentialsFlag,
  numberFlag,
  receiverThreadFromFlags,
  stringFlag,
  timingFromFlags,
  workloadFromFlags,
  type Flags,
} from './options';

export const COMPARE_USAGE = `ilpd-loadgen compare [options]

Finds each target's highest sustainable packets/s (p99 below the limit, ≥ 99 % fulfilled, no timeouts)
with short fixed-rate steps: the bare relay (the machine's ceiling), the reference ilp-connector and ilpd,
each freshly spawned in turn.
  --targets relay,reference,ilpd   (default all three)
  --step-seconds S (10)  --start-rate N (${DEFAULT_SEARCH.startRate})  --max-rate N (${DEFAULT_SEARCH.maxRate})
  --growth F (${DEFAULT_SEARCH.growth})  --refine N (${DEFAULT_SEARCH.refineSteps})  --p99-limit-ms MS (${DEFAULT_SEARCH.p99LimitMs})
  --confirm N (${DEFAULT_SEARCH.confirmFailures})   re-runs of a failing step before it counts (noise guard)
  --warmup S (3)  --pause-ms MS (1000)
  --sender ID:SECRET  --receiver ID:SECRET  --ilpd-cli PATH  --report-dir DIR (reports)
  plus the workload options of "run", including --receiver-thread on|off (default on).`;

export async function compareCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      targets: { type: 'string' },
      'step-seconds': { type: 'string' },
      'start-rate': { type: 'string' },
      'max-rate': { type: 'string' },
      growth: { type: 'string' },
      refine: { type: 'string' },
      confirm: { type: 'string' },
      'p99-limit-ms': { type: 'string' },
      warmup: { type: 'string' },
      'pause-ms': { type: 'string' },
      sender: { type: 'string' },
      receiver: { type: 'string' },
      'ilpd-cli': { type: 'string' },
      'report-dir': { type: 'string' },
      ...WORKLOAD_FLAGS,
    },
  });
  const flags = values as Flags;
  const targets = stringFlag(flags, 'targets', COMPARE_TARGETS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean) as CompareTargetName[];
  for (const t of targets) {
    if (!COMPARE_TARGETS.includes(t)) {
      throw new UsageError(`--targets: expected a list of ${COMPARE_TARGETS.join(', ')}, got "${t}"`);
    }
  }
  const log = (line: string) => console.error(`[compare] ${line}`);
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping after the current target is shut down`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const result = await runCompare({
    targets,
    search: {
      startRate: numberFlag(flags, 'start-rate', DEFAULT_SEARCH.startRate),
      maxRate: numberFlag(flags, 'max-rate', DEFAULT_SEARCH.maxRate),
      growth: numberFlag(flags, 'growth', DEFAULT_SEARCH.growth),
      refineSteps: numberFlag(flags, 'refine', DEFAULT_SEARCH.refineSteps),
      p99LimitMs: numberFlag(flags, 'p99-limit-ms', DEFAULT_SEARCH.p99LimitMs),
      minFulfilledRatio: DEFAULT_SEARCH.minFulfilledRatio,
      confirmFailures: numberFlag(flags, 'confirm', DEFAULT_SEARCH.confirmFailures),
    },
    stepSeconds: numberFlag(flags, 'step-seconds', 10),
    warmupS: numberFlag(flags, 'warmup', 3),
    pauseMs: numberFlag(flags, 'pause-ms', 1000),
    sender: credentialsFlag(flags, 'sender', 'alice:alice-secret'),
    receiver: credentialsFlag(flags, 'receiver', 'bob:bob-secret'),
    workload: workloadFromFlags(flags),
    ...timingFromFlags(flags),
    receiverThread: receiverThreadFromFlags(flags),
    ilpdCli: stringFlag(flags, 'ilpd-cli'),
    log,
    signal: interrupt.signal,
  }).finally(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  });
  const path = writeJsonReport(
    'compare',
    new Date(result.startedAt),
    result,
    stringFlag(flags, 'report-dir', 'reports'),
  );
  const brief = Object.fromEntries(
    Object.entries(result.results).map(([k, r]) => [
      k,
      {
        maxPps: r.maxPps,
        p99Ms: r.p99Ms,
        rate: r.rate,
        cpuPct: r.cpuPct,
        ...(r.error ? { error: r.error } : {}),
      },
    ]),
  );
  console.log(
    JSON.stringify({
      ...brief,
      ilpdVsRelay: result.ilpdVsRelay,
      ilpdVsReference: result.ilpdVsReference,
      report: path,
    }),
  );
  if (interrupt.signal.aborted) return 130;
  return Object.values(result.results).some((r) => r.error) ? 1 : 0;
}
