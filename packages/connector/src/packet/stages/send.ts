import { DaemonError } from '../../errors';
import type { PeerLink } from '../types';

/**
 * Send stage: forwards the Prepare over the next hop's BTP session and resolves with its answer. We
 * hold our own timer until the outgoing expiry rather than trusting the transport's: when it fires we
 * reject R00 at once, and an answer arriving later is dropped (the next hop's Prepare has expired, so a
 * late Fulfill is not binding). Transport failures keep their codes (T01 not connected, R00 timeout).
 */
export function sendWithDeadline(
  peerLink: PeerLink,
  toPeer: string,
  ilp: Buffer,
  timeoutMs: number,
): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new DaemonError('ILPD_ERR_TIMED_OUT', `${toPeer} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    peerLink.sendIlp(toPeer, ilp, timeoutMs).then(
      (response) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(response);
      },
      (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
