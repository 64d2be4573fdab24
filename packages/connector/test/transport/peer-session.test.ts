import { BtpPacketType, decodePrepare, encodeBtp, encodePrepare } from '@ilpd/codec';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import type { PeerSession } from '../../src/transport/peer-session';
import { BtpPeer, rejectPacket } from '../../../../test/helpers/btp-peer';
import { eventually, FULFILL, makeRegistry, prepare, serverPeer } from './fixtures';

/** A session over a real socket pair: `session` is ours, `remote` is the peer's end. */
async function sessionPair(pingIntervalMs = 10_000, autoPong = true, maxBufferedBytes = 1 << 24) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => wss.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, { autoPong });
  await new Promise((resolve) => client.once('open', resolve));
  const ctx = makeRegistry([serverPeer('bob', 'b')], pingIntervalMs, maxBufferedBytes);
  const session: PeerSession = ctx.registry.attach('bob', await accepted);
  const remote = new BtpPeer(client);
  return { ...ctx, session, remote, wss, client };
}

/** The TCP socket under a ws client (to stop reading it, as a stuck peer would). */
function socketOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

describe('PeerSession', () => {
  let pair: Awaited<ReturnType<typeof sessionPair>>;

  afterEach(async () => {
    await pair.registry.closeAll();
    await pair.remote.close();
    await new Promise((resolve) => pair.wss.close(resolve));
  });

  it("sends a Prepare and resolves with the peer's answer", async () => {
    pair = await sessionPair();
    pair.remote.setPrepareHandler((p) => {
      expect(p.destination).toBe('test.x.bob');
      return FULFILL;
    });
    await expect(pair.registry.sendIlp('bob', prepare(), 5000)).resolves.toEqual(FULFILL);
    expect(pair.session.pendingRequests).toBe(0);
  });

  it('allocates distinct request ids for concurrent requests', async () => {
    pair = await sessionPair();
    pair.remote.setPrepareHandler((p) => rejectPacket('F99', p.destination));
    const answers = await Promise.all(
      ['test.a', 'test.b', 'test.c'].map((d) => pair.registry.sendIlp('bob', prepare(d), 5000)),
    );
    expect(answers.map((a) => a.subarray(-40).toString('latin1'))).toEqual([
      expect.stringContaining('test.a'),
      expect.stringContaining('test.b'),
      expect.stringContaining('test.c'),
    ]);
  });

  it('times out with ILPD_ERR_TIMED_OUT and forgets the request', async () => {
    pair = await sessionPair();
    pair.remote.setPrepareHandler(() => new Promise(() => undefined));
    await expect(pair.registry.sendIlp('bob', prepare(), 50)).rejects.toMatchObject({
      code: 'ILPD_ERR_TIMED_OUT',
    });
    expect(pair.session.pendingRequests).toBe(0);
  });

  it('drops an answer that arrives after the timeout and keeps the session', async () => {
    pair = await sessionPair();
    pair.remote.setPrepareHandler(() => new Promise((resolve) => setTimeout(() => resolve(FULFILL), 150)));
    await expect(pair.registry.sendIlp('bob', prepare(), 30)).rejects.toMatchObject({
      code: 'ILPD_ERR_TIMED_OUT',
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(pair.session.pendingRequests).toBe(0);
    expect(pair.registry.isConnected('bob')).toBe(true);
  });

  it('fails pending requests with ILPD_ERR_PEER_UNREACHABLE when the connection closes', async () => {
    pair = await sessionPair();
    pair.remote.setPrepareHandler(() => new Promise(() => undefined));
    const sent = pair.registry.sendIlp('bob', prepare(), 5000);
    await eventually(() => expect(pair.session.pendingRequests).toBe(1));
    pair.remote.ws.terminate();
    await expect(sent).rejects.toMatchObject({ code: 'ILPD_ERR_PEER_UNREACHABLE' });
    expect(pair.session.pendingRequests).toBe(0);
    expect(pair.registry.isConnected('bob')).toBe(false);
    expect(pair.listener.events).toEqual(['+bob', '-bob']);
  });

  it('turns a BTP Error answer into ILPD_ERR_PEER_PROTOCOL', async () => {
    pair = await sessionPair();
    pair.remote.ws.removeAllListeners('message');
    pair.remote.ws.on('message', (data: Buffer) => {
      pair.remote.sendRaw(
        encodeBtp({
          type: BtpPacketType.Error,
          requestId: data.readUInt32BE(1),
          code: 'T00',
          name: 'TemporaryError',
          triggeredAt: new Date(),
          data: Buffer.from('try later'),
          protocolData: [],
        }),
      );
    });
    await expect(pair.registry.sendIlp('bob', prepare(), 1000)).rejects.toMatchObject({
      code: 'ILPD_ERR_PEER_PROTOCOL',
      message: expect.stringContaining('T00 TemporaryError: try later'),
    });
    expect(pair.session.pendingRequests).toBe(0);
  });

  it('turns a Response without ilp data into ILPD_ERR_PEER_PROTOCOL', async () => {
    pair = await sessionPair();
    pair.remote.ws.removeAllListeners('message');
    pair.remote.ws.on('message', (data: Buffer) => {
      pair.remote.sendRaw(
        encodeBtp({ type: BtpPacketType.Response, requestId: data.readUInt32BE(1), protocolData: [] }),
      );
    });
    await expect(pair.registry.sendIlp('bob', prepare(), 1000)).rejects.toMatchObject({
      code: 'ILPD_ERR_PEER_PROTOCOL',
    });
  });

  it('rejects sending to a peer that is not connected', async () => {
    pair = await sessionPair();
    await expect(pair.registry.sendIlp('carol', prepare(), 1000)).rejects.toMatchObject({
      code: 'ILPD_ERR_PEER_UNREACHABLE',
    });
  });

  it('terminates a session whose peer stops answering pings', async () => {
    // The remote end never answers pings.
    pair = await sessionPair(50, false);
    await eventually(() => expect(pair.registry.isConnected('bob')).toBe(false), 2000);
    // The session stops counting as connected when it terminates; '-bob' follows on the socket's close.
    await eventually(() => expect(pair.listener.events).toEqual(['+bob', '-bob']), 2000);
  });

  it('keeps a session whose peer answers pings', async () => {
    pair = await sessionPair(100);
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(pair.registry.isConnected('bob')).toBe(true);
  });

  it('drops the connection of a peer that stops reading once our unread output passes the cap', async () => {
    pair = await sessionPair(10_000, true, 64 * 1024);
    socketOf(pair.client).pause();
    const big = encodePrepare({
      amount: 1n,
      expiresAt: new Date(Date.now() + 30_000),
      executionCondition: Buffer.alloc(32),
      destination: 'test.x.bob',
      data: Buffer.alloc(32_000),
    });
    const outcomes: Promise<unknown>[] = [];
    // Far more than the kernel's socket buffers take: the rest piles up in ours until the cap.
    for (let i = 0; i < 2000 && pair.session.isOpen; i++) {
      outcomes.push(pair.session.sendIlp(big, 30_000).catch((err: { code: string }) => err.code));
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(pair.session.isOpen).toBe(false);
    expect(outcomes.length).toBeLessThan(2000);
    expect(new Set(await Promise.all(outcomes))).toEqual(new Set(['ILPD_ERR_PEER_UNREACHABLE']));
    expect(pair.warningEvents).toEqual(['slow_reader']);
    await eventually(() => expect(pair.listener.events).toEqual(['+bob', '-bob']));
  });

  it('drops the connection of a peer that pings without reading our pongs', async () => {
    pair = await sessionPair(10_000, true, 64 * 1024);
    socketOf(pair.client).pause();
    const payload = Buffer.alloc(125);
    for (let i = 0; i < 200_000 && pair.session.isOpen; i++) {
      pair.client.ping(payload);
      if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    }
    // ws itself drops a peer with 60 pongs unsent (maxPendingAutoPongs): a ping flood costs us no memory.
    await eventually(() => expect(pair.session.isOpen).toBe(false));
    await eventually(() => expect(pair.listener.events).toEqual(['+bob', '-bob']));
  });

  it("handles a quiet peer's Prepare before a flooding peer's backlog (32 frames per connection per turn)", async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    const ctx = makeRegistry([serverPeer('bob', 'b'), serverPeer('carol', 'c')]);
    const open = async (id: string): Promise<WebSocket> => {
      const accepted = new Promise<WebSocket>((resolve) => wss.once('connection', resolve));
      const client = new WebSocket(url);
      await new Promise((resolve) => client.once('open', resolve));
      ctx.registry.attach(id, await accepted);
      return client;
    };
    const flooder = await open('bob');
    const quiet = await open('carol');
    pair = { ...ctx, session: undefined as never, remote: new BtpPeer(flooder), wss, client: flooder };
    const frame = (id: number) =>
      encodeBtp({
        type: BtpPacketType.Message,
        requestId: id,
        protocolData: [{ protocolName: 'ilp', contentType: 0, data: prepare() }],
      });
    for (let i = 1; i <= 3000; i++) flooder.send(frame(i));
    await new Promise((resolve) => setTimeout(resolve, 20));
    quiet.send(frame(1));
    await eventually(() => expect(ctx.handler.calls).toHaveLength(3001));
    const carolAt = ctx.handler.calls.findIndex((c) => c.from === 'carol');
    expect(carolAt).toBeLessThan(1500);
    quiet.terminate();
  });

  it('hands an incoming Prepare to the packet handler and answers with what it resolves to', async () => {
    pair = await sessionPair();
    let release: (b: Buffer) => void = () => undefined;
    pair.handler.answer = () => new Promise((resolve) => (release = resolve));
    const answered = pair.remote.sendIlp(prepare());
    await eventually(() => expect(pair.handler.calls).toHaveLength(1));
    release(FULFILL);
    await expect(answered).resolves.toEqual(FULFILL);
    expect(decodePrepare(pair.handler.calls[0].ilp).destination).toBe('test.x.bob');
  });
});
