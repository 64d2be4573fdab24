import { DaemonError } from '../../errors';

/**
 * Rate limit stage: a token bucket of packets per incoming peer. It holds `burst` tokens, refills at
 * packetsPerSecond, and each Prepare takes one; an empty bucket rejects T05 (the peer may retry later).
 */
export class PacketRateLimiter {
  private tokens: number;
  private lastRefillMs: number;
  private readonly perMs: number;

  constructor(
    private readonly peerId: string,
    packetsPerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.perMs = packetsPerSecond / 1000;
    this.tokens = burst;
    this.lastRefillMs = nowMs;
  }

  take(nowMs: number): void {
    const elapsed = nowMs - this.lastRefillMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perMs);
      this.lastRefillMs = nowMs;
    }
    if (this.tokens < 1) {
      throw new DaemonError('ILPD_ERR_RATE_LIMITED', `peer ${this.peerId} exceeds its packet rate limit`);
    }
    this.tokens -= 1;
  }
}
