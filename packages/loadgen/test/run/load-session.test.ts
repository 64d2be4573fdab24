import { LoadSession, DEFAULT_WORKLOAD } from '../../src/run/load-session';
import { LoadReceiver } from '../../src/peers/load-receiver';
import { LoadReceiverThread } from '../../src/peers/load-receiver-thread';
import { BtpRelay } from '../../src/relay/btp-relay';

describe('LoadSession receiving peer', () => {
  let relay: BtpRelay;
  let url: string;

  beforeEach(async () => {
    relay = new BtpRelay({ host: '127.0.0.1', port: 0 });
    url = `btp+ws://127.0.0.1:${await relay.start()}`;
  });

  afterEach(async () => {
    await relay.stop();
  });

  const open = (receiverThread: boolean | undefined, expiryMs = DEFAULT_WORKLOAD.expiryMs) =>
    LoadSession.open({
      senderUrl: url,
      receiverUrl: url,
      sender: { username: 'alice', token: 'a' },
      receiver: { username: 'bob', token: 'b' },
      receiverAddress: 'test.relay.bob',
      workload: { ...DEFAULT_WORKLOAD, poolSize: 128, rejectFraction: 0.2, seed: 5, expiryMs },
      tickMs: 1,
      maxBurst: 1000,
      receiverThread,
    });

  it.each([
    ['its own thread by default', undefined, LoadReceiverThread],
    ['its own thread when asked', true, LoadReceiverThread],
    ['the sender’s thread when asked', false, LoadReceiver],
  ])('runs the receiver on %s and counts exactly what the sender saw', async (_, receiverThread, kind) => {
    const session = await open(receiverThread);
    try {
      expect(session.receiver).toBeInstanceOf(kind);
      const phase = await session.runPhase([{ rate: 2000, durationMs: 400 }], { intervalMs: 100 });
      const t = phase.totals;
      expect(t.sent).toBe(800);
      expect(t.timedOut).toBe(0);
      expect(session.receiver.prepares).toBe(800);
      expect(session.receiver.fulfilled).toBe(t.fulfilled);
      expect(session.receiver.rejected).toBe(t.rejected);
      expect(String(session.receiver.fulfilledAmount)).toBe(t.fulfilledAmount);
      expect(session.lostConnection()).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  it('ends a phase when the receiver thread reports its connection closed', async () => {
    // Packets the relay handed to the receiver before it left are never answered: a short expiry keeps
    // the drain after the abort short.
    const session = await open(true, 1000);
    try {
      const receiver = session.receiver as LoadReceiverThread;
      setTimeout(() => void receiver.stop(), 200);
      const started = Date.now();
      const phase = await session.runPhase([{ rate: 1000, durationMs: 20_000 }], { intervalMs: 100 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(phase.aborted).toBe("the receiver's BTP connection closed (code 1000)");
    } finally {
      await session.close();
    }
  });
});
