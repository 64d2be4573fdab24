import { DaemonError } from '../../errors';

export interface ExpiryPolicy {
  /** Time we keep back for ourselves on each hop. */
  readonly minMessageWindowMs: number;
  /** Longest we hold a forwarded Prepare. */
  readonly maxHoldTimeMs: number;
}

/**
 * Expiry stage: the expiry of the Prepare we forward.
 *
 * outgoing = min(incoming − minMessageWindow, now + maxHoldTime). The window we keep back is the time
 * we need to relay a Fulfill upstream after the next hop answers at the last moment. The next hop must
 * itself be left at least one window (it keeps one back too), so like ilp-connector we reject R02 when
 * the incoming Prepare has already expired or the outgoing one would leave less than
 * minMessageWindow: with the default hold time that means less than two windows left on arrival.
 */
export function outgoingExpiryMs(incomingExpiresAtMs: number, nowMs: number, policy: ExpiryPolicy): number {
  if (incomingExpiresAtMs <= nowMs) {
    throw new DaemonError(
      'ILPD_ERR_INSUFFICIENT_TIMEOUT',
      `packet expired ${nowMs - incomingExpiresAtMs} ms ago`,
    );
  }
  const outgoing = Math.min(incomingExpiresAtMs - policy.minMessageWindowMs, nowMs + policy.maxHoldTimeMs);
  if (outgoing - nowMs < policy.minMessageWindowMs) {
    throw new DaemonError(
      'ILPD_ERR_INSUFFICIENT_TIMEOUT',
      `packet expires too soon: ${incomingExpiresAtMs - nowMs} ms left, need ${2 * policy.minMessageWindowMs} ms`,
    );
  }
  return outgoing;
}
