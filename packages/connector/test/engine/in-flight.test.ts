import {
  ADMITTED,
  InFlight,
  PEER_BUDGET_EXHAUSTED,
  POOL_EXHAUSTED,
  type PeerBudget,
} from '../../src/engine/in-flight';

const generous: PeerBudget = {
  inFlightPackets: 1000,
  inFlightBytes: 1 << 30,
  heldPackets: 1000,
  heldBytes: 1 << 30,
};

function pool(maxPackets: number, maxBytes: number, peers: Record<string, Partial<PeerBudget>>): InFlight {
  const inFlight = new InFlight({ maxPackets, maxBytes }, generous);
  for (const [id, budget] of Object.entries(peers)) inFlight.setPeer(id, { ...generous, ...budget });
  return inFlight;
}

/** Admits until refused; returns how many got in and the verdict that stopped them. */
function fill(
  inFlight: InFlight,
  peerId: string,
  bytes = 1,
  limit = 100_000,
): { admitted: number; verdict: number } {
  for (let admitted = 0; admitted < limit; admitted++) {
    const verdict = inFlight.admit(peerId, bytes);
    if (verdict !== ADMITTED) return { admitted, verdict };
  }
  return { admitted: limit, verdict: ADMITTED };
}

describe('InFlight admission', () => {
  it("refuses a peer beyond its own packet budget (T05's verdict) and counts the refusal", () => {
    const inFlight = pool(100, 1 << 20, { alice: { inFlightPackets: 3 } });
    expect(fill(inFlight, 'alice')).toEqual({ admitted: 3, verdict: PEER_BUDGET_EXHAUSTED });
    const alice = [...inFlight.perPeer()].find((p) => p.peerId === 'alice');
    expect(alice).toMatchObject({ packets: 3, bytes: 3, refusedByPeerBudget: 1, refusedByPool: 0 });
    inFlight.release('alice', 1);
    expect(inFlight.admit('alice', 1)).toBe(ADMITTED);
  });

  it('refuses a peer beyond its own byte budget, whatever its packet count', () => {
    const inFlight = pool(100, 1 << 20, { alice: { inFlightBytes: 10_000 } });
    expect(inFlight.admit('alice', 6000)).toBe(ADMITTED);
    expect(inFlight.admit('alice', 6000)).toBe(PEER_BUDGET_EXHAUSTED);
    expect(inFlight.admit('alice', 4000)).toBe(ADMITTED);
    expect(inFlight.bytes).toBe(10_000);
  });

  it('reserves half of the pool in equal shares: a flooder takes the shared half, never the others’ shares', () => {
    // 4 peers, pool of 100: 12 reserved each (48), 52 shared.
    const inFlight = pool(100, 1 << 20, { alice: {}, bob: {}, carol: {}, dave: {} });
    const flood = fill(inFlight, 'alice');
    expect(flood).toEqual({ admitted: 12 + 52, verdict: POOL_EXHAUSTED });
    for (const peer of ['bob', 'carol', 'dave'])
      expect(fill(inFlight, peer)).toEqual({ admitted: 12, verdict: POOL_EXHAUSTED });
    expect(inFlight.value).toBe(100);
  });

  it('never exceeds the pool, in packets or bytes, whatever the order of admissions and releases', () => {
    const inFlight = pool(50, 50_000, { a: { inFlightPackets: 40 }, b: {}, c: { inFlightBytes: 30_000 } });
    const held: Array<[string, number]> = [];
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let step = 0; step < 20_000; step++) {
      if (held.length > 0 && random(3) === 0) {
        const [peer, bytes] = held.splice(random(held.length), 1)[0];
        inFlight.release(peer, bytes);
      } else {
        const peer = ['a', 'b', 'c'][random(3)];
        const bytes = 1 + random(4000);
        if (inFlight.admit(peer, bytes) === ADMITTED) held.push([peer, bytes]);
      }
      expect(inFlight.value).toBeLessThanOrEqual(50);
      expect(inFlight.bytes).toBeLessThanOrEqual(50_000);
    }
    for (const [peer, bytes] of held) inFlight.release(peer, bytes);
    expect([inFlight.value, inFlight.bytes]).toEqual([0, 0]);
  });

  it('keeps a reserved byte share for each peer when a flooder holds the shared bytes', () => {
    // Pool of 40 KB, 2 peers: 10 KB reserved each, 20 KB shared.
    const inFlight = pool(1000, 40_000, { alice: {}, carol: {} });
    expect(fill(inFlight, 'alice', 5000)).toEqual({ admitted: 6, verdict: POOL_EXHAUSTED });
    expect(fill(inFlight, 'carol', 5000)).toEqual({ admitted: 2, verdict: POOL_EXHAUSTED });
  });

  it('admits a peer it was not told about with the default budget, and recomputes the shares', () => {
    const inFlight = pool(100, 1 << 20, { alice: {} });
    expect(inFlight.admit('zed', 1)).toBe(ADMITTED);
    expect([...inFlight.perPeer()].map((p) => [p.peerId, p.reservedPackets])).toEqual([
      ['alice', 25],
      ['zed', 25],
    ]);
  });

  it('forgets a removed peer once its last packet is answered', () => {
    const inFlight = pool(100, 1 << 20, { alice: {}, bob: {} });
    expect(inFlight.admit('bob', 10)).toBe(ADMITTED);
    inFlight.removePeer('bob');
    expect([...inFlight.perPeer()].map((p) => p.peerId)).toEqual(['alice', 'bob']);
    expect([...inFlight.perPeer()][0].reservedPackets).toBe(50);
    inFlight.release('bob', 10);
    expect([...inFlight.perPeer()].map((p) => p.peerId)).toEqual(['alice']);
  });

  it('resolves whenIdle once the last admitted packet is released', async () => {
    const inFlight = pool(10, 1000, { alice: {} });
    await expect(inFlight.whenIdle()).resolves.toBeUndefined();
    inFlight.admit('alice', 1);
    let idle = false;
    void inFlight.whenIdle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    inFlight.release('alice', 1);
    await Promise.resolve();
    expect(idle).toBe(true);
  });
});

describe('InFlight held budgets (what a next hop holds)', () => {
  it('holds up to the next hop’s heldPackets and heldBytes, then refuses and counts', () => {
    const inFlight = pool(100, 1 << 20, { bob: { heldPackets: 2, heldBytes: 1000 } });
    expect(inFlight.tryHold('bob', 400)).toBe(true);
    expect(inFlight.tryHold('bob', 700)).toBe(false);
    expect(inFlight.tryHold('bob', 600)).toBe(true);
    expect(inFlight.tryHold('bob', 1)).toBe(false);
    expect([...inFlight.perPeer()][0]).toMatchObject({
      heldPackets: 2,
      heldBytes: 1000,
      refusedByHeldBudget: 2,
    });
    inFlight.releaseHold('bob', 400);
    expect(inFlight.tryHold('bob', 1)).toBe(true);
  });

  it('is independent of the admission pool', () => {
    const inFlight = pool(2, 1000, { bob: { heldPackets: 5 } });
    for (let i = 0; i < 5; i++) expect(inFlight.tryHold('bob', 1)).toBe(true);
    expect(inFlight.value).toBe(0);
  });
});
