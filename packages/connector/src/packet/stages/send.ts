import type { PeerLink } from '../types';

/**
 * Send stage: forwards the Prepare over the next hop's BTP session and resolves with its answer. The
 * deadline is the PeerLink's (one timer per packet, held by the BTP session): it rejects with
 * ILPD_ERR_TIMED_OUT (R00) once `timeoutMs` passes and forgets the request, so an answer arriving later
 * is dropped (the next hop's Prepare has expired, so a late Fulfill is not binding). Transport failures
 * keep their codes (T01 not connected, R00 timeout).
 */
export function sendWithDeadline(
  peerLink: PeerLink,
  toPeer: string,
  ilp: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  return peerLink.sendIlp(toPeer, ilp, timeoutMs);
}
