import type { RateSegment } from './profiles';

/**
 * A fixed send schedule: packet m of a segment with rate r starting at s is due at s + m·1000/r ms.
 * The schedule never looks at responses (open loop), so a stalled connector shows up as latency measured
 * from these scheduled times instead of as a lower send rate (no coordinated omission).
 */
export class OpenLoopSchedule {
  readonly durationMs: number;
  readonly totalPackets: number;
  private readonly starts: number[] = [];
  private readonly counts: number[] = [];
  private segment = 0;
  private indexInSegment = 0;
  private taken = 0;

  constructor(private readonly segments: readonly RateSegment[]) {
    let start = 0;
    let total = 0;
    for (const s of segments) {
      this.starts.push(start);
      const n = s.rate > 0 ? Math.floor((s.rate * s.durationMs) / 1000) : 0;
      this.counts.push(n);
      start += s.durationMs;
      total += n;
    }
    this.durationMs = start;
    this.totalPackets = total;
    this.skipEmptySegments();
  }

  /** Packets handed out so far. */
  get packetsTaken(): number {
    return this.taken;
  }

  get done(): boolean {
    return this.segment >= this.segments.length;
  }

  /** Scheduled time (ms since the start) of the next packet; -1 when the schedule is exhausted. */
  nextAt(): number {
    if (this.segment >= this.segments.length) return -1;
    return this.starts[this.segment] + (this.indexInSegment * 1000) / this.segments[this.segment].rate;
  }

  /**
   * Scheduled time (ms since the start) of the next packet if it is due at `elapsedMs`, and advances;
   * -1 when nothing is due yet or the schedule is exhausted.
   */
  takeDue(elapsedMs: number): number {
    const at = this.nextAt();
    if (at < 0 || at > elapsedMs) return -1;
    this.taken++;
    this.indexInSegment++;
    if (this.indexInSegment >= this.counts[this.segment]) {
      this.segment++;
      this.indexInSegment = 0;
      this.skipEmptySegments();
    }
    return at;
  }

  /** Target rate at a point in time (for the report's per-second series). */
  rateAt(elapsedMs: number): number {
    for (let i = 0; i < this.segments.length; i++) {
      if (elapsedMs < this.starts[i] + this.segments[i].durationMs) return this.segments[i].rate;
    }
    return 0;
  }

  private skipEmptySegments(): void {
    while (this.segment < this.segments.length && this.counts[this.segment] === 0) this.segment++;
  }
}
