import { OpenLoopSchedule } from './open-loop-schedule';

/** Receives the packets the schedule releases; scheduledAtMs is on the loop's clock. */
export interface PacketSink {
  /** Called once before a burst and once after, so the sink can batch socket writes. */
  beginBurst(nowMs: number): void;
  send(scheduledAtMs: number): void;
  endBurst(): void;
}

export interface SendLoopOptions {
  /** Timer period: every tick sends every packet whose scheduled time has passed. */
  readonly tickMs: number;
  /** Largest burst per tick; a longer backlog continues on the next turn of the event loop. */
  readonly maxBurst: number;
  /** Monotonic milliseconds. */
  readonly now: () => number;
}

/**
 * Drives an OpenLoopSchedule with a short timer. Bursts per tick keep timer overhead low at high rates;
 * the schedule itself (not the tick) defines each packet's send time, so tick jitter never changes the
 * offered load, only when it reaches the wire.
 */
export class SendLoop {
  private startMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running = false;
  private resolveDone: (() => void) | undefined;

  constructor(
    private readonly schedule: OpenLoopSchedule,
    private readonly sink: PacketSink,
    private readonly options: SendLoopOptions,
  ) {}

  /** Starts at `startMs` (defaults to now); resolves when every scheduled packet was sent or on stop(). */
  run(startMs = this.options.now()): Promise<void> {
    this.startMs = startMs;
    this.running = true;
    return new Promise((resolve) => {
      this.resolveDone = resolve;
      this.loop();
    });
  }

  get started(): number {
    return this.startMs;
  }

  /** Sends every packet due now (at most maxBurst); returns how many were sent. */
  runTick(): number {
    const now = this.options.now();
    const elapsed = now - this.startMs;
    let sent = 0;
    let at = this.schedule.takeDue(elapsed);
    if (at < 0) return 0;
    this.sink.beginBurst(now);
    while (at >= 0) {
      this.sink.send(this.startMs + at);
      if (++sent >= this.options.maxBurst) break;
      at = this.schedule.takeDue(elapsed);
    }
    this.sink.endBurst();
    return sent;
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    const done = this.resolveDone;
    this.resolveDone = undefined;
    done?.();
  }

  private readonly loop = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    if (!this.running) return;
    const sent = this.runTick();
    if (this.schedule.done) {
      this.stop();
      return;
    }
    if (sent >= this.options.maxBurst) {
      this.immediate = setImmediate(this.loop);
      return;
    }
    // Sleep a tick, or until the next packet is due when that is later (every wakeup costs CPU).
    const untilNext = this.startMs + this.schedule.nextAt() - this.options.now();
    this.timer = setTimeout(this.loop, Math.max(this.options.tickMs, Math.floor(untilNext)));
  };
}
