import { BtpPacketType, encodeBtp, type BtpProtocolData } from '@ilpd/codec';
import type { RawData } from 'ws';

/** BTP error names of RFC 23 used by ilpd. */
export const BTP_NOT_ACCEPTED = { code: 'F00', name: 'NotAcceptedError' } as const;
export const BTP_TEMPORARY = { code: 'T00', name: 'TemporaryError' } as const;

export function btpError(
  requestId: number,
  error: { readonly code: string; readonly name: string },
  message: string,
): Buffer {
  return encodeBtp({
    type: BtpPacketType.Error,
    requestId,
    code: error.code,
    name: error.name,
    triggeredAt: new Date(),
    data: Buffer.from(message, 'utf8'),
    protocolData: [],
  });
}

export function btpEmptyResponse(requestId: number): Buffer {
  return encodeBtp({ type: BtpPacketType.Response, requestId, protocolData: [] });
}

/** The auth Message of RFC 23 as ilp-plugin-btp sends it: `auth` (empty), `auth_username`, `auth_token`. */
export function btpAuthMessage(requestId: number, username: string, token: string): Buffer {
  const text = (protocolName: string, value: string): BtpProtocolData => ({
    protocolName,
    contentType: 1,
    data: Buffer.from(value, 'utf8'),
  });
  return encodeBtp({
    type: BtpPacketType.Message,
    requestId,
    protocolData: [
      { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
      text('auth_username', username),
      text('auth_token', token),
    ],
  });
}

/** ws delivers a Buffer for binary frames with the default binaryType; anything else is joined once. */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
