import { reconnectDelayMs } from '../../src/transport/backoff';

describe('reconnectDelayMs', () => {
  it('doubles the ceiling per attempt up to the cap', () => {
    const ceiling = (attempt: number) => reconnectDelayMs(attempt, 100, 1000, () => 0.999999);
    expect([0, 1, 2, 3, 4, 10, 100].map(ceiling)).toEqual([99, 199, 399, 799, 999, 999, 999]);
  });

  it('draws the delay uniformly below the ceiling (full jitter)', () => {
    expect(reconnectDelayMs(2, 100, 1000, () => 0)).toBe(0);
    expect(reconnectDelayMs(2, 100, 1000, () => 0.5)).toBe(200);
  });
});
