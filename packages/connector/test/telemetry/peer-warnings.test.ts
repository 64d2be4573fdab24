import pino from 'pino';
import { PeerWarnings, type PeerWarningEvent } from '../../src/telemetry/peer-warnings';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const counted: PeerWarningEvent[] = [];
  let now = 0;
  const warnings = new PeerWarnings({
    logger,
    intervalMs: 1000,
    count: (event) => counted.push(event),
    now: () => now,
  });
  return { lines, counted, warnings, advance: (ms: number) => (now += ms) };
}

describe('PeerWarnings', () => {
  afterEach(() => jest.useRealTimers());

  it('logs the first occurrence at once and the rest of the interval as one line with a count', () => {
    jest.useFakeTimers();
    const { lines, counted, warnings, advance } = capture();
    for (let i = 0; i < 27_699; i++) {
      warnings.warn('unauthenticated_evicted', undefined, { source: '127.0.0.1' }, 'dropped the oldest');
    }
    expect(counted).toHaveLength(27_699);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      event: 'unauthenticated_evicted',
      msg: 'dropped the oldest',
    });
    advance(1000);
    jest.advanceTimersByTime(1000);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ event: 'unauthenticated_evicted', suppressed: 27_698 });
    // Quiet afterwards: nothing more is logged.
    advance(5000);
    jest.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
  });

  it('keeps one line per interval under a steady stream, and separate lines per peer', () => {
    jest.useFakeTimers();
    const { lines, warnings, advance } = capture();
    for (let second = 0; second < 5; second++) {
      for (let i = 0; i < 100; i++) {
        warnings.warn('slow_reader', 'alice', {}, 'alice does not read');
        warnings.warn('slow_reader', 'bob', {}, 'bob does not read');
        advance(10);
        jest.advanceTimersByTime(10);
      }
    }
    const perPeer = (peer: string) => lines.filter((l) => l.peer === peer);
    for (const peer of ['alice', 'bob']) {
      expect(perPeer(peer).length).toBeGreaterThanOrEqual(5);
      expect(perPeer(peer).length).toBeLessThanOrEqual(6);
      // A plain line stands for one occurrence, a summary line for the count it carries.
      const logged = perPeer(peer).reduce((n, l) => n + ((l.suppressed as number | undefined) ?? 1), 0);
      expect(logged).toBeLessThanOrEqual(500);
      expect(logged).toBeGreaterThan(400);
    }
  });

  it('logs what is still suppressed on stop()', () => {
    const { lines, warnings } = capture();
    warnings.info('auth_failed', undefined, {}, 'auth failed');
    warnings.info('auth_failed', undefined, {}, 'auth failed');
    warnings.stop();
    expect(lines.map((l) => [l.level, l.suppressed])).toEqual([
      [30, undefined],
      [30, 1],
    ]);
    warnings.info('auth_failed', undefined, {}, 'auth failed');
    expect(lines).toHaveLength(2);
  });
});
