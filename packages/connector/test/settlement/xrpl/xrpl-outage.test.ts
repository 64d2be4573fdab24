import type { EndpointState } from '../../../src/settlement/endpoint-pool';
import { XrplLedgerStandIn, type SubmissionEvent } from '../../../../../test/helpers/xrpl-standin';
import { STANDIN_OPTIONS, XRP, fundedEngine } from './harness';

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The engine's pool and transaction lifecycle across an outage of the (stand-in) rippled server. */
describe('XrplChannelEngine through an outage of the XRPL stand-in', () => {
  let standIn: XrplLedgerStandIn;

  beforeEach(async () => {
    standIn = await XrplLedgerStandIn.start(STANDIN_OPTIONS);
  });

  afterEach(async () => {
    await standIn.close();
  });

  it('opens the breaker while the server is down, recovers when it is back, and resolves a redeem in flight exactly once', async () => {
    const alice = await fundedEngine(standIn, 50n * XRP);
    const transitions: EndpointState[] = [];
    const bob = await fundedEngine(standIn, 20n * XRP, {
      overrides: { onEndpointStateChange: (_endpoint, state) => transitions.push(state) },
    });
    try {
      const channel = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
      const signature = await alice.engine.signClaim(channel, 4n * XRP);
      const bobBefore = standIn.account(bob.engine.ourAddress)?.balance as bigint;

      // The server applies bob's claim to its open ledger and dies before answering; it is back in
      // 2.5 s. The network (the ledger clock here) moves on meanwhile.
      let inFlight: SubmissionEvent | undefined;
      let restarted: Promise<void> | undefined;
      standIn.on('submit', (event: SubmissionEvent) => {
        if (inFlight !== undefined || event.account !== bob.engine.ourAddress) return;
        inFlight = event;
        void standIn.stop();
        restarted = new Promise((resolve) => setTimeout(resolve, 2500)).then(() => standIn.restart());
      });
      const started = Date.now();
      const redeeming = bob.engine.redeem(channel, 4n * XRP, signature, false);
      let settled = false;
      void redeeming.then(
        () => (settled = true),
        () => (settled = true),
      );

      await waitFor(() => bob.engine.endpointStates()[0].state === 'open', 2000, 'the breaker to open');
      expect(bob.engine.isAvailable()).toBe(false);
      expect(settled).toBe(false);
      // While the server is down, other calls fail with a stable code instead of hanging.
      await expect(bob.engine.readChannel(channel.channelId)).rejects.toMatchObject({
        code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
      });

      const outcome = await redeeming;
      await restarted;
      expect(Date.now() - started).toBeGreaterThanOrEqual(2400);
      expect(outcome.hash).toBe(inFlight?.hash);
      // Exactly once: every submission of bob's carried that one hash, and he was paid once.
      const bobs = standIn.submissions.filter((s) => s.account === bob.engine.ourAddress);
      expect(new Set(bobs.map((s) => s.hash))).toEqual(new Set([outcome.hash]));
      expect(standIn.channel(channel.channelId)?.balance).toBe(4n * XRP);
      await standIn.nextClose();
      expect((standIn.account(bob.engine.ourAddress)?.balance as bigint) - bobBefore).toBe(
        4n * XRP - outcome.fee,
      );

      await waitFor(
        () => bob.engine.endpointStates()[0].state === 'healthy',
        3000,
        'the endpoint to be healthy',
      );
      expect(bob.engine.isAvailable()).toBe(true);
      expect(transitions).toContain('open');
      expect(transitions[transitions.length - 1]).toBe('healthy');
      expect(await bob.engine.readChannel(channel.channelId)).toMatchObject({ paidOut: 4n * XRP });
    } finally {
      await alice.engine.stop();
      await bob.engine.stop();
    }
  });

  it('fails a transaction it cannot prepare because no server answers: unavailable, and nothing is sent', async () => {
    const alice = await fundedEngine(standIn, 50n * XRP, { overrides: { prepareTimeoutMs: 500 } });
    try {
      await standIn.stop();
      const sent = standIn.submissions.length;
      await expect(alice.engine.openChannel(standIn.genesis.address, XRP)).rejects.toMatchObject({
        code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
        message: expect.stringContaining('nothing was sent'),
      });
      expect(standIn.submissions.length).toBe(sent);
      expect(alice.engine.isAvailable()).toBe(false);
    } finally {
      await alice.engine.stop();
    }
  });
});
