import { BtpRelay } from '../../src/relay/btp-relay';
import { BtpSession } from '../../src/btp/btp-session';
import { LoadSession, DEFAULT_WORKLOAD } from '../../src/run/load-session';

const sender = { username: 'alice', token: 'alice-secret' };
const receiver = { username: 'bob', token: 'bob-secret' };

describe('bare relay with the loadgen peers', () => {
  let relay: BtpRelay;
  let url: string;

  beforeEach(async () => {
    relay = new BtpRelay({
      host: '127.0.0.1',
      port: 0,
      accounts: new Map([
        ['alice', 'alice-secret'],
        ['bob', 'bob-secret'],
      ]),
    });
    url = `btp+ws://127.0.0.1:${await relay.start()}`;
  });

  afterEach(async () => {
    await relay.stop();
  });

  it('carries every packet sender → relay → receiver and back, fulfilled or rejected as flagged', async () => {
    const session = await LoadSession.open({
      senderUrl: url,
      receiverUrl: url,
      sender,
      receiver,
      receiverAddress: 'test.relay.bob',
      workload: { ...DEFAULT_WORKLOAD, poolSize: 256, rejectFraction: 0.25, seed: 3 },
      tickMs: 1,
      maxBurst: 1000,
    });
    try {
      const phase = await session.runPhase([{ rate: 2000, durationMs: 500 }], { intervalMs: 100 });
      const t = phase.totals;
      expect(t.sent).toBe(1000);
      expect(t.fulfilled + t.rejected).toBe(1000);
      expect(t.timedOut).toBe(0);
      expect(t.rejected).toBe(t.rejectedExpected);
      expect(t.rejectedByCode).toEqual(t.rejected > 0 ? { F99: t.rejected } : {});
      expect(t.rejected).toBeGreaterThan(150);
      expect(session.receiver.fulfilled).toBe(t.fulfilled);
      expect(BigInt(Math.round(session.receiver.fulfilledAmount))).toBe(BigInt(t.fulfilledAmount));
      expect(session.sender.inFlight).toBe(0);
      expect(relay.relayed).toBe(1000);
      expect(phase.series.length).toBeGreaterThanOrEqual(4);
      expect(t.latency.count).toBe(t.fulfilled);
    } finally {
      await session.close();
    }
  });

  async function openSession(): Promise<LoadSession> {
    return LoadSession.open({
      senderUrl: url,
      receiverUrl: url,
      sender,
      receiver,
      receiverAddress: 'test.relay.bob',
      workload: { ...DEFAULT_WORKLOAD, poolSize: 64 },
      tickMs: 1,
      maxBurst: 1000,
    });
  }

  it('ends a phase early on interrupt, still draining and counting what was sent', async () => {
    const session = await openSession();
    try {
      const interrupt = new AbortController();
      setTimeout(() => interrupt.abort(), 300);
      const started = Date.now();
      const phase = await session.runPhase([{ rate: 1000, durationMs: 20_000 }], {
        intervalMs: 100,
        signal: interrupt.signal,
      });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(phase.aborted).toBe('interrupted');
      expect(phase.totals.sent).toBeGreaterThan(100);
      expect(phase.totals.sent).toBeLessThan(2000);
      expect(phase.totals.fulfilled).toBe(phase.totals.sent);
      expect(phase.scheduledPackets).toBe(phase.totals.sent);
      expect(phase.scheduleMs).toBeGreaterThanOrEqual(250);
      expect(phase.scheduleMs).toBeLessThan(2000);
    } finally {
      await session.close();
    }
  });

  it('ends a phase promptly when the connector goes away, counting the unanswered packets', async () => {
    const session = await openSession();
    try {
      setTimeout(() => void relay.stop(), 300);
      const started = Date.now();
      const phase = await session.runPhase([{ rate: 1000, durationMs: 20_000 }], { intervalMs: 100 });
      expect(Date.now() - started).toBeLessThan(3000);
      expect(phase.aborted).toMatch(/BTP connection closed/);
      expect(phase.totals.fulfilled + phase.totals.timedOut).toBe(phase.totals.sent);
      expect(phase.totals.sent).toBeLessThan(2000);
    } finally {
      await session.close();
    }
  });

  it('refuses a peer with the wrong token', async () => {
    const s = new BtpSession({ url, username: 'alice', token: 'wrong' }, {});
    await expect(s.connect()).rejects.toMatchObject({ code: 'ILPD_LOADGEN_BTP_AUTH' });
    await s.close();
  });

  it('answers a Message with no peer to relay to with a BTP error', async () => {
    const s = new BtpSession({ url, ...sender }, {});
    await s.connect();
    await expect(s.requestIlp(Buffer.from([12]), 2000)).rejects.toMatchObject({
      code: 'ILPD_LOADGEN_BTP_ERROR',
      message: expect.stringContaining('F02'),
    });
    await s.close();
  });
});
