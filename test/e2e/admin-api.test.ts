import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeFulfill, decodeReject, encodePrepare } from '@ilpd/codec';
import { parse } from 'yaml';
import { BtpRequestError, connectBtpPeer, fulfillPacket, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess, freePort, runCliAsync } from '../helpers/daemon-process';

/**
 * The admin write API against a real ilpd process and real BTP peers: peers added, changed, disabled
 * and removed at runtime; every change saved to the operator's config file, so a restart runs what the
 * API set; the API off unless enabled, and closed to requests without the token.
 */
const TOKEN = 'e2e-admin-token-0123456789';
const HUB = 'test.admin';

function prepareTo(destination: string, amount = 1000n): { ilp: Buffer; fulfillment: Buffer } {
  const fulfillment = randomBytes(32);
  const ilp = encodePrepare({
    amount,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: createHash('sha256').update(fulfillment).digest(),
    destination,
    data: Buffer.alloc(0),
  });
  return { ilp, fulfillment };
}

/** A BTP peer that fulfils whatever it receives (it knows every fulfillment the test made). */
const fulfillments = new Map<string, Buffer>();
function fulfilling(prepare: { executionCondition: Buffer }): Buffer {
  const fulfillment = fulfillments.get(prepare.executionCondition.toString('hex'));
  if (fulfillment === undefined) throw new Error('unknown condition');
  return fulfillPacket(fulfillment);
}

async function pay(from: BtpPeer, destination: string, amount = 1000n): Promise<Buffer> {
  const { ilp, fulfillment } = prepareTo(destination, amount);
  fulfillments.set(createHash('sha256').update(fulfillment).digest('hex'), fulfillment);
  return from.sendIlp(ilp);
}

async function balances(daemon: DaemonProcess): Promise<Record<string, string>> {
  const { body } = await daemon.getJson('/admin/balances');
  const list = (body as { balances: { peerId: string; balance: string }[] }).balances;
  return Object.fromEntries(list.map((b) => [b.peerId, b.balance]));
}

async function peerIds(daemon: DaemonProcess): Promise<{ id: string; enabled: boolean }[]> {
  const { body } = await daemon.getJson('/admin/peers');
  return (body as { peers: { id: string; enabled: boolean }[] }).peers.map(({ id, enabled }) => ({
    id,
    enabled,
  }));
}

const carol = {
  id: 'carol',
  relation: 'child',
  btp: { role: 'server', authToken: 'carol-secret' },
  assetCode: 'USD',
  assetScale: 9,
  balance: { minimum: '-1000000', maximum: '1000000' },
};

describe('admin write API (e2e)', () => {
  const peers: BtpPeer[] = [];
  let daemon: DaemonProcess | undefined;

  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
    await daemon?.stop();
    await daemon?.dispose();
    daemon = undefined;
  });

  async function connect(d: DaemonProcess, id: string, token = `${id}-secret`): Promise<BtpPeer> {
    const peer = await connectBtpPeer(d.btpUrl, { username: id, token }, { onPrepare: fulfilling });
    peers.push(peer);
    return peer;
  }

  it('adds a peer that can then connect and be paid, saves it to the file, and keeps it across a restart', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret')],
      config: { fx: { spread: 0 } },
      adminToken: TOKEN,
    });
    await expect(connect(daemon, 'carol')).rejects.toBeInstanceOf(BtpRequestError);

    const added = await daemon.adminRequest('POST', '/admin/peers', carol);
    expect(added).toMatchObject({ status: 201, body: { changed: true, peers: { added: ['carol'] } } });
    const alice = await connect(daemon, 'alice');
    await connect(daemon, 'carol');
    expect(decodeFulfill(await pay(alice, `${HUB}.carol.shop`, 5000n))).toBeDefined();
    expect(await balances(daemon)).toEqual({ alice: '5000', carol: '-5000' });

    const file = parse(readFileSync(daemon.configPath, 'utf8')) as { peers: { id: string }[] };
    expect(file.peers.map((p) => p.id)).toEqual(['alice', 'carol']);
    const log = await daemon.waitForLog((l) => l.msg === 'config change applied: add peer carol');
    expect(log.change).toMatchObject({
      source: 'admin',
      actor: 'e2e-test from 127.0.0.1',
      file: daemon.configPath,
    });
    expect(typeof log.time).toBe('string');

    // The file is the source of truth: a restart runs carol, with her balance.
    await Promise.all(peers.splice(0).map((p) => p.close()));
    expect((await daemon.stop()).code).toBe(0);
    daemon = await daemon.restart();
    expect(await peerIds(daemon)).toEqual([
      { id: 'alice', enabled: true },
      { id: 'carol', enabled: true },
    ]);
    await connect(daemon, 'carol');
    expect(await balances(daemon)).toEqual({ alice: '5000', carol: '-5000' });
  });

  it('disables a peer (session closed, reconnects refused, balance kept) and enables it again, via the CLI', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      config: { fx: { spread: 0 } },
      adminToken: TOKEN,
    });
    const alice = await connect(daemon, 'alice');
    const bob = await connect(daemon, 'bob');
    await pay(alice, `${HUB}.bob.x`, 700n);

    const disabled = await runCliAsync(['peers', 'disable', 'bob', '--config', daemon.configPath]);
    expect(disabled.code).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ peers: { disabled: ['bob'] }, drained: true });
    await bob.closed;
    await expect(connect(daemon, 'bob')).rejects.toBeInstanceOf(BtpRequestError);
    expect(decodeReject(await pay(alice, `${HUB}.bob.x`)).code).toBe('F02');
    expect(await peerIds(daemon)).toContainEqual({ id: 'bob', enabled: false });
    expect(await balances(daemon)).toEqual({ alice: '700', bob: '-700' });
    const metrics = (await daemon.getJson('/metrics')).body as string;
    expect(metrics).not.toMatch(/ilpd_peer_connected\{peer="bob"\}/);
    expect(
      daemon.logs().find((l) => l.msg === 'config change applied: update peer bob (enabled)'),
    ).toMatchObject({ change: { actor: expect.stringMatching(/\(ilpd cli\) from 127\.0\.0\.1$/) } });

    expect((await runCliAsync(['peers', 'enable', 'bob', '--config', daemon.configPath])).code).toBe(0);
    await connect(daemon, 'bob');
    expect((await pay(alice, `${HUB}.bob.x`, 300n))[0]).toBe(13);
    expect(await balances(daemon)).toEqual({ alice: '1000', bob: '-1000' });
  });

  it('rotates a peer’s token: its session closes after the drain and only the new token is accepted', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret'), childPeer('bob', 'bob-secret')],
      adminToken: TOKEN,
    });
    const bob = await connect(daemon, 'bob');
    const rotated = await daemon.adminRequest('PATCH', '/admin/peers/bob', {
      btp: { authToken: 'bob-new-secret' },
    });
    expect(rotated).toMatchObject({ status: 200, body: { peers: { reconnected: ['bob'] } } });
    await bob.closed;
    await expect(connect(daemon, 'bob', 'bob-secret')).rejects.toBeInstanceOf(BtpRequestError);
    await connect(daemon, 'bob', 'bob-new-secret');
    expect(readFileSync(daemon.configPath, 'utf8')).toContain('authToken: bob-new-secret');
  });

  it('refuses invalid changes naming the key, and changes nothing', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret')],
      adminToken: TOKEN,
    });
    const before = readFileSync(daemon.configPath, 'utf8');
    const invalid = await daemon.adminRequest('POST', '/admin/peers', { ...carol, maxPacketAmount: -5 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatchObject({
      code: 'ILPD_ERR_CONFIG',
      problems: ['peers[1] (carol).maxPacketAmount: expected a decimal string (e.g. "1000000"), got -5'],
    });
    const cli = await runCliAsync([
      'peers',
      'update',
      'alice',
      '--config',
      daemon.configPath,
      '--json',
      '{"rateLimit":{"packetsPerSecond":0,"burst":1}}',
    ]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(
      'peers[0] (alice).rateLimit.packetsPerSecond: expected an integer between 1 and',
    );
    expect(readFileSync(daemon.configPath, 'utf8')).toBe(before);
    expect(await peerIds(daemon)).toEqual([{ id: 'alice', enabled: true }]);
    expect(
      ((await daemon.getJson('/metrics')).body as string).match(/^ilpd_config_changes_total\{.*$/gm),
    ).toEqual(['ilpd_config_changes_total{source="admin",result="refused"} 2']);
  });

  it('answers only requests with the bearer token', async () => {
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret')],
      adminToken: TOKEN,
    });
    for (const token of [null, 'not-the-token-000000']) {
      const refused = await daemon.adminRequest('DELETE', '/admin/peers/alice', undefined, token);
      expect(refused).toMatchObject({
        status: 401,
        body: { error: { code: 'ILPD_ERR_ADMIN_UNAUTHORIZED' } },
      });
    }
    expect(await peerIds(daemon)).toEqual([{ id: 'alice', enabled: true }]);
  });

  it('is off unless enabled: nothing listens, and the CLI says how to turn it on', async () => {
    const port = await freePort();
    daemon = await DaemonProcess.start({
      address: HUB,
      peers: [childPeer('alice', 'alice-secret')],
      config: { admin: { port } },
    });
    await expect(fetch(`http://127.0.0.1:${port}/admin/reload`, { method: 'POST' })).rejects.toThrow();
    const cli = await runCliAsync(['reload', '--config', daemon.configPath]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('the admin API is off');
    expect(cli.stderr).toContain('kill -HUP');
  });
});
