import { PeerTable } from '../../src/packet/peer-state';
import { makePeer } from './factories';

describe('PeerTable', () => {
  it('keeps a peer’s state (and its count of packets in flight) across a new peer set', () => {
    const table = new PeerTable([makePeer('alice')], 0);
    const alice = table.get('alice')!;
    alice.beginPacket();
    table.apply([makePeer('alice', { maxPacketAmount: 5n }), makePeer('bob')], 10);
    expect(table.get('alice')).toBe(alice);
    expect(alice.config.maxPacketAmount).toBe(5n);
    expect(alice.packetsInFlight).toBe(1);
    expect(table.get('bob')?.packetsInFlight).toBe(0);
    table.apply([makePeer('bob')], 20);
    expect(table.get('alice')).toBeUndefined();
  });

  it('resolves whenIdle once the last packet of the peers ends', async () => {
    const table = new PeerTable([makePeer('alice'), makePeer('bob')], 0);
    const alice = table.get('alice')!;
    const bob = table.get('bob')!;
    alice.beginPacket();
    bob.beginPacket();
    bob.beginPacket();
    let idle = false;
    const waiting = table.whenIdle(['alice', 'bob']).then(() => (idle = true));
    alice.endPacket();
    bob.endPacket();
    await Promise.resolve();
    expect(idle).toBe(false);
    bob.endPacket();
    await waiting;
    expect(idle).toBe(true);
  });

  it('rebuilds a token bucket only when its own settings change', () => {
    const table = new PeerTable([makePeer('alice', { rateLimit: { packetsPerSecond: 1, burst: 1 } })], 0);
    const alice = table.get('alice')!;
    alice.rateLimiter!.take(0);
    table.apply(
      [makePeer('alice', { rateLimit: { packetsPerSecond: 1, burst: 1 }, maxPacketAmount: 9n })],
      1,
    );
    // Same bucket: still empty one millisecond later.
    expect(() => alice.rateLimiter!.take(1)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_RATE_LIMITED' }),
    );
    table.apply([makePeer('alice', { rateLimit: { packetsPerSecond: 1, burst: 3 } })], 2);
    expect(() => alice.rateLimiter!.take(2)).not.toThrow();
  });
});
