import pino from 'pino';
import { EndpointPool, type EndpointState } from '../../src/settlement/endpoint-pool';

/** Long enough that a busy machine never lets a trial call through between two steps of a test. */
const HALF_OPEN_AFTER_MS = 1000;

interface FakeClient {
  readonly endpoint: string;
  destroyed: boolean;
}

/** Endpoints that answer or fail on command: the pool's own logic is under test, not a chain. */
function harness(endpoints: string[], size = endpoints.length) {
  const down = new Set<string>();
  const calls: string[] = [];
  const transitions: [string, EndpointState][] = [];
  const pool = new EndpointPool<FakeClient>({
    chain: 'test',
    endpoints,
    size,
    healthIntervalMs: 60_000,
    breakerFailures: 2,
    halfOpenAfterMs: HALF_OPEN_AFTER_MS,
    logger: pino({ level: 'silent' }),
    onStateChange: (endpoint, state) => transitions.push([endpoint, state]),
    factory: {
      create: (endpoint) => ({ endpoint, destroyed: false }),
      probe: async (client) => {
        if (down.has(client.endpoint)) throw new Error(`${client.endpoint} is down`);
      },
      destroy: (client) => {
        client.destroyed = true;
      },
    },
  });
  const call = (client: FakeClient): Promise<string> => {
    calls.push(client.endpoint);
    return down.has(client.endpoint)
      ? Promise.reject(new Error(`${client.endpoint} is down`))
      : Promise.resolve(client.endpoint);
  };
  return { pool, down, calls, transitions, call };
}

describe('EndpointPool', () => {
  it('goes round robin over healthy endpoints', async () => {
    const { pool, call } = harness(['a', 'b']);
    await pool.start();
    const answers = [await pool.run(call), await pool.run(call), await pool.run(call)];
    expect(answers).toEqual(['a', 'b', 'a']);
    expect(pool.states()).toEqual([
      { endpoint: 'a', state: 'healthy' },
      { endpoint: 'b', state: 'healthy' },
    ]);
    await pool.stop();
  });

  it('moves on to another endpoint when asked to retry, and skips one whose probe failed', async () => {
    const { pool, down, call } = harness(['a', 'b']);
    down.add('a');
    await pool.start();
    expect(pool.states()).toEqual([
      { endpoint: 'a', state: 'unhealthy' },
      { endpoint: 'b', state: 'healthy' },
    ]);
    for (let i = 0; i < 4; i++) expect(await pool.run(call, { retryOthers: true })).toBe('b');
    await pool.stop();
  });

  it('opens an endpoint breaker after consecutive failures and closes it once a trial call succeeds', async () => {
    const { pool, down, calls, transitions, call } = harness(['a']);
    await pool.start();
    down.add('a');
    await expect(pool.run(call)).rejects.toThrow('a is down');
    await expect(pool.run(call)).rejects.toThrow('a is down');
    expect(pool.states()).toEqual([{ endpoint: 'a', state: 'open' }]);
    const before = calls.length;
    await expect(pool.run(call)).rejects.toMatchObject({ code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE' });
    expect(calls.length).toBe(before); // an open circuit sends nothing
    expect(pool.isAvailable()).toBe(false);
    down.delete('a');
    await new Promise((resolve) => setTimeout(resolve, HALF_OPEN_AFTER_MS + 50));
    expect(await pool.run(call)).toBe('a');
    expect(pool.states()).toEqual([{ endpoint: 'a', state: 'healthy' }]);
    expect(transitions.map(([, state]) => state)).toEqual(
      expect.arrayContaining(['healthy', 'unhealthy', 'open', 'half-open']),
    );
    await pool.stop();
  });

  it('spreads the pool size over the endpoints and releases every client on stop', async () => {
    const { pool, calls, call } = harness(['a', 'b'], 4);
    await pool.start();
    calls.length = 0;
    for (let i = 0; i < 4; i++) await pool.run(call);
    expect(calls).toEqual(['a', 'b', 'a', 'b']);
    await pool.stop();
    await expect(pool.run(call)).rejects.toMatchObject({ code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE' });
  });

  it('fails a call that never settles at its deadline, against its endpoint', async () => {
    const pool = new EndpointPool<FakeClient>({
      chain: 'test',
      endpoints: ['a'],
      size: 1,
      healthIntervalMs: 60_000,
      breakerFailures: 5,
      halfOpenAfterMs: HALF_OPEN_AFTER_MS,
      callTimeoutMs: 50,
      logger: pino({ level: 'silent' }),
      factory: {
        create: (endpoint) => ({ endpoint, destroyed: false }),
        probe: async () => undefined,
        destroy: () => undefined,
      },
    });
    await pool.start();
    const started = performance.now();
    await expect(pool.run(() => new Promise<string>(() => undefined))).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
      message: 'test: a did not answer within 50 ms',
    });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(pool.states()).toEqual([{ endpoint: 'a', state: 'unhealthy' }]);
    await pool.stop();
  });
});
