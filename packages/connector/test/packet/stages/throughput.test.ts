import { AmountThroughputLimiter } from '../../../src/packet/stages/throughput';
import { T0 } from '../factories';

describe('throughput stage', () => {
  it('admits value up to the burst amount, then rejects T04', () => {
    const limiter = new AmountThroughputLimiter('alice', 1000n, 500n, T0);
    limiter.take(300n, T0);
    limiter.take(200n, T0);
    expect(() => limiter.take(1n, T0)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_THROUGHPUT_LIMITED' }),
    );
  });

  it('refills at amountPerSecond with exact arithmetic', () => {
    const limiter = new AmountThroughputLimiter('alice', 1000n, 1000n, T0);
    limiter.take(1000n, T0);
    expect(() => limiter.take(2n, T0 + 1)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_THROUGHPUT_LIMITED' }),
    );
    expect(() => limiter.take(1n, T0 + 1)).not.toThrow();
    expect(() => limiter.take(10n, T0 + 11)).not.toThrow();
  });

  it('does not consume tokens for a rejected packet', () => {
    const limiter = new AmountThroughputLimiter('alice', 0n, 100n, T0);
    expect(() => limiter.take(101n, T0)).toThrow();
    expect(() => limiter.take(100n, T0)).not.toThrow();
  });

  it('lets zero-amount packets through even when exhausted', () => {
    const limiter = new AmountThroughputLimiter('alice', 0n, 0n, T0);
    expect(() => limiter.take(0n, T0)).not.toThrow();
  });
});
