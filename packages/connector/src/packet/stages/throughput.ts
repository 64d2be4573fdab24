import { DaemonError } from '../../errors';

/**
 * Throughput stage: a token bucket of value per incoming peer. It holds burstAmount, refills at
 * amountPerSecond, and each Prepare takes its amount; when not enough is left the Prepare is rejected
 * T04 (as ilp-connector's throughput middleware does). Kept in thousandths of a unit so the refill of
 * any whole number of milliseconds is exact integer arithmetic.
 */
export class AmountThroughputLimiter {
  private milliTokens: bigint;
  private lastRefillMs: number;
  private readonly capacity: bigint;

  constructor(
    private readonly peerId: string,
    private readonly amountPerSecond: bigint,
    burstAmount: bigint,
    nowMs: number,
  ) {
    this.capacity = burstAmount * 1000n;
    this.milliTokens = this.capacity;
    this.lastRefillMs = nowMs;
  }

  take(amount: bigint, nowMs: number): void {
    if (amount === 0n) return;
    const elapsed = Math.floor(nowMs - this.lastRefillMs);
    if (elapsed > 0) {
      const refilled = this.milliTokens + BigInt(elapsed) * this.amountPerSecond;
      this.milliTokens = refilled > this.capacity ? this.capacity : refilled;
      this.lastRefillMs += elapsed;
    }
    const needed = amount * 1000n;
    if (this.milliTokens < needed) {
      throw new DaemonError(
        'ILPD_ERR_THROUGHPUT_LIMITED',
        `peer ${this.peerId} exceeds its throughput limit`,
      );
    }
    this.milliTokens -= needed;
  }
}
