import { checkBalances, extractBalances } from '../../src/daemon/balances';

describe('balance extraction', () => {
  it('reads an object keyed by peer with balance records (ilpd /admin/balances)', () => {
    const m = extractBalances({ alice: { balance: '123', pendingIncoming: '0' }, bob: { balance: '-123' } });
    expect(m).toEqual(
      new Map([
        ['alice', 123n],
        ['bob', -123n],
      ]),
    );
  });

  it("reads ilp-connector's admin /balance shape", () => {
    const m = extractBalances({
      accounts: { alice: { balance: '5', minimum: '-Infinity', maximum: 'Infinity' } },
    });
    expect(m.get('alice')).toBe(5n);
  });

  it('reads an array of peers, wrapped or not', () => {
    expect(extractBalances([{ peerId: 'a', balance: '1' }]).get('a')).toBe(1n);
    expect(extractBalances({ peers: [{ id: 'b', balance: '-2' }] }).get('b')).toBe(-2n);
  });

  it('keeps amounts beyond 2^53 exact', () => {
    expect(extractBalances({ a: '18446744073709551615' }).get('a')).toBe(18446744073709551615n);
  });

  it('names the bad field', () => {
    expect(() => extractBalances({ alice: { balance: 'lots' } }, 'url')).toThrow(
      'url.alice: expected an integer balance',
    );
    expect(() => extractBalances([{ balance: '1' }])).toThrow('balances[0]: no peer id');
  });
});

describe('the ledger check', () => {
  const before = new Map([
    ['alice', 100n],
    ['bob', -100n],
  ]);
  const base = { url: 'u', before, senderPeer: 'alice', receiverPeer: 'bob', receiverFulfilledAmount: 50n };

  it('is balanced when the sender owes and the receiver is owed exactly the fulfilled amount more', () => {
    const after = new Map([
      ['alice', 150n],
      ['bob', -150n],
    ]);
    const c = checkBalances({ ...base, after, fulfilledAmount: 50n });
    expect(c.balanced).toBe(true);
    expect(c.sender).toEqual({
      peer: 'alice',
      before: '100',
      after: '150',
      delta: '50',
      expectedDelta: '50',
    });
    expect(c.receiver.expectedDelta).toBe('-50');
  });

  it('is unbalanced when either side drifts', () => {
    const after = new Map([
      ['alice', 150n],
      ['bob', -149n],
    ]);
    expect(checkBalances({ ...base, after, fulfilledAmount: 50n }).balanced).toBe(false);
  });

  it('fails clearly when a peer is missing', () => {
    expect(() => checkBalances({ ...base, after: new Map([['alice', 1n]]), fulfilledAmount: 0n })).toThrow(
      'no balance for peer "bob"',
    );
  });
});
