import { decodeAmountTooLargeData } from '@ilpd/codec';
import type { DaemonError } from '../../../src/errors';
import { checkMaxPacketAmount } from '../../../src/packet/stages/max-packet-amount';

describe('max packet amount stage', () => {
  it('accepts any amount when the peer has no cap', () => {
    expect(() => checkMaxPacketAmount(2n ** 64n - 1n, undefined)).not.toThrow();
  });

  it('accepts an amount equal to the cap', () => {
    expect(() => checkMaxPacketAmount(1000n, 1000n)).not.toThrow();
  });

  it('rejects F08 with amounts in data', () => {
    let caught: DaemonError | undefined;
    try {
      checkMaxPacketAmount(1001n, 1000n);
    } catch (err) {
      caught = err as DaemonError;
    }
    expect(caught?.code).toBe('ILPD_ERR_AMOUNT_TOO_LARGE');
    expect(decodeAmountTooLargeData(caught!.ilpData!)).toEqual({
      receivedAmount: 1001n,
      maximumAmount: 1000n,
    });
  });
});
