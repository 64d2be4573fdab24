import { BtpPacketType, encodeBtp } from '@ilpd/codec';
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

/** ws delivers a Buffer for binary frames with the default binaryType; anything else is joined once. */
export function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
