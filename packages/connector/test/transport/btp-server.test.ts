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
};
const peers = [serverPeer('alice', 'alice-secret'), serverPeer('bob', 'bob-secret')];

describe('BtpServer', () => {
  let server: BtpServer;
  let url: string;
  let ctx: ReturnType<typeof makeRegistry>;
  let authFailures: AuthFailureReason[];
  const clients: BtpPeer[] = [];

  async function start(
    overrides: Partial<DaemonConfig['btp']> = {},
    pingIntervalMs = 10_000,
    maxUnauthenticated?: number,
  ): Promise<void> {
    ctx = makeRegistry(peers, pingIntervalMs);
    authFailures = [];
    server = new BtpServer({
      btp: { ...btpConfig, ...overrides },
      peers,
      registry: ctx.registry,
      frames: ctx.frames,
      logger: silentLogger,
      onAuthFailure: (reason) => authFailures.push(reason),
      maxUnauthenticated,
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
    expect(ctx.listener.events).toEqual(['+alice', '-alice', '+alice']);
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

  it('drops connections beyond the cap of unauthenticated ones', async () => {
    await start({}, 10_000, 1);
    const waiting = await raw();
    const extra = await raw();
    expect((await extra.closed).code).toBe(1006);
    expect(waiting.isOpen).toBe(true);
    await expect(waiting.request(authFrame(1, 'alice', 'alice-secret'))).resolves.toMatchObject({
      type: BtpPacketType.Response,
    });
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
