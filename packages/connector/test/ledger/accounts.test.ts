import { AccountState, OpenReservations, Reservation } from '../../src/ledger/embedded/accounts';

const stored = (id: number, kind: 'peer' | 'liquidity', peerId = '') => ({
  id,
  kind,
  peerId,
  assetCode: 'USD',
  assetScale: 9,
  balance: 0n,
});

function reservations(n: number): Reservation[] {
  const liquidity = new AccountState(stored(1, 'liquidity'), undefined);
  const alice = new AccountState(stored(2, 'peer', 'alice'), liquidity);
  const bob = new AccountState(stored(3, 'peer', 'bob'), liquidity);
  return Array.from({ length: n }, (_, i) => new Reservation({}, 1, i + 1, alice, 10n, bob, 10n, i));
}

function drain(open: OpenReservations): number[] {
  const seqs: number[] = [];
  for (let res = open.oldest(); res !== undefined; res = open.oldest()) {
    seqs.push(res.seq);
    open.delete(res);
  }
  return seqs;
}

describe('OpenReservations', () => {
  it('hands reservations out oldest first', () => {
    const open = new OpenReservations();
    for (const res of reservations(4)) open.add(res);
    expect(open.size).toBe(4);
    expect(drain(open)).toEqual([1, 2, 3, 4]);
    expect(open.size).toBe(0);
    expect(open.oldest()).toBeUndefined();
  });

  it('removes from the middle, the ends and the only entry', () => {
    const open = new OpenReservations();
    const [a, b, c, d] = reservations(4);
    for (const res of [a, b, c, d]) open.add(res);
    open.delete(b);
    open.delete(d);
    open.delete(a);
    expect(open.size).toBe(1);
    expect(open.oldest()).toBe(c);
    open.delete(c);
    expect(open.size).toBe(0);
    open.add(d);
    expect(drain(open)).toEqual([4]);
  });

  it('ignores a reservation that is not in it and keeps no links to removed ones', () => {
    const open = new OpenReservations();
    const [a, b, c] = reservations(3);
    open.add(a);
    open.add(b);
    open.delete(b);
    open.delete(b);
    open.delete(c);
    expect(open.size).toBe(1);
    expect(b.olderOpen).toBeUndefined();
    expect(b.newerOpen).toBeUndefined();
    expect(a.newerOpen).toBeUndefined();
    expect(drain(open)).toEqual([1]);
  });
});
