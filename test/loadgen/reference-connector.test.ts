/**
 * Interop: the loadgen peers against the reference JavaScript connector (ilp-connector 23 with
 * ilp-plugin-btp listeners). The receiver learns its address over ILDCP, the sender's fulfilled amounts
 * must match the connector's balance changes, and rejects the workload asks for come back with F99.
 */
import { spawnReference, type LoadTarget } from '../../packages/loadgen/src/daemon/targets';
import { runLoad } from '../../packages/loadgen/src/run/load-run';
import { DEFAULT_WORKLOAD } from '../../packages/loadgen/src/run/load-session';

const sender = { username: 'alice', token: 'alice-secret' };
const receiver = { username: 'bob', token: 'bob-secret' };

describe('loadgen against the reference ilp-connector', () => {
  let target: LoadTarget | undefined;
  afterEach(async () => {
    await target?.stop();
    target = undefined;
  });

  it('learns its address over ILDCP, gets fulfills and F99 rejects, and the balances match', async () => {
    target = await spawnReference({ sender, receiver });
    const report = await runLoad({
      name: 'reference-interop',
      profileName: 'steady',
      profileParams: {},
      segments: [{ rate: 300, durationMs: 3000 }],
      warmupS: 1,
      target,
      sender,
      receiver,
      workload: { ...DEFAULT_WORKLOAD, poolSize: 512, rejectFraction: 0.1 },
      tickMs: 1,
      maxBurst: 1000,
      intervalMs: 1000,
      log: () => undefined,
    });
    expect(report.target.receiverAddress).toBe('test.reference.bob');
    expect(report.totals.sent).toBe(900);
    expect(report.totals.fulfilled).toBeGreaterThan(700);
    expect(report.totals.timedOut).toBe(0);
    expect(report.totals.rejected).toBe(report.totals.rejectedExpected);
    expect(Object.keys(report.totals.rejectedByCode)).toEqual(['F99']);
    expect(report.balanced).toBe(true);
    expect(report.balances?.fulfilledAmount).toBe(report.totals.fulfilledAmount);
    expect(report.series[0].daemon.rssMB).toBeGreaterThan(0);
  }, 60_000);
});
