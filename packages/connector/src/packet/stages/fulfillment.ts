import { hash } from 'node:crypto';
import { decodeFulfill, decodeReject, IlpPacketType, isCodecError, peekIlpPacketType } from '@ilpd/codec';
import { DaemonError } from '../../errors';

/**
 * Fulfillment check stage: classifies the next hop's answer. Returns undefined for a Fulfill whose
 * fulfillment hashes (SHA-256) to the Prepare's condition, or the code of a well-formed Reject (relayed
 * unchanged). A Fulfill with the wrong fulfillment is F05: we must not pay upstream for it. Anything
 * that is neither is an invalid response (T00).
 */
export function checkResponse(response: Buffer, executionCondition: Buffer): string | undefined {
  const type = peekIlpPacketType(response);
  try {
    if (type === IlpPacketType.Fulfill) {
      const fulfillment = decodeFulfill(response).fulfillment;
      const digest = hash('sha256', fulfillment, 'buffer');
      if (!digest.equals(executionCondition)) {
        throw new DaemonError('ILPD_ERR_WRONG_CONDITION', 'fulfillment does not match the condition');
      }
      return undefined;
    }
    if (type === IlpPacketType.Reject) return decodeReject(response).code;
  } catch (err) {
    if (isCodecError(err)) {
      throw new DaemonError('ILPD_ERR_INVALID_RESPONSE', `next hop sent an invalid packet: ${err.message}`);
    }
    throw err;
  }
  throw new DaemonError('ILPD_ERR_INVALID_RESPONSE', `next hop answered with packet type ${type}`);
}
