import { createHash, randomBytes } from 'node:crypto';
import { decodeFulfill, decodeReject, encodeFulfill, encodePrepare } from '@ilpd/codec';
import { connectBtpPeer, type BtpPeer } from '../helpers/btp-peer';
import { childPeer, DaemonProcess } from '../helpers/daemon-process';

/**
 * Two ilpd processes peered over BTP (west listens, east connects as client), with no static routes:
 * each learns the other's prefix only from CCP route broadcasts. A child of east pays a child of west
 * across both, and when west goes away east withdraws the route.
 */
const ROUTING = { broadcast: true, broadcastIntervalMs: 200, routeExpiryMs: 2000 };

interface RouteJson {
  prefix: string;
  nextHop: string;
  path: string[];
}

async function routesOf(daemon: DaemonProcess): Promise<RouteJson[]> {
  const { body } = await daemon.getJson('/admin/routes');
  return (body as { routes: RouteJson[] }).routes;
}

async function waitForRoute(daemon: DaemonProcess, prefix: string, present: boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const route = (await routesOf(daemon)).find((r) => r.prefix === prefix);
    if ((route !== undefined) === present) return route;
    if (Date.now() > deadline)
      throw new Error(`route ${prefix} ${present ? 'not learned' : 'not withdrawn'}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function payment(destination: string, amount: bigint) {
  const fulfillment = randomBytes(32);
  const ilp = encodePrepare({
    amount,
    expiresAt: new Date(Date.now() + 10_000),
    executionCondition: createHash('sha256').update(fulfillment).digest(),
    destination,
    data: Buffer.from('two-hop'),
  });
  return { ilp, fulfillment };
}

describe('two ilpd processes peered over BTP (e2e)', () => {
  let west: DaemonProcess;
  let east: DaemonProcess;
  const clients: BtpPeer[] = [];
  const fulfillments = new Map<string, Buffer>();

  beforeAll(async () => {
    west = await DaemonProcess.start({
      address: 'test.west',
      peers: [
        {
          id: 'east',
          relation: 'peer',
          btp: { role: 'server', authToken: 'east-token' },
          assetCode: 'USD',
          assetScale: 9,
        },
        childPeer('bob', 'bob-secret'),
      ],
      config: { routing: ROUTING, fx: { spread: 0 } },
    });
    east = await DaemonProcess.start({
      address: 'test.east',
      peers: [
        {
          id: 'west',
          relation: 'peer',
          btp: {
            role: 'client',
            url: `btp+ws://east:east-token@127.0.0.1:${west.btpPort}`,
            reconnectInitialMs: 100,
          },
          assetCode: 'USD',
          assetScale: 9,
        },
        childPeer('alice', 'alice-secret'),
      ],
      config: { routing: ROUTING, fx: { spread: 0 } },
    });
    clients.push(
      await connectBtpPeer(
        west.btpUrl,
        { username: 'bob', token: 'bob-secret' },
        {
          onPrepare: (prepare) => {
            const fulfillment = fulfillments.get(prepare.executionCondition.toString('hex'));
            if (fulfillment === undefined) throw new Error('unknown condition');
            return encodeFulfill({ fulfillment, data: Buffer.from('paid') });
          },
        },
      ),
    );
    clients.push(await connectBtpPeer(east.btpUrl, { username: 'alice', token: 'alice-secret' }));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    for (const d of [east, west]) {
      if (d === undefined) continue;
      await d.stop();
      await d.dispose();
    }
  });

  it('learns each other’s routes by broadcast only', async () => {
    const towardsWest = await waitForRoute(east, 'test.west', true);
    expect(towardsWest).toMatchObject({ nextHop: 'west', path: ['test.west'] });
    const towardsEast = await waitForRoute(west, 'test.east', true);
    expect(towardsEast).toMatchObject({ nextHop: 'east', path: ['test.east'] });
  });

  it('forwards a packet across both connectors', async () => {
    await waitForRoute(east, 'test.west', true);
    const alice = clients[1];
    const { ilp, fulfillment } = payment('test.west.bob.invoice', 4321n);
    fulfillments.set(createHash('sha256').update(fulfillment).digest('hex'), fulfillment);
    const answer = await alice.sendIlp(ilp);
    if (answer[0] === 14) throw new Error(`rejected: ${JSON.stringify(decodeReject(answer))}`);
    expect(decodeFulfill(answer)).toMatchObject({ fulfillment, data: Buffer.from('paid') });
    const balances = async (d: DaemonProcess) =>
      ((await d.getJson('/admin/balances')).body as { balances: { peerId: string; balance: string }[] })
        .balances;
    expect(await balances(east)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peerId: 'alice', balance: '4321' }),
        expect.objectContaining({ peerId: 'west', balance: '-4321' }),
      ]),
    );
    expect(await balances(west)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ peerId: 'east', balance: '4321' }),
        expect.objectContaining({ peerId: 'bob', balance: '-4321' }),
      ]),
    );
  });

  it('withdraws the route when the peer goes away', async () => {
    await waitForRoute(east, 'test.west', true);
    await west.stop();
    await waitForRoute(east, 'test.west', false);
    const { ilp } = payment('test.west.bob.invoice', 1n);
    const reject = decodeReject(await clients[1].sendIlp(ilp));
    expect(reject).toMatchObject({ code: 'F02', triggeredBy: 'test.east' });
  });
});
