import fc from 'fast-check';
import { ChainScale } from '../../src/settlement/amounts';

describe('ChainScale', () => {
  it('is exact when the chain unit is finer: 9-place ETH amounts to wei and back', () => {
    const scale = new ChainScale(9, 18);
    expect(scale.chainAmount(1n)).toBe(1_000_000_000n);
    expect(scale.assetValue(1_000_000_000n)).toBe(1n);
    expect(scale.assetValue(1_999_999_999n)).toBe(1n);
  });

  it('carries what does not fill a whole drop when the chain unit is coarser', () => {
    const scale = new ChainScale(9, 6); // XRP with 9 places, drops have 6
    expect(scale.chainAmount(1_234_567n)).toBe(1_234n); // pays 1,234,000; 567 stays owed
    expect(scale.assetValue(1_234n)).toBe(1_234_000n);
  });

  it('books the same total from increments as from the final cumulative claim, whatever the steps', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 15n }), { maxLength: 30 }),
        (assetScale, chainScale, steps) => {
          const scale = new ChainScale(assetScale, chainScale);
          let cumulative = 0n;
          let booked = 0n;
          for (const step of steps) {
            const next = cumulative + step;
            booked += scale.increment(cumulative, next);
            cumulative = next;
          }
          expect(booked).toBe(scale.assetValue(cumulative));
          expect(scale.assetValue(scale.chainAmount(booked))).toBeLessThanOrEqual(booked);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never pays more than was owed, and leaves less than one chain unit behind', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 20 }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        (assetScale, chainScale, owed) => {
          const scale = new ChainScale(assetScale, chainScale);
          const paid = scale.assetValue(scale.chainAmount(owed));
          expect(paid).toBeLessThanOrEqual(owed);
          expect(owed - paid).toBeLessThan(scale.assetValue(1n) === 0n ? 1n : scale.assetValue(1n));
        },
      ),
      { numRuns: 300 },
    );
  });
});
