import { decodeReject } from '@ilpd/codec';
import { conditionPair, makeFulfill, makePeer, makePrepare, OUR_ADDRESS } from './factories';
import { pipelineHarness, type PipelineHarness } from './pipeline-harness';

/** The packet path when the peer set changes under it (admin API, SIGHUP). */
describe('PacketPipeline with a changing peer set', () => {
  let h: PipelineHarness;
  afterEach(async () => {
    await h?.close();
  });

  function prepareFor(amount = 100n, condition?: Buffer) {
    return makePrepare(
      {
        amount,
        expiresAt: new Date(h.clock.now() + 10_000),
        destination: `${OUR_ADDRESS}.bob.x`,
        executionCondition: condition,
      },
      h.clock.now(),
    );
  }

  it('refuses Prepares from a disabled peer with F00, before anything is reserved', async () => {
    h = await pipelineHarness();
    h.link.connect('bob', async () => makeFulfill(Buffer.alloc(32)));
    h.pipeline.applyPeers([makePeer('alice', { enabled: false }), makePeer('bob')], h.config.fx);
    const reject = decodeReject(await h.handle('alice', prepareFor()));
    expect(reject).toMatchObject({ code: 'F00', message: 'peer alice is disabled by the operator' });
    expect(h.link.sent).toEqual([]);
    expect(await h.balance('alice')).toMatchObject({ balance: 0n, pendingIncoming: 0n });
  });

  it('refuses to forward to a disabled next hop (T01)', async () => {
    h = await pipelineHarness();
    h.link.connect('bob', async () => makeFulfill(Buffer.alloc(32)));
    h.pipeline.applyPeers([makePeer('alice'), makePeer('bob', { enabled: false })], h.config.fx);
    expect(decodeReject(await h.handle('alice', prepareFor()))).toMatchObject({
      code: 'T01',
      message: 'next hop bob is disabled by the operator',
    });
    expect(h.link.sent).toEqual([]);
  });

  it('applies a new maxPacketAmount from the next packet on', async () => {
    h = await pipelineHarness();
    const { fulfillment, condition } = conditionPair();
    h.link.connect('bob', async () => makeFulfill(fulfillment));
    expect((await h.handle('alice', prepareFor(500n, condition)))[0]).toBe(13);
    h.pipeline.applyPeers([makePeer('alice', { maxPacketAmount: 499n }), makePeer('bob')], h.config.fx);
    expect(decodeReject(await h.handle('alice', prepareFor(500n, condition))).code).toBe('F08');
  });

  it('is idle for a peer only once its packet is answered and settled in the ledger', async () => {
    h = await pipelineHarness();
    const { fulfillment, condition } = conditionPair();
    let answer: () => void = () => undefined;
    h.link.connect(
      'bob',
      () => new Promise<Buffer>((resolve) => (answer = () => resolve(makeFulfill(fulfillment)))),
    );
    const response = h.handle('alice', prepareFor(100n, condition));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.link.sent).toHaveLength(1);
    let aliceIdle = false;
    let bobIdle = false;
    const waiting = Promise.all([
      h.pipeline.whenPeersIdle(['alice']).then(() => (aliceIdle = true)),
      h.pipeline.whenPeersIdle(['bob']).then(() => (bobIdle = true)),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([aliceIdle, bobIdle]).toEqual([false, false]);
    answer();
    expect((await response)[0]).toBe(13);
    await waiting;
    expect(await h.balance('alice')).toMatchObject({ balance: 100n, pendingIncoming: 0n });
  });
});
