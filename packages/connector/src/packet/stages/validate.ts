import { decodePrepare, IlpPacketType, isCodecError, peekIlpPacketType, type PrepareView } from '@ilpd/codec';
import { DaemonError } from '../../errors';

/**
 * Validate stage: the bytes a peer sent must be one well-formed ILP Prepare (the codec checks every
 * field, including that the destination is a valid ILP address).
 * Pure (no I/O, no clock), so it can run in a worker on a micro-batch. Throws DaemonError F01.
 */
export function decodeIncomingPrepare(ilp: Buffer): PrepareView {
  const type = peekIlpPacketType(ilp);
  if (type !== IlpPacketType.Prepare) {
    throw new DaemonError(
      'ILPD_ERR_INVALID_PACKET',
      type === -1 ? 'empty ILP packet' : `expected an ILP Prepare (type 12), got type ${type}`,
    );
  }
  try {
    return decodePrepare(ilp);
  } catch (err) {
    if (isCodecError(err)) {
      throw new DaemonError('ILPD_ERR_INVALID_PACKET', `invalid ILP Prepare: ${err.message}`, { cause: err });
    }
    throw err;
  }
}
