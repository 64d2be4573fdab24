import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  decodeFulfill,
  decodePrepare,
  decodeReject,
  encodeIldcpResponse,
  encodeReject,
  findBtpIlpData,
} from '@ilpd/codec';
import { BtpSession } from '../../src/btp/btp-session';
import { LoadReceiverThread } from '../../src/peers/load-receiver-thread';
import { BtpRelay } from '../../src/relay/btp-relay';
import { conditionOf } from '../../src/workload/payload';
import { buildPacketPool } from '../../src/workload/packet-pool';

const alice = { username: 'alice', token: 'alice-secret' };
const bob = { username: 'bob', token: 'bob-secret' };
const fixture = (name: string) => join(__dirname, 'fixtures', name);

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('LoadReceiverThread', () => {
  let relay: BtpRelay;
  let url: string;
  const secret = randomBytes(32);
  const opened: Array<{ stop(): Promise<void> } | { close(): Promise<void> }> = [];

  function receiver(overrides: Partial<ConstructorParameters<typeof LoadReceiverThread>[0]> = {}) {
    const r = new LoadReceiverThread({ url, ...bob, secret, rejectCode: 'F99', ...overrides });
    opened.push(r);
    return r;
  }

  async function sender(onIlpRequest?: (session: BtpSession, id: number, ilp: Buffer) => void) {
    const s: BtpSession = new BtpSession(
      { url, ...alice },
      onIlpRequest ? { onIlpRequest: (id, ilp) => onIlpRequest(s, id, ilp) } : {},
    );
    opened.push(s);
    await s.connect();
    return s;
  }

  beforeEach(async () => {
    relay = new BtpRelay({
      host: '127.0.0.1',
      port: 0,
      accounts: new Map([
        [alice.username, alice.token],
        [bob.username, bob.token],
      ]),
    });
    url = `btp+ws://127.0.0.1:${await relay.start()}`;
  });

  afterEach(async () => {
    for (const r of opened.splice(0)) await ('stop' in r ? r.stop() : r.close());
    await relay.stop();
  });

  it('answers Prepares from its own thread and counts them', async () => {
    const r = receiver({ address: 'test.relay.bob' });
    await r.start();
    expect(r.running).toBe(true);
    expect(r.address).toBe('test.relay.bob');
    const s = await sender();
    const pool = buildPacketPool({
      receiverAddress: r.address,
      secret,
      size: 40,
      amountMin: 1,
      amountMax: 1000,
      rejectFraction: 0.5,
      accounts: 4,
      paddingBytes: 0,
      seed: 7,
    });
    let fulfilled = 0;
    let amount = 0;
    for (let i = 0; i < pool.frames.length; i++) {
      const prepare = findBtpIlpData(pool.frames[i]) as Buffer;
      const response = await s.requestIlp(prepare, 5000);
      if (pool.expectReject[i] === 1) {
        expect(decodeReject(response).code).toBe('F99');
      } else {
        const condition = decodePrepare(prepare).executionCondition;
        expect(conditionOf(decodeFulfill(response).fulfillment).equals(condition)).toBe(true);
        fulfilled++;
        amount += pool.amounts[i];
      }
    }
    expect(fulfilled).toBeGreaterThan(5);
    expect(fulfilled).toBeLessThan(35);
    expect(r.prepares).toBe(40);
    expect(r.fulfilled).toBe(fulfilled);
    expect(r.rejected).toBe(40 - fulfilled);
    expect(r.fulfilledAmount).toBe(amount);
    expect(r.closedWith).toBeUndefined();
  });

  it('answers a packet that is not a Prepare with F01 and counts it as rejected only', async () => {
    const r = receiver({ address: 'test.relay.bob' });
    await r.start();
    const s = await sender();
    const response = await s.requestIlp(
      encodeReject({ code: 'F00', triggeredBy: '', message: '', data: Buffer.alloc(0) }),
      5000,
    );
    expect(decodeReject(response).code).toBe('F01');
    expect([r.prepares, r.rejected]).toEqual([0, 1]);
  });

  it('learns its address over ILDCP when none is given', async () => {
    await sender((session, id) =>
      session.respondIlp(
        id,
        encodeIldcpResponse({ clientAddress: 'test.ildcp.bob', assetScale: 9, assetCode: 'XRP' }),
      ),
    );
    const r = receiver();
    expect(() => r.address).toThrow(/before start/);
    await r.start();
    expect(r.address).toBe('test.ildcp.bob');
  });

  it('fails to start with the connector’s ILDCP refusal and ends its thread', async () => {
    await sender((session, id) =>
      session.respondIlp(
        id,
        encodeReject({ code: 'F00', triggeredBy: 'test.relay', message: 'no', data: Buffer.alloc(0) }),
      ),
    );
    const r = receiver();
    await expect(r.start()).rejects.toMatchObject({
      code: 'ILPD_LOADGEN_BTP_ERROR',
      message: expect.stringMatching(/ILDCP \(peer\.config\) was refused: F00 no; pass --receiver-address/),
    });
    expect(r.running).toBe(false);
  });

  it('fails to start when the connector refuses its credentials', async () => {
    const r = receiver({ address: 'test.relay.bob', token: 'wrong' });
    await expect(r.start()).rejects.toMatchObject({
      code: 'ILPD_LOADGEN_BTP_AUTH',
      message: expect.stringContaining('auth as "bob" failed'),
    });
    expect(r.running).toBe(false);
  });

  it('reports a lost connection when the connector closes', async () => {
    const r = receiver({ address: 'test.relay.bob' });
    await r.start();
    await relay.stop();
    await until(() => r.closedWith !== undefined);
    expect(r.closedWith?.code).toBe(1006);
    await r.stop();
    expect(r.running).toBe(false);
  });

  it('stop() ends the worker and closes its connection', async () => {
    const r = receiver({ address: 'test.relay.bob' });
    await r.start();
    const s = await sender();
    const started = Date.now();
    await r.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r.running).toBe(false);
    expect(r.closedWith?.code).toBe(1000);
    // The relay learns of the close when its side of the socket ends, which may be a moment after
    // ours; until then a request to the receiver goes unanswered, so ask again with a short timeout.
    let answer: unknown;
    for (let attempt = 0; attempt < 10; attempt++) {
      answer = await s.requestIlp(Buffer.from([12]), 300).catch((err: unknown) => err);
      if (String((answer as Error).message).includes('no peer to relay to')) break;
    }
    expect(answer).toMatchObject({ message: expect.stringContaining('no peer to relay to') });
    await r.stop();
  });

  it('reports a thread that dies mid-run as a lost connection', async () => {
    const r = receiver({ file: fixture('crash-after-start.cjs') });
    await r.start();
    expect(r.address).toBe('test.crash.bob');
    await until(() => r.closedWith !== undefined);
    expect(r.closedWith).toEqual({
      code: 1006,
      reason: 'the receiver thread exited with code 1: receiver thread boom',
    });
    expect(r.running).toBe(false);
  });

  it('fails to start when its thread dies before connecting', async () => {
    const r = receiver({ file: fixture('crash-before-start.cjs') });
    await expect(r.start()).rejects.toThrow(
      'the receiver thread exited with code 1 before it connected: receiver thread boom at start',
    );
    expect(r.running).toBe(false);
  });
});
