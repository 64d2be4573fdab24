import {
  ILP_ERROR_NAMES,
  decodeAmountTooLargeData,
  encodeAmountTooLargeData,
  ilpErrorName,
} from '@ilpd/codec';
import { caught } from './support/caught';

describe('ILP error codes', () => {
  it('names every RFC 27 code and falls back for unknown ones', () => {
    expect(Object.keys(ILP_ERROR_NAMES)).toHaveLength(21);
    expect(ilpErrorName('F02')).toBe('Unreachable');
    expect(ilpErrorName('T04')).toBe('Insufficient Liquidity');
    expect(ilpErrorName('R00')).toBe('Transfer Timed Out');
    expect(ilpErrorName('X42')).toBe('Unknown Error');
    expect(ilpErrorName('constructor')).toBe('Unknown Error');
  });

  it('encodes and decodes F08 amount-too-large data', () => {
    const data = encodeAmountTooLargeData(1000n, 999n);
    expect(data.toString('hex')).toBe('00000000000003e800000000000003e7');
    expect(decodeAmountTooLargeData(data)).toEqual({ receivedAmount: 1000n, maximumAmount: 999n });
    expect(caught(() => decodeAmountTooLargeData(data.subarray(0, 12))).field).toBe(
      'amountTooLarge.maximumAmount',
    );
    expect(caught(() => decodeAmountTooLargeData(Buffer.alloc(17))).code).toBe('ILPD_CODEC_TRAILING_BYTES');
  });
});
