import {
  CCP_CONDITION,
  CCP_CONTROL_DESTINATION,
  CCP_UPDATE_DESTINATION,
  decodeRouteControlRequest,
  decodeRouteUpdateRequest,
  encodeCcpResponse,
  ILDCP_DESTINATION,
  isCodecError,
  type PrepareView,
} from '@ilpd/codec';
import { DaemonError } from '../../errors';
import type { CcpMessageHandler, IldcpRequestHandler } from '../../ports';

const PEER_PREFIX = 'peer.';

/** Destinations under `peer.` are link-local protocols answered by us and never forwarded. */
export function isPeerProtocolDestination(destination: string): boolean {
  return destination.startsWith(PEER_PREFIX);
}

/**
 * Local destinations stage: `peer.config` (ILDCP) and `peer.route.control` / `peer.route.update` (CCP)
 * are answered here with their Fulfill; any other `peer.*` is F02. Peer protocols use a fixed
 * condition; a Prepare with another one is F01 (as in ilp-connector's peer protocol controller).
 */
export function answerPeerProtocol(
  fromPeer: string,
  prepare: PrepareView,
  ildcp: IldcpRequestHandler,
  ccp: CcpMessageHandler,
): Buffer {
  const destination = prepare.destination;
  const isCcp = destination === CCP_CONTROL_DESTINATION || destination === CCP_UPDATE_DESTINATION;
  if (destination !== ILDCP_DESTINATION && !isCcp) {
    throw new DaemonError('ILPD_ERR_UNREACHABLE', `unknown peer protocol ${destination}`);
  }
  if (!prepare.executionCondition.equals(CCP_CONDITION)) {
    throw new DaemonError('ILPD_ERR_INVALID_PACKET', `${destination} requires the peer protocol condition`);
  }
  if (destination === ILDCP_DESTINATION) return ildcp.answer(fromPeer, prepare);
  if (destination === CCP_CONTROL_DESTINATION) {
    ccp.handleRouteControl(fromPeer, decodeCcp(prepare, decodeRouteControlRequest));
  } else {
    ccp.handleRouteUpdate(fromPeer, decodeCcp(prepare, decodeRouteUpdateRequest));
  }
  return encodeCcpResponse();
}

function decodeCcp<T>(prepare: PrepareView, decode: (data: Buffer) => T): T {
  try {
    return decode(prepare.data);
  } catch (err) {
    if (isCodecError(err)) {
      throw new DaemonError(
        'ILPD_ERR_INVALID_PACKET',
        `invalid ${prepare.destination} message: ${err.message}`,
      );
    }
    throw err;
  }
}
