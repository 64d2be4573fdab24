import { CodecError, truncated } from './errors';
import { checkUInt64, writeUInt64At } from './oer';

/** ILP error codes and their names (RFC 27 §"Error Codes"). */
export const ILP_ERROR_NAMES: Readonly<Record<string, string>> = Object.freeze({
  F00: 'Bad Request',
  F01: 'Invalid Packet',
  F02: 'Unreachable',
  F03: 'Invalid Amount',
  F04: 'Insufficient Destination Amount',
  F05: 'Wrong Condition',
  F06: 'Unexpected Payment',
  F07: 'Cannot Receive',
  F08: 'Amount Too Large',
  F99: 'Application Error',
  T00: 'Internal Error',
  T01: 'Peer Unreachable',
  T02: 'Peer Busy',
  T03: 'Connector Busy',
  T04: 'Insufficient Liquidity',
  T05: 'Rate Limited',
  T99: 'Application Error',
  R00: 'Transfer Timed Out',
  R01: 'Insufficient Source Amount',
  R02: 'Insufficient Timeout',
  R99: 'Application Error',
});

export function ilpErrorName(code: string): string {
  return Object.prototype.hasOwnProperty.call(ILP_ERROR_NAMES, code)
    ? ILP_ERROR_NAMES[code]
    : 'Unknown Error';
}

/** F08 Amount Too Large data: receivedAmount UInt64 + maximumAmount UInt64 (16 bytes). */
export function encodeAmountTooLargeData(received: bigint, maximum: bigint): Buffer {
  checkUInt64(received, 'amountTooLarge.receivedAmount');
  checkUInt64(maximum, 'amountTooLarge.maximumAmount');
  const out = Buffer.allocUnsafe(16);
  writeUInt64At(out, 0, received);
  writeUInt64At(out, 8, maximum);
  return out;
}

export function decodeAmountTooLargeData(data: Buffer): { receivedAmount: bigint; maximumAmount: bigint } {
  if (data.length < 8) throw truncated('amountTooLarge.receivedAmount', 0, 8, data.length);
  if (data.length < 16) throw truncated('amountTooLarge.maximumAmount', 8, 8, data.length - 8);
  if (data.length > 16) {
    throw new CodecError(
      'ILPD_CODEC_TRAILING_BYTES',
      'amountTooLarge',
      16,
      `${data.length - 16} unexpected byte(s)`,
    );
  }
  return { receivedAmount: data.readBigUInt64BE(0), maximumAmount: data.readBigUInt64BE(8) };
}
