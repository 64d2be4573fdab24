import { readFileSync } from 'node:fs';
import { LoadSession, type PhaseResult } from '../../../packages/loadgen/src/run/load-session';
import { DEFAULT_WORKLOAD } from '../../../packages/loadgen/src/run/load-session';
import { childPeer, DaemonProcess, type PeerSpec } from '../../helpers/daemon-process';

/**
 * The cast of the isolation suites and of `npm run chaos`, all children of one ilpd (address
 * test.e2e): carol pays dave (the honest pair, driven by the load suite's sender and receiver), while
 * alice floods, bob never answers, erin floods frank, who stops reading his socket, mallory sends
 * what no valid peer would, and grace only ever connects (to measure whether she still can).
 */
export const CAST = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'mallory', 'grace'] as const;
export type CastMember = (typeof CAST)[number];

export const tokenOf = (id: CastMember): string => `${id}-secret`;
export const addressOf = (id: CastMember): string => `test.e2e.${id}`;

const LIMIT = '1000000000000000000';

export function castPeers(extra: Partial<Record<CastMember, Record<string, unknown>>> = {}): PeerSpec[] {
  return CAST.map((id) =>
    childPeer(id, tokenOf(id), { balance: { minimum: `-${LIMIT}`, maximum: LIMIT }, ...extra[id] }),
  );
}

/** ilpd with the cast as children, info logs (so the test sees warnings), no spread. */
export function startCastDaemon(
  config: Record<string, unknown> = {},
  extra: Partial<Record<CastMember, Record<string, unknown>>> = {},
): Promise<DaemonProcess> {
  return DaemonProcess.start({
    peers: castPeers(extra),
    config: { fx: { spread: 0 }, log: { level: 'info' }, ...config },
  });
}

export interface HonestFigures {
  readonly sent: number;
  readonly fulfilled: number;
  readonly rejected: number;
  readonly timedOut: number;
  readonly rejectedByCode: Record<string, number>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** p99 of how late the honest sender put packets on the wire (its own CPU starvation). */
  readonly sendLagP99Ms: number;
}

/** carol → dave through the load suite's open-loop sender and its receiver thread. */
export class HonestPair {
  private constructor(private readonly session: LoadSession) {}

  static async open(daemon: DaemonProcess): Promise<HonestPair> {
    const session = await LoadSession.open({
      senderUrl: daemon.btpUrl,
      receiverUrl: daemon.btpUrl,
      sender: { username: 'carol', token: tokenOf('carol') },
      receiver: { username: 'dave', token: tokenOf('dave') },
      workload: { ...DEFAULT_WORKLOAD, poolSize: 4096, expiryMs: 10_000 },
      tickMs: 1,
      maxBurst: 5000,
    });
    return new HonestPair(session);
  }

  async run(rate: number, seconds: number): Promise<HonestFigures> {
    const result: PhaseResult = await this.session.runPhase([{ rate, durationMs: seconds * 1000 }], {
      intervalMs: 1000,
    });
    if (result.aborted !== undefined) throw new Error(`honest pair aborted: ${result.aborted}`);
    const t = result.totals;
    return {
      sent: t.sent,
      fulfilled: t.fulfilled,
      rejected: t.rejected,
      timedOut: t.timedOut,
      rejectedByCode: t.rejectedByCode,
      p50Ms: t.latency.p50Ms,
      p99Ms: t.latency.p99Ms,
      maxMs: t.latency.maxMs,
      sendLagP99Ms: t.sendLag.p99Ms,
    };
  }

  close(): Promise<void> {
    return this.session.close();
  }
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number =>
    Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1]) * 1024;
  return { rss: kb('VmRSS:'), peak: kb('VmHWM:') };
}

/** One value of a Prometheus text exposition (the first series whose name and labels start like `series`). */
export async function metricValue(daemon: DaemonProcess, series: string): Promise<number> {
  const body = (await daemon.getJson('/metrics')).body as string;
  const line = body.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
