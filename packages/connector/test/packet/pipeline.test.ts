import {
  decodeAmountTooLargeData,
  decodeIldcpResponse,
  decodePrepare,
  decodeReject,
  encodeIldcpRequest,
  encodePrepare,
  CCP_CONDITION,
} from '@ilpd/codec';
import { DaemonError } from '../../src/errors';
import { conditionPair, makeFulfill, makePeer, makePrepare, makeReject, OUR_ADDRESS } from './factories';
import { delegatingLedger, pipelineHarness, type PipelineHarness } from './pipeline-harness';

const BOB = `${OUR_ADDRESS}.bob.receiver`;

describe('PacketPipeline', () => {
  let h: PipelineHarness;
  afterEach(async () => {
    await h?.close();
  });

  /** A Prepare from alice to bob, expiring `ttlMs` after the pinned now. */
  function prepareFor(
    fields: { amount?: bigint; ttlMs?: number; destination?: string; condition?: Buffer } = {},
  ) {
    return makePrepare(
      {
        amount: fields.amount ?? 100n,
        expiresAt: new Date(h.clock.now() + (fields.ttlMs ?? 10_000)),
        destination: fields.destination ?? BOB,
        executionCondition: fields.condition,
      },
      h.clock.now(),
    );
  }

  function rejectOf(response: Buffer) {
    expect(response[0]).toBe(14);
    return decodeReject(response);
  }

  describe('what a next hop holds (its held budget)', () => {
    it('answers T02 at once for a next hop holding its heldPackets, without reserving, and recovers', async () => {
      h = await pipelineHarness({
        peers: [
          makePeer('alice'),
          makePeer('bob', { budget: { ...makePeer('bob').budget, heldPackets: 2 } }),
        ],
      });
      const { fulfillment, condition } = conditionPair();
      const answers: Array<() => void> = [];
      h.link.connect(
        'bob',
        () => new Promise((resolve) => answers.push(() => resolve(makeFulfill(fulfillment)))),
      );
      const held = [
        h.handle('alice', prepareFor({ condition })),
        h.handle('alice', prepareFor({ condition })),
      ];
      await eventuallyTrue(() => answers.length === 2);
      const refused = rejectOf(await h.handle('alice', prepareFor({ amount: 7n, condition })));
      expect(refused).toMatchObject({ code: 'T02', triggeredBy: OUR_ADDRESS });
      expect(h.link.sent).toHaveLength(2);
      expect(await h.balance('alice')).toMatchObject({ pendingIncoming: 200n });
      for (const answer of answers) answer();
      await Promise.all(held);
      const bob = [...h.engine.inFlight.perPeer()].find((p) => p.peerId === 'bob');
      expect(bob).toMatchObject({ heldPackets: 0, heldBytes: 0, refusedByHeldBudget: 1 });
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      expect((await h.handle('alice', prepareFor({ condition })))[0]).toBe(13);
    });

    it('releases the hold when the next hop times out', async () => {
      h = await pipelineHarness({
        packet: { minMessageWindowMs: 50, maxHoldTimeMs: 30_000 },
        peers: [
          makePeer('alice'),
          makePeer('bob', { budget: { ...makePeer('bob').budget, heldPackets: 1 } }),
        ],
      });
      h.link.connect('bob', () => new Promise<Buffer>(() => undefined));
      expect(rejectOf(await h.handle('alice', prepareFor({ ttlMs: 150 }))).code).toBe('R00');
      expect(rejectOf(await h.handle('alice', prepareFor({ ttlMs: 150 }))).code).toBe('R00');
      const bob = [...h.engine.inFlight.perPeer()].find((p) => p.peerId === 'bob');
      expect(bob).toMatchObject({ heldPackets: 0 });
    });
  });

  describe('forwarding', () => {
    it('forwards the Prepare to the next hop and relays its Fulfill once the post is durable', async () => {
      h = await pipelineHarness();
      const { fulfillment, condition } = conditionPair();
      const fulfill = makeFulfill(fulfillment, Buffer.from('receipt'));
      h.link.connect('bob', async () => fulfill);
      const response = await h.handle('alice', prepareFor({ amount: 250n, condition }));
      expect(response).toEqual(fulfill);
      const forwarded = decodePrepare(h.link.sent[0].ilp);
      expect(h.link.sent[0].peerId).toBe('bob');
      expect(forwarded).toMatchObject({ amount: 250n, destination: BOB, data: Buffer.from('hello') });
      expect(forwarded.executionCondition).toEqual(condition);
      expect(forwarded.expiresAtMs).toBe(h.clock.now() + 9000);
      expect(await h.balance('alice')).toMatchObject({ balance: 250n, pendingIncoming: 0n });
      expect(await h.balance('bob')).toMatchObject({ balance: -250n, pendingOutgoing: 0n });
      expect(h.telemetry.outcomes).toEqual([
        expect.objectContaining({
          fromPeer: 'alice',
          toPeer: 'bob',
          result: 'fulfilled',
          rejectedLocally: false,
        }),
      ]);
    });

    it('caps expiry to maxHoldTime on the forwarded Prepare', async () => {
      h = await pipelineHarness({ packet: { minMessageWindowMs: 1000, maxHoldTimeMs: 5000 } });
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      await h.handle('alice', prepareFor({ ttlMs: 60_000, condition }));
      expect(decodePrepare(h.link.sent[0].ilp).expiresAtMs).toBe(h.clock.now() + 5000);
    });

    it('gives the transport the time left until the outgoing expiry', async () => {
      h = await pipelineHarness();
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      await h.handle('alice', prepareFor({ ttlMs: 5000, condition }));
      expect(h.link.sent[0].timeoutMs).toBe(4000);
    });

    it('converts the amount across assets and applies the spread', async () => {
      h = await pipelineHarness({
        peers: [
          makePeer('alice', { assetCode: 'USD', assetScale: 2 }),
          makePeer('bob', { assetCode: 'EUR', assetScale: 4 }),
        ],
        fx: { spread: 0.01, rates: { USD: 1, EUR: 1.25 } },
      });
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      await h.handle('alice', prepareFor({ amount: 1000n, condition }));
      // 10.00 USD = 8 EUR; minus 1 % = 7.92 EUR = 79200 at scale 4.
      expect(decodePrepare(h.link.sent[0].ilp).amount).toBe(79_200n);
      expect(await h.balance('alice')).toMatchObject({ balance: 1000n });
      expect(await h.balance('bob')).toMatchObject({ balance: -79_200n });
    });

    it('does not touch the ledger for zero-amount packets', async () => {
      const reserved: unknown[] = [];
      h = await pipelineHarness({}, (ledger) =>
        delegatingLedger(ledger, {
          reserve: (r) => {
            reserved.push(r);
            return ledger.reserve(r);
          },
        }),
      );
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      const response = await h.handle('alice', prepareFor({ amount: 0n, condition }));
      expect(response[0]).toBe(13);
      expect(reserved).toHaveLength(0);
    });
  });

  describe('rejects we generate', () => {
    it('rejects F01 for bytes that are not a Prepare, with our address as triggeredBy', async () => {
      h = await pipelineHarness();
      const reject = rejectOf(await h.handle('alice', Buffer.from([12, 3, 1, 2])));
      expect(reject).toMatchObject({ code: 'F01', triggeredBy: OUR_ADDRESS });
      expect(h.telemetry.outcomes[0]).toMatchObject({
        result: 'rejected',
        code: 'F01',
        rejectedLocally: true,
      });
      expect(h.telemetry.outcomes[0].toPeer).toBeUndefined();
    });

    it('rejects F01 for a Fulfill sent as a request', async () => {
      h = await pipelineHarness();
      expect(rejectOf(await h.handle('alice', makeFulfill(Buffer.alloc(32)))).code).toBe('F01');
    });

    it('rejects F02 for a destination with no route', async () => {
      h = await pipelineHarness();
      const reject = rejectOf(await h.handle('alice', prepareFor({ destination: 'test.nowhere.x' })));
      expect(reject).toMatchObject({
        code: 'F02',
        triggeredBy: OUR_ADDRESS,
        message: 'no route to test.nowhere.x',
      });
    });

    it('rejects F02 for an unknown child under our address instead of using the default route', async () => {
      h = await pipelineHarness({
        peers: [makePeer('alice'), makePeer('bob'), makePeer('up', { relation: 'parent' })],
      });
      h.link.connect('up', async () => makeFulfill(Buffer.alloc(32)));
      const reject = rejectOf(await h.handle('alice', prepareFor({ destination: `${OUR_ADDRESS}.mallory` })));
      expect(reject.code).toBe('F02');
      expect(h.link.sent).toHaveLength(0);
    });

    it('rejects F02 for other peer.* destinations and never forwards them', async () => {
      h = await pipelineHarness({ routes: [{ prefix: '', peer: 'bob' }] });
      h.link.connect('bob', async () => makeFulfill(Buffer.alloc(32)));
      const prepare = encodePrepare({
        amount: 0n,
        expiresAt: new Date(h.clock.now() + 10_000),
        executionCondition: CCP_CONDITION,
        destination: 'peer.settle',
        data: Buffer.alloc(0),
      });
      expect(rejectOf(await h.handle('alice', prepare)).code).toBe('F02');
      expect(h.link.sent).toHaveLength(0);
    });

    it('answers ILDCP for a child', async () => {
      h = await pipelineHarness();
      const response = await h.handle('alice', encodeIldcpRequest());
      expect(decodeIldcpResponse(response)).toEqual({
        clientAddress: `${OUR_ADDRESS}.alice`,
        assetCode: 'USD',
        assetScale: 9,
      });
    });

    it('rejects F08 with amounts in data', async () => {
      h = await pipelineHarness({ peers: [makePeer('alice', { maxPacketAmount: 1000n }), makePeer('bob')] });
      const reject = rejectOf(await h.handle('alice', prepareFor({ amount: 1001n })));
      expect(reject.code).toBe('F08');
      expect(decodeAmountTooLargeData(reject.data)).toEqual({ receivedAmount: 1001n, maximumAmount: 1000n });
    });

    it('rejects R02 when too little time is left', async () => {
      h = await pipelineHarness();
      expect(rejectOf(await h.handle('alice', prepareFor({ ttlMs: 1500 }))).code).toBe('R02');
      expect(rejectOf(await h.handle('alice', prepareFor({ ttlMs: -5 }))).code).toBe('R02');
    });

    it('rejects T05 when the peer exceeds its rate limit', async () => {
      h = await pipelineHarness({
        peers: [makePeer('alice', { rateLimit: { packetsPerSecond: 1, burst: 2 } }), makePeer('bob')],
      });
      h.link.connect('bob', async () => makeReject('F99', 'test.bob'));
      await h.handle('alice', prepareFor());
      await h.handle('alice', prepareFor());
      expect(rejectOf(await h.handle('alice', prepareFor())).code).toBe('T05');
      h.clock.advance(1000);
      expect(rejectOf(await h.handle('alice', prepareFor())).code).toBe('F99');
    });

    it('rejects T04 when the peer exceeds its throughput', async () => {
      h = await pipelineHarness({
        peers: [
          makePeer('alice', { throughput: { amountPerSecond: 100n, burstAmount: 150n } }),
          makePeer('bob'),
        ],
      });
      h.link.connect('bob', async () => makeReject('F99', 'test.bob'));
      expect(rejectOf(await h.handle('alice', prepareFor({ amount: 100n }))).code).toBe('F99');
      expect(rejectOf(await h.handle('alice', prepareFor({ amount: 100n }))).code).toBe('T04');
    });

    it('rejects T04 when the balance limit would be exceeded', async () => {
      h = await pipelineHarness({
        peers: [makePeer('alice', { balance: { maximum: 500n } }), makePeer('bob')],
      });
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      expect((await h.handle('alice', prepareFor({ amount: 400n, condition })))[0]).toBe(13);
      expect(rejectOf(await h.handle('alice', prepareFor({ amount: 101n, condition }))).code).toBe('T04');
      expect(await h.balance('alice')).toMatchObject({ balance: 400n, pendingIncoming: 0n });
    });

    it('rejects T01 when the next hop is not connected', async () => {
      h = await pipelineHarness();
      const reject = rejectOf(await h.handle('alice', prepareFor()));
      expect(reject).toMatchObject({ code: 'T01', triggeredBy: OUR_ADDRESS });
      expect(h.telemetry.outcomes[0]).toMatchObject({ toPeer: 'bob', code: 'T01', rejectedLocally: true });
    });

    it('rejects T01 when the session drops while sending, and voids the reservation', async () => {
      h = await pipelineHarness();
      h.link.connect('bob', async () => {
        throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', 'socket closed');
      });
      expect(rejectOf(await h.handle('alice', prepareFor())).code).toBe('T01');
      expect(await h.balance('alice')).toMatchObject({ balance: 0n, pendingIncoming: 0n });
    });

    it('never routes a packet back to its sender', async () => {
      h = await pipelineHarness();
      h.link.connect('bob', async () => makeFulfill(Buffer.alloc(32)));
      const reject = rejectOf(await h.handle('bob', prepareFor()));
      expect(reject.code).toBe('F02');
      expect(h.link.sent).toHaveLength(0);
    });

    it('rejects F00 for a packet from a peer that is not configured', async () => {
      h = await pipelineHarness();
      expect(rejectOf(await h.handle('mallory', prepareFor())).code).toBe('F00');
    });
  });

  describe('answers from the next hop', () => {
    it('rejects R00 when the next hop never answers, and voids the reservation', async () => {
      h = await pipelineHarness({ packet: { minMessageWindowMs: 50, maxHoldTimeMs: 30_000 } });
      h.link.connect('bob', () => new Promise<Buffer>(() => undefined));
      const reject = rejectOf(await h.handle('alice', prepareFor({ ttlMs: 150 })));
      expect(reject).toMatchObject({ code: 'R00', triggeredBy: OUR_ADDRESS });
      expect(await h.balance('alice')).toMatchObject({ balance: 0n, pendingIncoming: 0n });
      expect(await h.balance('bob')).toMatchObject({ balance: 0n, pendingOutgoing: 0n });
    });

    it('rejects F05 upstream when the fulfillment is wrong, and voids the reservation', async () => {
      h = await pipelineHarness();
      h.link.connect('bob', async () => makeFulfill(Buffer.alloc(32, 1)));
      const reject = rejectOf(await h.handle('alice', prepareFor()));
      expect(reject).toMatchObject({ code: 'F05', triggeredBy: OUR_ADDRESS });
      expect(await h.balance('alice')).toMatchObject({ balance: 0n, pendingIncoming: 0n });
    });

    it('relays a downstream reject unchanged, keeping its triggeredBy, and voids', async () => {
      h = await pipelineHarness();
      const downstream = makeReject('F99', 'test.somewhere.else', 'application said no');
      h.link.connect('bob', async () => downstream);
      const response = await h.handle('alice', prepareFor());
      expect(response).toEqual(downstream);
      expect(h.telemetry.outcomes[0]).toMatchObject({ toPeer: 'bob', code: 'F99', rejectedLocally: false });
      expect(await h.balance('bob')).toMatchObject({ balance: 0n, pendingOutgoing: 0n });
    });

    it('rejects T00 when the next hop answers with garbage', async () => {
      h = await pipelineHarness();
      h.link.connect('bob', async () => Buffer.from([13, 1, 0]));
      expect(rejectOf(await h.handle('alice', prepareFor())).code).toBe('T00');
    });

    it('rejects upstream instead of relaying the Fulfill when the post fails', async () => {
      h = await pipelineHarness({}, (ledger) =>
        delegatingLedger(ledger, {
          post: () => Promise.reject(new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'disk full')),
        }),
      );
      const { fulfillment, condition } = conditionPair();
      h.link.connect('bob', async () => makeFulfill(fulfillment));
      expect(rejectOf(await h.handle('alice', prepareFor({ condition }))).code).toBe('T00');
    });
  });

  describe('load', () => {
    it('sheds with T03 when too many packets are in flight', async () => {
      h = await pipelineHarness({ engine: { workers: 0, batchSize: 100, maxQueue: 1 } });
      let answer: (b: Buffer) => void = () => undefined;
      h.link.connect('bob', () => new Promise<Buffer>((resolve) => (answer = resolve)));
      const first = h.handle('alice', prepareFor());
      await waitUntil(() => h.link.sent.length === 1);
      expect(rejectOf(await h.handle('alice', prepareFor())).code).toBe('T03');
      answer(makeReject('F99', 'test.bob'));
      expect(rejectOf(await first).code).toBe('F99');
    });

    it('counts the packet in flight until it is answered, then drains', async () => {
      h = await pipelineHarness();
      let answer: (b: Buffer) => void = () => undefined;
      h.link.connect('bob', () => new Promise<Buffer>((resolve) => (answer = resolve)));
      const pending = h.handle('alice', prepareFor());
      await waitUntil(() => h.link.sent.length === 1);
      expect(h.engine.inFlight.value).toBe(1);
      let drained = false;
      void h.engine.inFlight.whenIdle().then(() => (drained = true));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(drained).toBe(false);
      answer(makeReject('F99', 'test.bob'));
      await pending;
      await waitUntil(() => drained);
      expect(h.engine.inFlight.value).toBe(0);
    });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!check()) throw new Error('condition not met');
}

async function eventuallyTrue(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
