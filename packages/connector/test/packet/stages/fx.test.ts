import { computeRate, FxConverter, type AssetOf } from '../../../src/packet/stages/fx';

const usd9: AssetOf = { id: 'alice', assetCode: 'USD', assetScale: 9 };
const usd9b: AssetOf = { id: 'bob', assetCode: 'USD', assetScale: 9 };
const usd2: AssetOf = { id: 'carol', assetCode: 'USD', assetScale: 2 };
const eur6: AssetOf = { id: 'dave', assetCode: 'EUR', assetScale: 6 };
const xrp6: AssetOf = { id: 'erin', assetCode: 'XRP', assetScale: 6 };

describe('FX stage', () => {
  it('passes same-asset amounts through unchanged without a spread', () => {
    const fx = new FxConverter({ spread: 0, rates: {} });
    expect(fx.convert(123_456_789n, usd9, usd9b)).toBe(123_456_789n);
    expect(fx.rateFor(usd9, usd9b)).toEqual({ numerator: 1n, denominator: 1n });
  });

  it('applies the spread to same-asset packets too, rounding down', () => {
    const fx = new FxConverter({ spread: 0.002, rates: {} });
    expect(fx.convert(1000n, usd9, usd9b)).toBe(998n);
    expect(fx.convert(1001n, usd9, usd9b)).toBe(998n); // 998.998 rounds down
  });

  it('shifts by the scale difference exactly', () => {
    const fx = new FxConverter({ spread: 0, rates: {} });
    expect(fx.convert(1_000_000_000n, usd9, usd2)).toBe(100n);
    expect(fx.convert(1_999_999_999n, usd9, usd2)).toBe(199n);
    expect(fx.convert(5n, usd2, usd9)).toBe(50_000_000n);
  });

  it('converts by the ratio of rates and scales', () => {
    const fx = new FxConverter({ spread: 0, rates: { USD: 1, EUR: 1.25 } });
    // 1 USD (10^9 units) = 0.8 EUR = 800000 units at scale 6.
    expect(fx.convert(1_000_000_000n, usd9, eur6)).toBe(800_000n);
    expect(fx.convert(800_000n, eur6, usd9)).toBe(1_000_000_000n);
  });

  it('rounds the float rate to 15 significant digits so results are exact and reproducible', () => {
    const rate = computeRate(usd9, eur6, { spread: 0, rates: { USD: 1, EUR: 3 } });
    // (1/3) × 10^-3 to 15 digits.
    expect(rate).toEqual({ numerator: 333_333_333_333_333n, denominator: 10n ** 18n });
  });

  it('rejects F03 when the converted amount overflows UInt64', () => {
    const fx = new FxConverter({ spread: 0, rates: {} });
    expect(() => fx.convert(2n ** 63n, usd2, usd9)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_AMOUNT' }),
    );
  });

  it('rejects R01 when a non-zero amount converts to zero', () => {
    const fx = new FxConverter({ spread: 0, rates: {} });
    expect(() => fx.convert(9_999_999n, usd9, usd2)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_AMOUNT_TOO_SMALL' }),
    );
  });

  it('keeps zero-amount packets at zero', () => {
    const fx = new FxConverter({ spread: 0.5, rates: {} });
    expect(fx.convert(0n, usd9, usd2)).toBe(0n);
  });

  it('rejects F02 when an asset has no rate', () => {
    const fx = new FxConverter({ spread: 0, rates: { USD: 1 } });
    expect(() => fx.convert(100n, usd9, xrp6)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_UNREACHABLE', message: expect.stringContaining('XRP') }),
    );
  });

  it('computes each peer pair rate once', () => {
    const fx = new FxConverter({ spread: 0.01, rates: { USD: 1, EUR: 1.1 } });
    expect(fx.rateFor(usd9, eur6)).toBe(fx.rateFor(usd9, eur6));
  });
});
