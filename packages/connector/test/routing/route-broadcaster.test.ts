import {
  CcpMode,
  decodePrepare,
  decodeRouteControlRequest,
  decodeRouteUpdateRequest,
  encodeCcpResponse,
  type CcpRouteUpdateRequest,
} from '@ilpd/codec';
import { PinnedClock } from '../packet/factories';
import { connect, disconnect, meshConfig, MeshNode, peer, waitFor } from './mesh';

const TABLE_1 = '11111111-1111-4111-8111-111111111111';
const TABLE_2 = '22222222-2222-4222-8222-222222222222';

function update(overrides: Partial<CcpRouteUpdateRequest>): CcpRouteUpdateRequest {
  return {
    speaker: 'test.b',
    routingTableId: TABLE_1,
    holdDownTime: 5000,
    currentEpochIndex: 1,
    fromEpochIndex: 0,
    toEpochIndex: 1,
    newRoutes: [],
    withdrawnRoutes: [],
    ...overrides,
  };
}

function routeTo(prefix: string, path: string[]) {
  return { prefix, path, auth: Buffer.alloc(32, 3), props: [] };
}

/** Updates node `from` sent to peer `to`, decoded. */
function updatesSent(from: MeshNode, to: string): CcpRouteUpdateRequest[] {
  return from.link.sent
    .filter((s) => s.peerId === to && decodePrepare(s.ilp).destination === 'peer.route.update')
    .map((s) => decodeRouteUpdateRequest(decodePrepare(s.ilp).data));
}

describe('RouteBroadcaster', () => {
  const nodes: MeshNode[] = [];
  const node = (
    name: string,
    ...args: ConstructorParameters<typeof MeshNode> extends [string, ...infer R] ? R : never
  ) => {
    const n = new MeshNode(name, ...args);
    nodes.push(n);
    return n;
  };
  afterEach(() => {
    for (const n of nodes.splice(0)) n.broadcaster.stop();
  });

  it('recomputes local and static routes when peers are added, disabled or removed at runtime', () => {
    const n = node('n', meshConfig('test.n', [peer('alice', 'child'), peer('carol')]));
    n.broadcaster.start();
    n.broadcaster.applyPeers(
      [
        peer('alice', 'child', { enabled: false }),
        peer('carol'),
        peer('dave', 'child'),
        peer('up', 'parent'),
      ],
      [
        { prefix: 'test.x', peer: 'carol' },
        { prefix: 'test.y', peer: 'alice' },
      ],
    );
    expect(n.routingTable.toJSON()).toEqual({
      test: { nextHop: 'up', path: '' },
      'test.n': { nextHop: '', path: '' },
      'test.n.dave': { nextHop: 'dave', path: '' },
      'test.x': { nextHop: 'carol', path: '' },
    });
    n.broadcaster.applyPeers([peer('alice', 'child')], []);
    expect(n.routingTable.toJSON()).toEqual({
      'test.n': { nextHop: '', path: '' },
      'test.n.alice': { nextHop: 'alice', path: '' },
    });
  });

  it('withdraws the routes learned from a peer that is removed at runtime', async () => {
    const a = node('a', meshConfig('test.a', [peer('b')]));
    const b = node('b', meshConfig('test.b', [peer('a')]));
    a.broadcaster.start();
    b.broadcaster.start();
    connect(a, 'b', b, 'a');
    await waitFor(() => a.nextHopFor('test.b.x') === 'b');
    a.broadcaster.applyPeers([], []);
    expect(a.nextHopFor('test.b.x')).toBeUndefined();
  });

  it('installs local routes: our address, each child, the parent as default, static routes', () => {
    const n = node(
      'n',
      meshConfig('test.n', [peer('up', 'parent'), peer('alice', 'child'), peer('carol')], {
        routes: [{ prefix: 'test.x', peer: 'carol' }],
      }),
    );
    n.broadcaster.start();
    expect(n.routingTable.toJSON()).toEqual({
      test: { nextHop: 'up', path: '' },
      'test.n': { nextHop: '', path: '' },
      'test.n.alice': { nextHop: 'alice', path: '' },
      'test.x': { nextHop: 'carol', path: '' },
    });
    expect(n.nextHopFor('test.elsewhere')).toBe('up');
  });

  it('learns routes only by broadcast, across two hops, with their paths', async () => {
    const a = node('a', meshConfig('test.a', [peer('b'), peer('alice', 'child')]));
    const b = node('b', meshConfig('test.b', [peer('a'), peer('c')]));
    const c = node('c', meshConfig('test.c', [peer('b')]));
    for (const n of [a, b, c]) n.broadcaster.start();
    connect(a, 'b', b, 'a');
    connect(b, 'c', c, 'b');
    await waitFor(() => c.nextHopFor('test.a.alice.payee') === 'b');
    expect(c.routingTable.get('test.a')?.path).toEqual(['test.b', 'test.a']);
    await waitFor(() => a.nextHopFor('test.c.x') === 'b');
    expect(a.routingTable.get('test.c')?.path).toEqual(['test.b', 'test.c']);
    // Children are covered by their parent node's address and not advertised on their own.
    expect(c.routingTable.get('test.a.alice')).toBeUndefined();
  });

  it('withdraws a peer’s routes when it disconnects, and the withdrawal propagates', async () => {
    const a = node('a', meshConfig('test.a', [peer('b')]));
    const b = node('b', meshConfig('test.b', [peer('a'), peer('c')]));
    const c = node('c', meshConfig('test.c', [peer('b')]));
    for (const n of [a, b, c]) n.broadcaster.start();
    connect(a, 'b', b, 'a');
    connect(b, 'c', c, 'b');
    await waitFor(() => c.nextHopFor('test.a') === 'b');
    disconnect(a, 'b', b, 'a');
    expect(b.nextHopFor('test.a')).toBeUndefined();
    await waitFor(() => c.nextHopFor('test.a') === undefined);
    expect(c.nextHopFor('test.b')).toBe('b');
  });

  it('does not advertise a route back to the peer it came from', async () => {
    const a = node('a', meshConfig('test.a', [peer('b')]));
    const b = node('b', meshConfig('test.b', [peer('a')]));
    a.broadcaster.start();
    b.broadcaster.start();
    connect(a, 'b', b, 'a');
    await waitFor(() => b.nextHopFor('test.a') === 'a' && a.nextHopFor('test.b') === 'b');
    await waitFor(() => updatesSent(b, 'a').length >= 2);
    const advertisedToA = updatesSent(b, 'a').flatMap((u) => u.newRoutes.map((r) => r.prefix));
    expect(advertisedToA).toContain('test.b');
    expect(advertisedToA).not.toContain('test.a');
  });

  it('splits what it advertises so every route update fits one Prepare’s 32,767 bytes of data', async () => {
    const a = node('a', meshConfig('test.a', [peer('b'), peer('c')]));
    const c = node('c', meshConfig('test.c', [peer('a')]));
    a.link.remotes.set('b', async () => encodeCcpResponse());
    for (const n of [a, c]) n.broadcaster.start();
    // 60 routes of ~3.4 KB each through b: far more than one update can carry.
    const hops = (i: number) => [
      'test.b',
      `test.${String(i % 10).repeat(1700)}`,
      `test.h${i}.${'x'.repeat(1700)}`,
    ];
    a.broadcaster.handleRouteUpdate(
      'b',
      update({ newRoutes: Array.from({ length: 60 }, (_, i) => routeTo(`test.p${i}`, hops(i))) }),
    );
    connect(a, 'c', c, 'a');
    await waitFor(() =>
      Array.from({ length: 60 }, (_, i) => c.nextHopFor(`test.p${i}`)).every((hop) => hop === 'a'),
    );
    expect(Math.max(...updatesSent(a, 'c').map((u) => u.newRoutes.length))).toBeLessThan(10);
    for (const sent of a.link.sent.filter((s) => s.peerId === 'c')) {
      expect(decodePrepare(sent.ilp).data.length).toBeLessThanOrEqual(32_767);
    }
  });

  it('does not offer a parent transit through our peers', async () => {
    const up = node(
      'up',
      meshConfig('test.up', [peer('b', 'child', { sendRoutes: true, receiveRoutes: true })]),
    );
    const a = node('a', meshConfig('test.a', [peer('b')]));
    const b = node('b', meshConfig('test.up.b', [peer('up', 'parent'), peer('a')]));
    for (const n of [up, a, b]) n.broadcaster.start();
    connect(a, 'b', b, 'a');
    await waitFor(() => b.nextHopFor('test.a') === 'a');
    connect(b, 'up', up, 'b');
    await waitFor(() => up.routingTable.get('test.up.b') !== undefined || updatesSent(b, 'up').length > 0);
    await waitFor(() => updatesSent(b, 'up').length >= 2);
    const toParent = updatesSent(b, 'up').flatMap((u) => u.newRoutes.map((r) => r.prefix));
    expect(toParent).not.toContain('test.a');
    expect(up.nextHopFor('test.a.x')).toBeUndefined();
  });

  describe('receiving updates', () => {
    function started(peers = [peer('b'), peer('c')], maxRoutesPerPeer = 1000) {
      const a = node(
        'a',
        meshConfig('test.a', peers, {
          routing: { broadcast: true, broadcastIntervalMs: 40, routeExpiryMs: 5000, maxRoutesPerPeer },
        }),
      );
      a.link.remotes.set('b', async () => encodeCcpResponse());
      a.link.remotes.set('c', async () => encodeCcpResponse());
      a.broadcaster.start();
      return a;
    }

    it('keeps at most routing.maxRoutesPerPeer routes from one peer, still taking updates to those it has', () => {
      const a = started([peer('b'), peer('c')], 3);
      const routes = ['test.r1', 'test.r2', 'test.r3', 'test.r4', 'test.r5'].map((p) =>
        routeTo(p, ['test.b']),
      );
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: routes }));
      expect(['test.r1', 'test.r2', 'test.r3', 'test.r4', 'test.r5'].map((p) => a.nextHopFor(p))).toEqual([
        'b',
        'b',
        'b',
        undefined,
        undefined,
      ]);
      // A withdrawal makes room; a changed route to a kept prefix is always taken.
      a.broadcaster.handleRouteUpdate(
        'b',
        update({
          fromEpochIndex: 1,
          toEpochIndex: 2,
          withdrawnRoutes: ['test.r1'],
          newRoutes: [routeTo('test.r2', ['test.b', 'test.z']), routeTo('test.r4', ['test.b'])],
        }),
      );
      expect(a.routingTable.get('test.r2')?.path).toEqual(['test.b', 'test.z']);
      expect(a.nextHopFor('test.r4')).toBe('b');
      // Another peer has its own allowance.
      a.broadcaster.handleRouteUpdate('c', update({ newRoutes: [routeTo('test.c1', ['test.c'])] }));
      expect(a.nextHopFor('test.c1')).toBe('c');
    });

    it('ignores a route whose prefix and path exceed MAX_ROUTE_BYTES', () => {
      const a = started();
      const longPath = Array.from({ length: 5 }, (_, i) => `test.${String(i).repeat(900)}`);
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ newRoutes: [routeTo('test.big', longPath), routeTo('test.small', ['test.b'])] }),
      );
      expect(a.nextHopFor('test.big')).toBeUndefined();
      expect(a.nextHopFor('test.small')).toBe('b');
    });

    it('drops routes whose path contains our own address (loops)', () => {
      const a = started();
      a.broadcaster.handleRouteUpdate(
        'b',
        update({
          newRoutes: [
            routeTo('test.x', ['test.b', 'test.a', 'test.x']),
            routeTo('test.y', ['test.b', 'test.y']),
          ],
        }),
      );
      expect(a.nextHopFor('test.x')).toBeUndefined();
      expect(a.nextHopFor('test.y')).toBe('b');
      // The same prefix re-advertised through us replaces (withdraws) the usable route.
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ fromEpochIndex: 1, toEpochIndex: 2, newRoutes: [routeTo('test.y', ['test.b', 'test.a'])] }),
      );
      expect(a.nextHopFor('test.y')).toBeUndefined();
    });

    it('ignores routes outside our allocation scheme, for the whole scheme, or under our address', () => {
      const a = started();
      a.broadcaster.handleRouteUpdate(
        'b',
        update({
          newRoutes: [
            routeTo('g.other', ['g.other']),
            routeTo('test', ['test.b']),
            routeTo('test.a.hijack', ['test.b']),
            routeTo('test.fine', ['test.b']),
          ],
        }),
      );
      expect(a.routingTable.get('g.other')).toBeUndefined();
      expect(a.routingTable.get('test')).toBeUndefined();
      expect(a.routingTable.get('test.a.hijack')).toBeUndefined();
      expect(a.nextHopFor('test.fine')).toBe('b');
    });

    it('applies withdrawals', () => {
      const a = started();
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: [routeTo('test.y', ['test.b'])] }));
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ fromEpochIndex: 1, toEpochIndex: 2, withdrawnRoutes: ['test.y'] }),
      );
      expect(a.nextHopFor('test.y')).toBeUndefined();
    });

    it('asks for a resync from its last epoch when an update skips epochs', () => {
      const a = started();
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: [routeTo('test.y', ['test.b'])] }));
      a.link.sent.length = 0;
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ fromEpochIndex: 5, toEpochIndex: 6, newRoutes: [routeTo('test.z', ['test.b'])] }),
      );
      expect(a.nextHopFor('test.z')).toBeUndefined();
      const control = a.link.sent.find((s) => decodePrepare(s.ilp).destination === 'peer.route.control');
      expect(control?.peerId).toBe('b');
      expect(decodeRouteControlRequest(decodePrepare(control!.ilp).data)).toMatchObject({
        mode: CcpMode.Sync,
        lastKnownRoutingTableId: TABLE_1,
        lastKnownEpoch: 1,
      });
    });

    it('forgets a peer’s routes when its routing table id changes (the peer restarted)', () => {
      const a = started();
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: [routeTo('test.old', ['test.b'])] }));
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ routingTableId: TABLE_2, newRoutes: [routeTo('test.new', ['test.b'])] }),
      );
      expect(a.nextHopFor('test.old')).toBeUndefined();
      expect(a.nextHopFor('test.new')).toBe('b');
    });

    it('prefers a route through a child over a peer over a parent, then the shorter path', () => {
      const a = started([
        peer('b'),
        peer('c'),
        peer('kid', 'child', { receiveRoutes: true }),
        peer('up', 'parent'),
      ]);
      for (const id of ['kid', 'up']) a.link.remotes.set(id, async () => encodeCcpResponse());
      a.broadcaster.handleRouteUpdate('up', update({ newRoutes: [routeTo('test.x', ['test.up'])] }));
      expect(a.nextHopFor('test.x')).toBe('up');
      a.broadcaster.handleRouteUpdate(
        'c',
        update({ newRoutes: [routeTo('test.x', ['test.c', 'test.d', 'test.x'])] }),
      );
      expect(a.nextHopFor('test.x')).toBe('c');
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: [routeTo('test.x', ['test.b', 'test.x'])] }));
      expect(a.nextHopFor('test.x')).toBe('b');
      a.broadcaster.handleRouteUpdate(
        'kid',
        update({ newRoutes: [routeTo('test.x', ['test.k', 'test.j', 'test.x'])] }),
      );
      expect(a.nextHopFor('test.x')).toBe('kid');
    });

    it('lets static routes win over learned routes', () => {
      const a = node(
        'a',
        meshConfig('test.a', [peer('b'), peer('c')], { routes: [{ prefix: 'test.x', peer: 'c' }] }),
      );
      a.link.remotes.set('b', async () => encodeCcpResponse());
      a.broadcaster.start();
      a.broadcaster.handleRouteUpdate('b', update({ newRoutes: [routeTo('test.x', ['test.b'])] }));
      expect(a.nextHopFor('test.x')).toBe('c');
    });

    it('expires routes not refreshed within the hold-down time and asks to resync', async () => {
      const clock = new PinnedClock();
      const a = node(
        'a',
        meshConfig('test.a', [peer('b')], {
          routing: { broadcast: true, broadcastIntervalMs: 20, routeExpiryMs: 5000 },
        }),
        clock,
      );
      a.link.remotes.set('b', async () => encodeCcpResponse());
      a.broadcaster.start();
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ holdDownTime: 1000, newRoutes: [routeTo('test.y', ['test.b'])] }),
      );
      clock.advance(900);
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(a.nextHopFor('test.y')).toBe('b');
      a.link.sent.length = 0;
      clock.advance(200);
      await waitFor(() => a.nextHopFor('test.y') === undefined);
      const control = a.link.sent.find((s) => decodePrepare(s.ilp).destination === 'peer.route.control');
      expect(decodeRouteControlRequest(decodePrepare(control!.ilp).data).lastKnownEpoch).toBe(0);
    });

    it('does not advertise a more specific prefix reachable through the covering one (DRAGON), until that goes', () => {
      const a = started();
      const advertised = () => a.broadcaster.status().forwardingRoutingTable as Record<string, unknown>;
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ newRoutes: [routeTo('test.x', ['test.b']), routeTo('test.x.y', ['test.b', 'test.y'])] }),
      );
      expect(advertised()['test.x']).toMatchObject({ nextHop: 'b' });
      expect(advertised()['test.x.y'] ?? null).toBeNull();
      expect(a.nextHopFor('test.x.y.z')).toBe('b');
      a.broadcaster.handleRouteUpdate(
        'b',
        update({ fromEpochIndex: 1, toEpochIndex: 2, withdrawnRoutes: ['test.x'] }),
      );
      expect(advertised()['test.x']).toBeNull();
      expect(advertised()['test.x.y']).toMatchObject({ nextHop: 'b', path: 'test.a test.b test.y' });
    });

    it('refuses updates from a peer we do not accept routes from (F00)', () => {
      const a = started([peer('b', 'peer', { receiveRoutes: false })]);
      expect(() => a.broadcaster.handleRouteUpdate('b', update({}))).toThrow(
        expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }),
      );
    });
  });

  it('refuses route control from a peer we do not send routes to (F00)', () => {
    const a = node('a', meshConfig('test.a', [peer('alice', 'child')]));
    a.link.remotes.set('alice', async () => encodeCcpResponse());
    a.broadcaster.start();
    a.broadcaster.onPeerConnected('alice');
    expect(() =>
      a.broadcaster.handleRouteControl('alice', {
        mode: CcpMode.Sync,
        lastKnownRoutingTableId: TABLE_1,
        lastKnownEpoch: 0,
        features: [],
      }),
    ).toThrow(expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }));
  });

  it('sends heartbeats every broadcastIntervalMs and stops when stopped', async () => {
    const a = node('a', meshConfig('test.a', [peer('b')]));
    const b = node('b', meshConfig('test.b', [peer('a')]));
    a.broadcaster.start();
    b.broadcaster.start();
    connect(a, 'b', b, 'a');
    await waitFor(() => updatesSent(a, 'b').length >= 4);
    const heartbeats = updatesSent(a, 'b').slice(1);
    expect(heartbeats.every((u) => u.newRoutes.length === 0 && u.fromEpochIndex === u.toEpochIndex)).toBe(
      true,
    );
    a.broadcaster.stop();
    const count = updatesSent(a, 'b').length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(updatesSent(a, 'b').length).toBe(count);
  });

  it('with broadcasting off keeps local and static routes and refuses CCP', () => {
    const a = node(
      'a',
      meshConfig('test.a', [peer('b'), peer('alice', 'child')], {
        routing: { broadcast: false, broadcastIntervalMs: 40, routeExpiryMs: 5000 },
        routes: [{ prefix: 'test.x', peer: 'b' }],
      }),
    );
    a.link.remotes.set('b', async () => encodeCcpResponse());
    a.broadcaster.start();
    a.broadcaster.onPeerConnected('b');
    expect(a.nextHopFor('test.x.y')).toBe('b');
    expect(a.nextHopFor('test.a.alice')).toBe('alice');
    expect(a.link.sent).toHaveLength(0);
    expect(() => a.broadcaster.handleRouteUpdate('b', update({}))).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }),
    );
  });
});
