import { assetKey, ledgerUnavailable, reservationAccounts } from '../../src/ledger/guards';

describe('ledger guards', () => {
  const peers = new Map([
    ['alice', 'A'],
    ['bob', 'B'],
  ]);
  const packet = (from: string, inAmount: bigint, to: string, outAmount = inAmount) => ({
    incoming: { peerId: from, amount: inAmount },
    outgoing: { peerId: to, amount: outAmount },
    expiresAtMs: 0,
  });

  test('returns both peers accounts for a valid reservation', () => {
    expect(reservationAccounts(peers, packet('alice', 5n, 'bob'), 0, 10)).toEqual({ from: 'A', to: 'B' });
  });

  test('names the unregistered peer, incoming first', () => {
    expect(() => reservationAccounts(peers, packet('carol', 1n, 'dave'), 0, 10)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_LEDGER_UNKNOWN_ACCOUNT',
        message: 'peer carol is not registered',
      }),
    );
    expect(() => reservationAccounts(peers, packet('alice', 1n, 'dave'), 0, 10)).toThrow(/peer dave/);
  });

  test('refuses negative amounts on either leg', () => {
    expect(() => reservationAccounts(peers, packet('alice', -1n, 'bob', 1n), 0, 10)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_AMOUNT' }),
    );
    expect(() => reservationAccounts(peers, packet('alice', 1n, 'bob', -1n), 0, 10)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_AMOUNT' }),
    );
  });

  test('sheds with OVERLOADED once the backlog reaches maxQueue', () => {
    expect(() => reservationAccounts(peers, packet('alice', 1n, 'bob'), 10, 10)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_LEDGER_OVERLOADED' }),
    );
    expect(reservationAccounts(peers, packet('alice', 1n, 'bob'), 9, 10).from).toBe('A');
  });

  test('keys assets by code and scale', () => {
    expect(assetKey('USD', 2)).not.toBe(assetKey('USD', 9));
    expect(ledgerUnavailable()).toMatchObject({ code: 'ILPD_ERR_LEDGER_UNAVAILABLE' });
  });
});
