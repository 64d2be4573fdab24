import { stringify } from 'yaml';
import { departingPeerIds, diffConfig, isEmptyChange } from '../../src/config/config-diff';
import { parseConfig } from '../../src/config/load';
import type { DaemonConfig } from '../../src/config/types';

function peer(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    relation: 'child',
    btp: { role: 'server', authToken: `${id}-secret` },
    assetCode: 'USD',
    assetScale: 9,
    ...extra,
  };
}

function config(peers: Record<string, unknown>[], extra: Record<string, unknown> = {}): DaemonConfig {
  return parseConfig(stringify({ address: 'test.diff', peers, ...extra }), {}, '/etc/ilpd');
}

const ids = (list: readonly { id: string }[]) => list.map((p) => p.id);

describe('diffConfig', () => {
  const before = config([peer('alice'), peer('bob'), peer('carol')]);

  it('finds nothing to do in the same config', () => {
    const change = diffConfig(before, config([peer('alice'), peer('bob'), peer('carol')]));
    expect(isEmptyChange(change)).toBe(true);
    expect(departingPeerIds(change)).toEqual([]);
  });

  it('sorts peers into added, updated in place, reconnected, disabled, enabled and removed', () => {
    const change = diffConfig(
      config([peer('bob', { balance: { maximum: '10' } }), peer('dave')]),
      config([
        peer('bob', { balance: { maximum: '20' }, rateLimit: { packetsPerSecond: 5, burst: 5 } }),
        peer('dave', { btp: { role: 'server', authToken: 'dave-new-secret' } }),
        peer('erin'),
      ]),
    );
    expect(ids(change.peers.added)).toEqual(['erin']);
    expect(ids(change.peers.updated)).toEqual(['bob']);
    expect(ids(change.peers.reconnected)).toEqual(['dave']);
    expect(departingPeerIds(change)).toEqual(['dave']);
  });

  it('drains a peer whose relation or route settings change, and one that is disabled or removed', () => {
    const change = diffConfig(
      before,
      config([peer('alice', { relation: 'peer' }), peer('bob', { enabled: false })]),
    );
    expect(ids(change.peers.reconnected)).toEqual(['alice']);
    expect(ids(change.peers.disabled)).toEqual(['bob']);
    expect(ids(change.peers.removed)).toEqual(['carol']);
    expect(departingPeerIds(change).sort()).toEqual(['alice', 'bob', 'carol']);
  });

  it('enables a disabled peer without draining anything', () => {
    const change = diffConfig(config([peer('alice', { enabled: false })]), config([peer('alice')]));
    expect(ids(change.peers.enabled)).toEqual(['alice']);
    expect(departingPeerIds(change)).toEqual([]);
  });

  it('refuses to move a peer to another asset, naming the key and the way out', () => {
    const change = diffConfig(
      config([peer('alice')], { fx: { rates: { USD: 1, EUR: 1.1 } } }),
      config([peer('alice', { assetCode: 'EUR' })], { fx: { rates: { USD: 1, EUR: 1.1 } } }),
    );
    expect(change.refused).toEqual([
      expect.stringMatching(
        /^peers\[0\]\.assetCode: cannot change from "USD" to "EUR" while ilpd runs: .*add the peer under a new id/,
      ),
    ]);
  });

  it('applies routes and FX live and lists other keys as waiting for a restart', () => {
    const change = diffConfig(
      before,
      config([peer('alice'), peer('bob'), peer('carol')], {
        routes: [{ prefix: 'test.other', peer: 'bob' }],
        fx: { spread: 0.01 },
        http: { port: 7790 },
        engine: { maxQueue: 100 },
      }),
    );
    expect(change.routesChanged).toBe(true);
    expect(change.fxChanged).toBe(true);
    expect(change.restartRequired).toEqual(['http.port', 'engine.maxQueue']);
    expect(isEmptyChange(change)).toBe(false);
  });

  it('applies a new admin token live', () => {
    const admin = (token: string) => ({ admin: { enabled: true, token } });
    const change = diffConfig(
      config([peer('alice')], admin('0123456789abcdef-old')),
      config([peer('alice')], admin('0123456789abcdef-new')),
    );
    expect(change.adminTokenChanged).toBe(true);
    expect(change.restartRequired).toEqual([]);
  });
});
