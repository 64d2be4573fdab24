import {
  decodeIldcpResponse,
  decodeReject,
  encodeIldcpRequest,
  isCodecError,
  isValidIlpAddress,
  type IldcpResponse,
  IlpPacketType,
} from '@ilpd/codec';
import { DaemonError } from '../errors';
import type { PeerLink } from '../ports';

const CONNECT_POLL_MS = 25;

/**
 * ILDCP client (RFC 31): asks a parent for our address and asset at startup, when the config has no
 * address. Waits for the parent's session to come up (it may still be connecting), then sends one
 * `peer.config` request; everything must finish within timeoutMs or it fails with ILPD_ERR_ILDCP.
 */
export async function fetchAddressFromParent(
  peerLink: PeerLink,
  parentId: string,
  timeoutMs: number,
): Promise<IldcpResponse> {
  const deadline = Date.now() + timeoutMs;
  while (!peerLink.isConnected(parentId)) {
    if (Date.now() >= deadline) {
      throw new DaemonError('ILPD_ERR_ILDCP', `parent ${parentId} did not connect within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, CONNECT_POLL_MS));
  }
  const remaining = Math.max(1, deadline - Date.now());
  let response: Buffer;
  try {
    response = await peerLink.sendIlp(parentId, encodeIldcpRequest(new Date(deadline)), remaining);
  } catch (err) {
    throw new DaemonError('ILPD_ERR_ILDCP', `ILDCP request to ${parentId} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
  return parseIldcpAnswer(parentId, response);
}

function parseIldcpAnswer(parentId: string, response: Buffer): IldcpResponse {
  try {
    if (response[0] === IlpPacketType.Reject) {
      const reject = decodeReject(response);
      throw new DaemonError(
        'ILPD_ERR_ILDCP',
        `parent ${parentId} rejected ILDCP: ${reject.code} ${reject.message} (triggered by ${reject.triggeredBy})`,
      );
    }
    if (response[0] !== IlpPacketType.Fulfill) {
      throw new DaemonError(
        'ILPD_ERR_ILDCP',
        `parent ${parentId} answered ILDCP with packet type ${response[0]}`,
      );
    }
    const answer = decodeIldcpResponse(response);
    if (!isValidIlpAddress(answer.clientAddress)) {
      throw new DaemonError(
        'ILPD_ERR_ILDCP',
        `parent ${parentId} assigned an invalid ILP address: ${answer.clientAddress}`,
      );
    }
    return answer;
  } catch (err) {
    if (isCodecError(err)) {
      throw new DaemonError(
        'ILPD_ERR_ILDCP',
        `parent ${parentId} sent an invalid ILDCP answer: ${err.message}`,
      );
    }
    throw err;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
