import { outgoingExpiryMs } from '../../../src/packet/stages/expiry';
import { T0 } from '../factories';

const policy = { minMessageWindowMs: 1000, maxHoldTimeMs: 30_000 };

describe('expiry stage', () => {
  it('keeps back the min message window from the incoming expiry', () => {
    expect(outgoingExpiryMs(T0 + 10_000, T0, policy)).toBe(T0 + 9000);
  });

  it('caps expiry to maxHoldTime', () => {
    expect(outgoingExpiryMs(T0 + 120_000, T0, policy)).toBe(T0 + 30_000);
  });

  it('rejects R02 when the packet has already expired', () => {
    expect(() => outgoingExpiryMs(T0 - 1, T0, policy)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INSUFFICIENT_TIMEOUT',
        message: expect.stringContaining('expired'),
      }),
    );
  });

  it('rejects R02 when it expires exactly now', () => {
    expect(() => outgoingExpiryMs(T0, T0, policy)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INSUFFICIENT_TIMEOUT' }),
    );
  });

  it('rejects R02 when less than two windows are left (the next hop would get less than one)', () => {
    expect(() => outgoingExpiryMs(T0 + 1999, T0, policy)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INSUFFICIENT_TIMEOUT',
        message: expect.stringContaining('1999 ms left'),
      }),
    );
  });

  it('accepts exactly two windows, leaving the next hop one window', () => {
    expect(outgoingExpiryMs(T0 + 2000, T0, policy)).toBe(T0 + 1000);
  });

  it('rejects R02 when maxHoldTime itself is shorter than the window', () => {
    expect(() => outgoingExpiryMs(T0 + 60_000, T0, { minMessageWindowMs: 1000, maxHoldTimeMs: 500 })).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INSUFFICIENT_TIMEOUT' }),
    );
  });
});
