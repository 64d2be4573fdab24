/**
 * Time sources of the packet path, injected so tests can pin them. `now` is wall-clock epoch ms (ILP
 * expiries are wall-clock); `monotonic` is fractional ms that never jumps (latency measurements).
 */
export interface Clock {
  now(): number;
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};
