import { randomBytes } from 'node:crypto';
import type { DaemonSampler } from '../daemon/sampler';
import { SelfCpuMeter } from '../daemon/sampler';
import type { Credentials } from '../daemon/targets';
import { LoadReceiver, type ReceivingPeer } from '../peers/load-receiver';
import { LoadReceiverThread } from '../peers/load-receiver-thread';
import { LoadSender } from '../peers/load-sender';
import { OpenLoopSchedule } from '../schedule/open-loop-schedule';
import type { RateSegment } from '../schedule/profiles';
import { SendLoop } from '../schedule/send-loop';
import { RunRecorder, type IntervalSample, type RunTotals } from '../stats/run-recorder';
import { buildPacketPool, type PacketPool } from '../workload/packet-pool';

export interface WorkloadOptions {
  readonly poolSize: number;
  readonly amountMin: number;
  readonly amountMax: number;
  readonly rejectFraction: number;
  readonly accounts: number;
  readonly paddingBytes: number;
  readonly seed: number;
  readonly expiryMs: number;
  readonly rejectCode: string;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  poolSize: 16_384,
  amountMin: 1,
  amountMax: 1000,
  rejectFraction: 0,
  accounts: 100,
  paddingBytes: 0,
  seed: 1,
  expiryMs: 20_000,
  rejectCode: 'F99',
};

export interface LoadSessionOptions {
  readonly senderUrl: string;
  readonly receiverUrl: string;
  readonly sender: Credentials;
  readonly receiver: Credentials;
  /** Skip ILDCP and use this address for the receiver. */
  readonly receiverAddress?: string;
  readonly workload: WorkloadOptions;
  readonly tickMs: number;
  readonly maxBurst: number;
  /**
   * Run the receiving peer in its own worker thread (default), so its work and GC pauses never delay the
   * sender; false keeps it on the sender's thread, for comparison.
   */
  readonly receiverThread?: boolean;
}

export interface PhaseOptions {
  readonly intervalMs: number;
  readonly sampler?: DaemonSampler;
  readonly onInterval?: (sample: IntervalSample) => void;
  /** Ends the phase early (e.g. on SIGINT); what was sent so far is still drained and counted. */
  readonly signal?: AbortSignal;
}

export interface PhaseResult {
  readonly startedAt: Date;
  readonly finishedAt: Date;
  /** Length of the offered-load schedule (the drain after it is not included). */
  readonly scheduleMs: number;
  readonly scheduledPackets: number;
  readonly totals: RunTotals;
  readonly series: IntervalSample[];
  /** Why the phase ended before its schedule did. */
  readonly aborted?: string;
}

/** Responses later than the Prepare expiry plus this are counted as timed out. */
const TIMEOUT_GRACE_MS = 1000;
const now = (): number => performance.now();

/** A connected sender/receiver pair with its packet pool; runs any number of load phases. */
export class LoadSession {
  private constructor(
    readonly sender: LoadSender,
    readonly receiver: ReceivingPeer,
    readonly pool: PacketPool,
    private readonly options: LoadSessionOptions,
  ) {}

  static async open(o: LoadSessionOptions): Promise<LoadSession> {
    const secret = randomBytes(32);
    const receiverOptions = {
      url: o.receiverUrl,
      ...o.receiver,
      secret,
      address: o.receiverAddress,
      rejectCode: o.workload.rejectCode,
    };
    const receiver: ReceivingPeer =
      o.receiverThread === false
        ? new LoadReceiver(receiverOptions)
        : new LoadReceiverThread(receiverOptions);
    await receiver.start();
    const w = o.workload;
    const pool = buildPacketPool({ receiverAddress: receiver.address, secret, size: w.poolSize, ...w });
    const sender = new LoadSender({
      url: o.senderUrl,
      ...o.sender,
      pool,
      expiryMs: w.expiryMs,
      expectedRejectCode: w.rejectCode,
      now,
    });
    try {
      await sender.start();
    } catch (e) {
      await receiver.stop();
      throw e;
    }
    return new LoadSession(sender, receiver, pool, o);
  }

  /** Sends the schedule open-loop, then waits for the stragglers; one sample per interval. */
  async runPhase(segments: readonly RateSegment[], p: PhaseOptions): Promise<PhaseResult> {
    const recorder = new RunRecorder();
    this.sender.useRecorder(recorder);
    const schedule = new OpenLoopSchedule(segments);
    const loop = new SendLoop(schedule, this.sender, {
      tickMs: this.options.tickMs,
      maxBurst: this.options.maxBurst,
      now,
    });
    const selfCpu = new SelfCpuMeter();
    const startedAt = new Date();
    const start = now();
    p.sampler?.sample(start);
    p.sampler?.machineCpuPct();
    void p.sampler?.scrapeHeap();
    let lastClose = start;
    let k = 0;
    let timer: NodeJS.Timeout | undefined;
    const close = (t: number): void => {
      this.sender.sweepTimeouts(t, TIMEOUT_GRACE_MS);
      const mid = (lastClose + t) / 2 - start;
      const sample = recorder.closeInterval((t - start) / 1000, (t - lastClose) / 1000, {
        targetRate: mid < schedule.durationMs ? schedule.rateAt(mid) : 0,
        inFlight: this.sender.inFlight,
        daemon: p.sampler ? p.sampler.sample(t) : {},
        loadgenCpuPctPerCore: selfCpu.sample(),
        machineCpuPct: p.sampler?.machineCpuPct(),
      });
      lastClose = t;
      void p.sampler?.scrapeHeap();
      p.onInterval?.(sample);
    };
    let aborted: string | undefined;
    const abort = (reason: string): void => {
      aborted ??= reason;
      loop.stop();
    };
    const onAbort = (): void => abort('interrupted');
    p.signal?.addEventListener('abort', onAbort);
    const onTimer = (): void => {
      const lost = this.lostConnection();
      if (lost) abort(lost);
      close(now());
      k++;
      timer = setTimeout(onTimer, Math.max(0, start + (k + 1) * p.intervalMs - now()));
    };
    timer = setTimeout(onTimer, p.intervalMs);
    let sendingEndedAt = start;
    try {
      const running = loop.run(start);
      if (p.signal?.aborted) onAbort();
      await running;
      sendingEndedAt = now();
      await this.sender.drain(this.options.workload.expiryMs + 2 * TIMEOUT_GRACE_MS, TIMEOUT_GRACE_MS);
    } finally {
      loop.stop();
      clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
    }
    const lost = this.lostConnection();
    if (lost) aborted ??= lost;
    const end = now();
    if (end - lastClose >= p.intervalMs / 10) close(end);
    else recorder.mergeInterval();
    return {
      startedAt,
      finishedAt: new Date(),
      // An interrupted phase is rated over the time it actually offered load.
      scheduleMs: aborted ? Math.min(schedule.durationMs, sendingEndedAt - start) : schedule.durationMs,
      scheduledPackets: aborted ? schedule.packetsTaken : schedule.totalPackets,
      totals: recorder.totals(),
      series: recorder.series,
      ...(aborted ? { aborted } : {}),
    };
  }

  /** Describes a BTP session that closed under us, if any (a dead connector ends the phase). */
  lostConnection(): string | undefined {
    for (const [who, peer] of [
      ['sender', this.sender.session],
      ['receiver', this.receiver],
    ] as const) {
      const c = peer.closedWith;
      if (c) return `the ${who}'s BTP connection closed (code ${c.code}${c.reason ? `: ${c.reason}` : ''})`;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.sender.stop(), this.receiver.stop()]);
  }
}
