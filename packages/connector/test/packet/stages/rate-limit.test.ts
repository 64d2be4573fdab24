import { PacketRateLimiter } from '../../../src/packet/stages/rate-limit';
import { T0 } from '../factories';

describe('rate limit stage', () => {
  it('admits a burst, then rejects T05', () => {
    const limiter = new PacketRateLimiter('alice', 10, 3, T0);
    for (let i = 0; i < 3; i++) limiter.take(T0);
    expect(() => limiter.take(T0)).toThrow(expect.objectContaining({ code: 'ILPD_ERR_RATE_LIMITED' }));
  });

  it('refills at packetsPerSecond', () => {
    const limiter = new PacketRateLimiter('alice', 10, 1, T0);
    limiter.take(T0);
    expect(() => limiter.take(T0 + 99)).toThrow(expect.objectContaining({ code: 'ILPD_ERR_RATE_LIMITED' }));
    expect(() => limiter.take(T0 + 100)).not.toThrow();
  });

  it('never holds more than the burst however long it was idle', () => {
    const limiter = new PacketRateLimiter('alice', 1000, 2, T0);
    const later = T0 + 3_600_000;
    limiter.take(later);
    limiter.take(later);
    expect(() => limiter.take(later)).toThrow(expect.objectContaining({ code: 'ILPD_ERR_RATE_LIMITED' }));
  });
});
