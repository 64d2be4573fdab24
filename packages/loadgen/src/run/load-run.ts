import { availableParallelism } from 'node:os';
import { checkBalances, fetchBalances, type BalanceCheck, type BalanceMap } from '../daemon/balances';
import { DaemonSampler, defaultSamplerEnv, type SamplerEnv } from '../daemon/sampler';
import type { Credentials, LoadTarget } from '../daemon/targets';
import { buildTotals, type LoadReport } from '../report/load-report';
import type { RateSegment } from '../schedule/profiles';
import type { IntervalSample } from '../stats/run-recorder';
import { LoadSession, type WorkloadOptions } from './load-session';

export interface LoadRunOptions {
  readonly name: string;
  readonly profileName: string;
  readonly profileParams: Record<string, unknown>;
  readonly segments: readonly RateSegment[];
  /** Seconds at the first segment's rate before measuring (excluded from the report, not from the ledger check). */
  readonly warmupS: number;
  readonly target: Omit<LoadTarget, 'stop'>;
  readonly sender: Credentials;
  readonly receiver: Credentials;
  readonly workload: WorkloadOptions;
  readonly tickMs: number;
  readonly maxBurst: number;
  /** Run the receiving peer in its own worker thread (LoadSessionOptions.receiverThread). */
  readonly receiverThread?: boolean;
  readonly intervalMs: number;
  readonly log: (line: string) => void;
  readonly samplerEnv?: SamplerEnv;
  /** Ends the run early (SIGINT); the report is still produced for what ran. */
  readonly signal?: AbortSignal;
}

/** Balances the connector reports right after a run may lag by a flush; re-read briefly before judging. */
async function settledBalanceCheck(
  url: string,
  before: BalanceMap,
  fetchText: (url: string) => Promise<string>,
  expected: Omit<Parameters<typeof checkBalances>[0], 'url' | 'before' | 'after'>,
): Promise<BalanceCheck> {
  let check: BalanceCheck | undefined;
  for (let attempt = 0; attempt < 10; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
    check = checkBalances({ url, before, after: await fetchBalances(url, fetchText), ...expected });
    if (check.balanced) break;
  }
  return check as BalanceCheck;
}

function progressLine(s: IntervalSample): string {
  const d = s.daemon;
  const codes = Object.entries(s.rejectedByCode)
    .map(([c, n]) => `${c}:${n}`)
    .join(' ');
  return (
    `t=${Math.round(s.t)}s target=${s.targetRate}/s sent=${s.sent} fulfilled=${s.fulfilled} rejected=${s.rejected}` +
    `${codes ? ` (${codes})` : ''} timedOut=${s.timedOut} p50=${s.p50Ms}ms p99=${s.p99Ms}ms inFlight=${s.inFlight}` +
    `${d.cpuPct !== undefined ? ` cpu=${d.cpuPct}%` : ''}${d.heapMB !== undefined ? ` heap=${d.heapMB}MB` : ''}`
  );
}

/** One profile against one target: warm-up, balances before, the measured phase, balances after. */
export async function runLoad(o: LoadRunOptions): Promise<LoadReport> {
  const env = o.samplerEnv ?? defaultSamplerEnv();
  const t = o.target;
  const session = await LoadSession.open({
    senderUrl: t.senderUrl,
    receiverUrl: t.receiverUrl,
    sender: o.sender,
    receiver: o.receiver,
    receiverAddress: t.receiverAddress,
    workload: o.workload,
    tickMs: o.tickMs,
    maxBurst: o.maxBurst,
    receiverThread: o.receiverThread,
  });
  try {
    o.log(
      `connected: sender ${o.sender.username}, receiver ${o.receiver.username} at ${session.receiver.address}`,
    );
    if (o.warmupS > 0 && o.segments.length > 0) {
      o.log(`warm-up: ${o.warmupS} s at ${o.segments[0].rate}/s`);
      await session.runPhase([{ rate: o.segments[0].rate, durationMs: o.warmupS * 1000 }], {
        intervalMs: o.intervalMs,
        signal: o.signal,
      });
    }
    let balanceError: string | undefined;
    let before: BalanceMap | undefined;
    if (t.balancesUrl) {
      try {
        before = await fetchBalances(t.balancesUrl, env.fetchText);
      } catch (e) {
        balanceError = `before the run: ${(e as Error).message}`;
      }
    }
    const senderBefore = session.sender.fulfilledAmountTotal;
    const receiverBefore = session.receiver.fulfilledAmount;
    const receiverCounts = {
      prepares: session.receiver.prepares,
      fulfilled: session.receiver.fulfilled,
      rejected: session.receiver.rejected,
    };
    const sampler = new DaemonSampler({ pid: t.pid, metricsUrl: t.metricsUrl }, env);
    let lastLog = 0;
    const phase = await session.runPhase(o.segments, {
      intervalMs: o.intervalMs,
      sampler,
      signal: o.signal,
      onInterval: (s) => {
        if (s.t - lastLog >= 10 || s.targetRate === 0) {
          lastLog = s.t;
          o.log(progressLine(s));
        }
      },
    });
    if (phase.aborted) o.log(`run ended early: ${phase.aborted}`);
    let balances: BalanceCheck | undefined;
    if (t.balancesUrl && before) {
      try {
        balances = await settledBalanceCheck(t.balancesUrl, before, env.fetchText, {
          senderPeer: o.sender.username,
          receiverPeer: o.receiver.username,
          fulfilledAmount: BigInt(Math.round(session.sender.fulfilledAmountTotal - senderBefore)),
          receiverFulfilledAmount: BigInt(Math.round(session.receiver.fulfilledAmount - receiverBefore)),
        });
      } catch (e) {
        balanceError = `after the run: ${(e as Error).message}`;
      }
    }
    if (balanceError) o.log(`ledger check failed: ${balanceError}`);
    const r = session.receiver;
    return {
      tool: 'ilpd-loadgen',
      reportVersion: 1,
      name: o.name,
      startedAt: phase.startedAt.toISOString(),
      finishedAt: phase.finishedAt.toISOString(),
      profile: { name: o.profileName, params: o.profileParams, segments: o.segments },
      target: {
        kind: t.kind,
        senderUrl: t.senderUrl,
        receiverUrl: t.receiverUrl,
        sender: o.sender.username,
        receiver: o.receiver.username,
        receiverAddress: r.address,
        ...(t.pid !== undefined ? { daemonPid: t.pid } : {}),
        ...(t.metricsUrl ? { metricsUrl: t.metricsUrl } : {}),
        ...(t.balancesUrl ? { balancesUrl: t.balancesUrl } : {}),
      },
      workload: {
        ...o.workload,
        warmupS: o.warmupS,
        tickMs: o.tickMs,
        intervalMs: o.intervalMs,
        receiverThread: o.receiverThread !== false,
      },
      machine: {
        nproc: availableParallelism(),
        clkTck: env.clkTck,
        node: process.version,
        platform: process.platform,
      },
      totals: buildTotals({
        totals: phase.totals,
        series: phase.series,
        scheduleMs: phase.scheduleMs,
        scheduledPackets: phase.scheduledPackets,
        lateResponses: session.sender.lateResponses,
        receiver: {
          prepares: r.prepares - receiverCounts.prepares,
          fulfilled: r.fulfilled - receiverCounts.fulfilled,
          rejected: r.rejected - receiverCounts.rejected,
        },
      }),
      ...(phase.aborted ? { aborted: phase.aborted } : {}),
      ...(balances ? { balances } : {}),
      ...(balanceError ? { balanceError } : {}),
      // A check that was asked for (balances URL) but could not be made counts as failed.
      balanced: balances ? balances.balanced : balanceError ? false : null,
      series: phase.series,
    };
  } finally {
    await session.close();
  }
}
