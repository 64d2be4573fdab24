/**
 * Reconnect delay with capped exponential backoff and full jitter: uniformly random in
 * [0, min(maxMs, initialMs × 2^attempt)). Jitter spreads the reconnects of many clients after a shared
 * outage; the cap bounds how long a restarted peer waits to be found again.
 */
export function reconnectDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 40));
  return Math.floor(random() * ceiling);
}
