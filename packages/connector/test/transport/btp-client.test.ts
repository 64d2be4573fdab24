import type { PeerConfig, BtpClientSide } from '../../src/config/types';
import { BtpClient, clientTarget } from '../../src/transport/btp-client';
import { listenBtpPeer, type BtpPeerServer } from '../../../../test/helpers/btp-peer';
import { eventually, FULFILL, makeRegistry, prepare, silentLogger } from './fixtures';

function clientPeer(url: string, authToken?: string): PeerConfig & { btp: BtpClientSide } {
  return {
    id: 'up',
    relation: 'parent',
    btp: { role: 'client', url, authToken, reconnectInitialMs: 20, reconnectMaxMs: 80 },
    assetCode: 'USD',
    assetScale: 9,
    balance: {},
    enabled: true,
    sendRoutes: true,
    receiveRoutes: true,
  };
}

const btp = {
  host: '127.0.0.1',
  port: 0,
  maxPayloadBytes: 65536,
  authTimeoutMs: 1000,
  pingIntervalMs: 10_000,
  requestTimeoutMs: 5000,
};

describe('clientTarget', () => {
  it('maps btp+ws to ws and takes the credentials out of the URL', () => {
    expect(clientTarget(clientPeer('btp+ws://me:s%40cret@host.example:7768/path').btp)).toEqual({
      url: 'ws://host.example:7768/path',
      username: 'me',
      token: 's@cret',
    });
  });

  it('prefers authToken over the token in the URL', () => {
    expect(clientTarget(clientPeer('btp+wss://me:old@host:1', 'new').btp)).toMatchObject({
      url: 'wss://host:1',
      token: 'new',
    });
  });
});

describe('BtpClient', () => {
  let upstream: BtpPeerServer | undefined;
  let client: BtpClient | undefined;
  let ctx: ReturnType<typeof makeRegistry>;

  afterEach(async () => {
    client?.stop();
    await ctx.registry.closeAll();
    await upstream?.close();
    upstream = undefined;
  });

  function startClient(url: string, token?: string): void {
    const peer = clientPeer(url, token);
    ctx = makeRegistry([peer]);
    client = new BtpClient({
      peer,
      btp,
      registry: ctx.registry,
      frames: ctx.frames,
      logger: silentLogger,
      random: () => 0.5,
    });
    client.start();
  }

  it("connects, authenticates and becomes the peer's session", async () => {
    upstream = await listenBtpPeer({ token: 'tok', onPrepare: () => FULFILL });
    startClient(`btp+ws://me@127.0.0.1:${upstream.port}`, 'tok');
    await upstream.nextPeer();
    await eventually(() => expect(ctx.registry.isConnected('up')).toBe(true));
    expect(ctx.listener.events).toEqual(['+up']);
    await expect(ctx.registry.sendIlp('up', prepare(), 2000)).resolves.toEqual(FULFILL);
  });

  it('reconnects with backoff after the peer goes away and comes back', async () => {
    upstream = await listenBtpPeer({ token: 'tok', onPrepare: () => FULFILL });
    const port = upstream.port;
    startClient(`btp+ws://127.0.0.1:${port}`, 'tok');
    await upstream.nextPeer();
    await upstream.close();
    await eventually(() => expect(ctx.registry.isConnected('up')).toBe(false));
    await new Promise((resolve) => setTimeout(resolve, 200));
    upstream = await listenBtpPeer({ token: 'tok', port, onPrepare: () => FULFILL });
    await upstream.nextPeer(5000);
    await eventually(() => expect(ctx.registry.isConnected('up')).toBe(true));
    expect(ctx.listener.events).toEqual(['+up', '-up', '+up']);
  });

  it('keeps retrying while the peer refuses its credentials, and stops on stop()', async () => {
    upstream = await listenBtpPeer({ token: 'other' });
    let attempts = 0;
    startClient(`btp+ws://127.0.0.1:${upstream.port}`, 'wrong');
    const { frames } = ctx;
    await eventually(() => {
      attempts = frames.total('out', 'message');
      expect(attempts).toBeGreaterThanOrEqual(3);
    });
    expect(ctx.registry.isConnected('up')).toBe(false);
    client?.stop();
    const after = frames.total('out', 'message');
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(frames.total('out', 'message')).toBe(after);
  });
});
