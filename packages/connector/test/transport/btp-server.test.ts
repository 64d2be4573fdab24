import { createConnection } from 'node:net';
import { BtpPacketType, decodeReject, encodeBtp, encodeReject } from '@ilpd/codec';
import type { DaemonConfig } from '../../src/config/types';
import { BtpServer } from '../../src/transport/btp-server';
import type { AuthFailureReason } from '../../src/telemetry/metrics';
import {
  BtpRequestError,
  connectBtpPeer,
  connectRawBtpPeer,
  authFrame,
  type BtpPeer,
} from '../../../../test/helpers/btp-peer';
import { eventually, FULFILL, makeRegistry, prepare, serverPeer, silentLogger } from './fixtures';

const btpConfig: DaemonConfig['btp'] = {
  host: '127.0.0.1',
  port: 0,
  maxPayloadBytes: 64 * 1024,
  authTimeoutMs: 300,
  pingIntervalMs: 10_000,
  requestTimeoutMs: 5000,
  maxOutputBufferBytes: 1 << 20,
  maxUnauthenticated: 256,
  maxUnauthenticatedPerSource: 16,
};
const peers = [serverPeer('alice', 'alice-secret'), serverPeer('bob', 'bob-secret')];

describe('BtpServer', () => {
  let server: BtpServer;
  let url: string;
  let ctx: ReturnType<typeof makeRegistry>;
  let authFailures: AuthFailureReason[];
  const clients: BtpPeer[] = [];

  async function start(overrides: Partial<DaemonConfig['btp']> = {}, pingIntervalMs = 10_000): Promise<void> {
    ctx = makeRegistry(peers, pingIntervalMs);
    authFailures = [];
    server = new BtpServer({
      btp: { ...btpConfig, ...overrides },
      peers,
      registry: ctx.registry,
      frames: ctx.frames,
      logger: silentLogger,
      warnings: ctx.warnings,
      onAuthFailure: (reason) => authFailures.push(reason),
    });
    const address = await server.listen();
    url = `ws://127.0.0.1:${address.port}`;
  }

  async function connect(username: string, token: string): Promise<BtpPeer> {
    const peer = await connectBtpPeer(url, { username, token });
    clients.push(peer);
    return peer;
  }

  async function raw(): Promise<BtpPeer> {
    const peer = await connectRawBtpPeer(url);
    clients.push(peer);
    return peer;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    server.stopAccepting();
    await ctx.registry.closeAll();
  });

  it('authenticates a peer by username and token and routes its Prepares to the packet path', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    const answer = await alice.sendIlp(prepare());
    expect(answer).toEqual(FULFILL);
    expect(ctx.handler.calls.map((c) => c.from)).toEqual(['alice']);
    expect(ctx.registry.isConnected('alice')).toBe(true);
    expect(ctx.listener.events).toEqual(['+alice']);
  });

  it('recognises a peer by its token when auth_username is empty (ilp-plugin-btp default)', async () => {
    await start();
    const bob = await connect('', 'bob-secret');
    await bob.sendIlp(prepare());
    expect(ctx.handler.calls.map((c) => c.from)).toEqual(['bob']);
  });

  it.each([
    ['a wrong token', 'alice', 'bob-secret', 'bad_token'],
    ['an unknown username', 'mallory', 'alice-secret', 'unknown_peer'],
    ['an unknown token without username', '', 'guess', 'bad_token'],
  ])(
    'answers %s with NotAcceptedError, closes, and routes nothing',
    async (_what, username, token, reason) => {
      await start();
      const peer = await raw();
      const refused = peer.request(authFrame(1, username, token));
      await expect(refused).rejects.toMatchObject({ code: 'F00', btpName: 'NotAcceptedError' });
      await expect(refused).rejects.toBeInstanceOf(BtpRequestError);
      await peer.closed;
      expect(ctx.handler.calls).toHaveLength(0);
      expect(ctx.listener.events).toHaveLength(0);
      expect(authFailures).toEqual([reason]);
    },
  );

  it('refuses a peer disabled at runtime (reason disabled), and accepts one added at runtime', async () => {
    await start();
    const carol = serverPeer('carol', 'carol-secret');
    const changed = [{ ...peers[0], enabled: false }, ...peers.slice(1), carol];
    server.setPeers(changed);
    ctx.registry.setPeers(changed);
    const refused = (await raw()).request(authFrame(1, 'alice', 'alice-secret'));
    await expect(refused).rejects.toMatchObject({ btpName: 'NotAcceptedError' });
    expect(authFailures).toEqual(['disabled']);
    await connect('carol', 'carol-secret');
    expect(ctx.registry.isConnected('carol')).toBe(true);
    expect([...ctx.registry.peerStates()].map((p) => p.peerId)).toEqual(['bob', 'carol']);
  });

  it('closes a connection whose first frame is not an auth message, routing nothing', async () => {
    await start();
    const peer = await raw();
    const sent = peer.request({
      type: BtpPacketType.Message,
      requestId: 5,
      protocolData: [{ protocolName: 'ilp', contentType: 0, data: prepare() }],
    });
    await expect(sent).rejects.toMatchObject({ code: 'F00' });
    await peer.closed;
    expect(ctx.handler.calls).toHaveLength(0);
    expect(authFailures).toEqual(['malformed']);
  });

  it('closes a connection that does not authenticate within authTimeoutMs', async () => {
    await start({ authTimeoutMs: 100 });
    const peer = await raw();
    const closed = await peer.closed;
    expect(closed.code).toBe(1008);
    expect(authFailures).toEqual(['timeout']);
  });

  it('answers a malformed frame with a readable request id with a BTP error and keeps the session', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    const garbage = Buffer.from([BtpPacketType.Message, 0, 0, 0, 42, 0x05, 0xff, 0xff]);
    alice.sendRaw(garbage);
    await eventually(() =>
      expect(alice.received).toContainEqual(
        expect.objectContaining({ type: BtpPacketType.Error, requestId: 42, code: 'F00' }),
      ),
    );
    expect(await alice.sendIlp(prepare())).toEqual(FULFILL);
  });

  it('closes a session on a frame too short to carry a request id, and keeps serving others', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    alice.sendRaw(Buffer.from([6, 0]));
    expect((await alice.closed).code).toBe(1002);
    await eventually(() => expect(ctx.listener.events).toEqual(['+alice', '-alice']));
    const again = await connect('alice', 'alice-secret');
    expect(await again.sendIlp(prepare())).toEqual(FULFILL);
  });

  it('refuses BTP Transfers with a clear error instead of crashing', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    const transfer = alice.request({
      type: BtpPacketType.Transfer,
      requestId: 77,
      amount: 5n,
      protocolData: [],
    });
    await expect(transfer).rejects.toMatchObject({
      code: 'F00',
      detail: expect.stringContaining('not supported'),
    });
    expect(alice.isOpen).toBe(true);
  });

  it('answers a Message without ilp protocol data with an empty Response', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    const answer = await alice.request({
      type: BtpPacketType.Message,
      requestId: 9,
      protocolData: [{ protocolName: 'custom', contentType: 1, data: Buffer.from('hi') }],
    });
    expect(answer).toMatchObject({ type: BtpPacketType.Response, protocolData: [] });
    expect(ctx.handler.calls).toHaveLength(0);
  });

  it('closes a socket that sends a frame above maxPayloadBytes', async () => {
    await start({ maxPayloadBytes: 2048 });
    const alice = await connect('alice', 'alice-secret');
    alice.sendRaw(
      encodeBtp({
        type: BtpPacketType.Message,
        requestId: 3,
        protocolData: [{ protocolName: 'x', contentType: 0, data: Buffer.alloc(4096) }],
      }),
    );
    expect((await alice.closed).code).toBe(1009);
    expect(ctx.handler.calls).toHaveLength(0);
  });

  it("lets a new authenticated connection replace the peer's old session", async () => {
    await start();
    const first = await connect('alice', 'alice-secret');
    const second = await connect('alice', 'alice-secret');
    await first.closed;
    expect(second.isOpen).toBe(true);
    // The account never lost its session, so listeners hear of a new one and of no disconnect.
    expect(ctx.listener.events).toEqual(['+alice', '+alice']);
    expect(await second.sendIlp(prepare())).toEqual(FULFILL);
    expect(ctx.registry.isConnected('alice')).toBe(true);
  });

  it('answers new Prepares with the drain Reject once draining', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    ctx.registry.beginDrain(
      encodeReject({ code: 'T03', triggeredBy: 'test.me', message: 'shutting down', data: Buffer.alloc(0) }),
    );
    const answer = await alice.sendIlp(prepare());
    expect(decodeReject(answer).code).toBe('T03');
    expect(ctx.handler.calls).toHaveLength(0);
  });

  it('drops the oldest unauthenticated connection for a newcomer at the total cap', async () => {
    await start({ maxUnauthenticated: 2 });
    const oldest = await raw();
    const younger = await raw();
    const alice = await connect('alice', 'alice-secret');
    expect((await oldest.closed).code).toBe(1006);
    expect(younger.isOpen).toBe(true);
    expect(await alice.sendIlp(prepare())).toEqual(FULFILL);
    expect(server.unauthenticatedCount).toBe(1);
    expect(ctx.warningEvents).toEqual(['unauthenticated_evicted']);
  });

  it('drops the oldest of the same source at the per-source cap, however much room is left', async () => {
    await start({ maxUnauthenticated: 100, maxUnauthenticatedPerSource: 3 });
    const idle = [await raw(), await raw(), await raw()];
    const fourth = await raw();
    expect((await idle[0].closed).code).toBe(1006);
    expect([idle[1].isOpen, idle[2].isOpen, fourth.isOpen]).toEqual([true, true, true]);
    await expect(fourth.request(authFrame(1, 'bob', 'bob-secret'))).resolves.toMatchObject({
      type: BtpPacketType.Response,
    });
    await eventually(() => expect(server.unauthenticatedCount).toBe(2));
  });

  it('drops an unauthenticated connection that sends more than an auth frame can be', async () => {
    await start({ maxPayloadBytes: 1 << 20 });
    const peer = await raw();
    peer.sendRaw(
      encodeBtp({
        type: BtpPacketType.Message,
        requestId: 3,
        protocolData: [{ protocolName: 'auth', contentType: 0, data: Buffer.alloc(200_000) }],
      }),
    );
    expect((await peer.closed).code).toBe(1006);
    expect(authFailures).toEqual(['malformed']);
    expect(ctx.warningEvents).toEqual(['preauth_bytes_exceeded']);
    expect(ctx.handler.calls).toHaveLength(0);
  });

  it('closes a TCP connection that never even upgrades within authTimeoutMs', async () => {
    await start({ authTimeoutMs: 100 });
    const socket = createConnection(Number(new URL(url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    await eventually(() => expect(server.unauthenticatedCount).toBe(1));
    await new Promise((resolve) => socket.once('close', resolve));
    expect(authFailures).toEqual(['timeout']);
    await eventually(() => expect(server.unauthenticatedCount).toBe(0));
  });

  it('answers a second auth on an authenticated session with a BTP error and closes it', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    await expect(alice.request(authFrame(2, 'bob', 'wrong'))).rejects.toMatchObject({
      code: 'F00',
      detail: expect.stringContaining('already authenticated'),
    });
    expect((await alice.closed).code).toBe(1008);
    expect(ctx.warningEvents).toEqual(['reauth']);
    await eventually(() => expect(ctx.listener.events).toEqual(['+alice', '-alice']));
  });

  it('accepts up to maxConnections per account and spreads outgoing Prepares over them', async () => {
    const twoEach = [serverPeer('alice', 'alice-secret', 2), serverPeer('bob', 'bob-secret', 2)];
    ctx = makeRegistry(twoEach);
    authFailures = [];
    server = new BtpServer({
      btp: btpConfig,
      peers: twoEach,
      registry: ctx.registry,
      frames: ctx.frames,
      logger: silentLogger,
      warnings: ctx.warnings,
      onAuthFailure: (reason) => authFailures.push(reason),
    });
    url = `ws://127.0.0.1:${(await server.listen()).port}`;
    const seen: string[] = [];
    const answerAs = (name: string) => (): Buffer => {
      seen.push(name);
      return FULFILL;
    };
    const first = await connectBtpPeer(
      url,
      { username: 'alice', token: 'alice-secret' },
      { onPrepare: answerAs('first') },
    );
    const second = await connectBtpPeer(
      url,
      { username: 'alice', token: 'alice-secret' },
      { onPrepare: answerAs('second') },
    );
    clients.push(first, second);
    expect(ctx.registry.connectionsOf('alice')).toBe(2);
    for (let i = 0; i < 4; i++) expect(await ctx.registry.sendIlp('alice', prepare(), 5000)).toEqual(FULFILL);
    expect(seen).toEqual(['first', 'second', 'first', 'second']);
    // Both send, each answered on its own connection.
    expect(await first.sendIlp(prepare())).toEqual(FULFILL);
    expect(await second.sendIlp(prepare())).toEqual(FULFILL);
    expect(ctx.handler.calls.map((c) => c.from)).toEqual(['alice', 'alice']);
    // A third replaces the oldest; losing one of two is no disconnect.
    const third = await connectBtpPeer(url, { username: 'alice', token: 'alice-secret' });
    clients.push(third);
    expect((await first.closed).code).toBe(1008);
    expect(ctx.registry.connectionsOf('alice')).toBe(2);
    await second.close();
    await eventually(() => expect(ctx.registry.connectionsOf('alice')).toBe(1));
    expect(ctx.listener.events).toEqual(['+alice', '+alice', '+alice']);
    await third.close();
    await eventually(() => expect(ctx.listener.events).toEqual(['+alice', '+alice', '+alice', '-alice']));
  });

  it('stops accepting connections but keeps established sessions', async () => {
    await start();
    const alice = await connect('alice', 'alice-secret');
    server.stopAccepting();
    expect(server.isListening).toBe(false);
    await expect(connectRawBtpPeer(url)).rejects.toThrow();
    expect(await alice.sendIlp(prepare())).toEqual(FULFILL);
  });
});
