import { BestClaims, type ClaimEntry } from '../../src/ledger/claims';
import type { ClaimRecord } from '../../src/ledger';

function claim(cumulative: bigint, peerId = 'alice'): ClaimRecord {
  return {
    peerId,
    direction: 'received',
    chain: 'evm',
    channelId: '0x1',
    cumulative,
    signature: `s${cumulative}`,
  };
}

function take(claims: BestClaims, c: ClaimRecord): ClaimEntry {
  const decision = claims.decide(c);
  if (decision.outcome !== 'apply') throw new Error(`expected apply, got ${decision.outcome}`);
  return decision.entry;
}

describe('BestClaims', () => {
  test('takes higher claims on top of ones still being written, and answers stale only against durable ones', async () => {
    const claims = new BestClaims();
    const first = take(claims, claim(10n));
    const second = take(claims, claim(20n));
    const equal = claims.decide(claim(20n));
    expect(equal.outcome).toBe('wait');
    let woken = false;
    if (equal.outcome === 'wait') void equal.until.then(() => (woken = true));
    claims.confirm(second);
    await Promise.resolve();
    expect(woken).toBe(true);
    expect(claims.decide(claim(20n))).toEqual({ outcome: 'stale' });
    expect(claims.decide(claim(15n))).toEqual({ outcome: 'stale' });
    // 10 still being written: the durable best is 20 already.
    expect(claims.durable()).toEqual([claim(20n)]);
    claims.confirm(first);
    expect(claims.durable()).toEqual([claim(20n)]);
  });

  test('a failed write hands the channel back to the best claim that did not fail, in any order', () => {
    const claims = new BestClaims();
    claims.load(claim(5n));
    const a = take(claims, claim(10n));
    const b = take(claims, claim(20n));
    const c = take(claims, claim(30n));
    expect(claims.durable()).toEqual([claim(5n)]);
    claims.fail(b);
    claims.fail(c);
    expect(claims.durable()).toEqual([claim(5n)]);
    claims.confirm(a);
    expect(claims.durable()).toEqual([claim(10n)]);
    expect(claims.decide(claim(10n))).toEqual({ outcome: 'stale' });
    expect(claims.decide(claim(20n)).outcome).toBe('apply');
  });

  test('the first claim binds the channel to its peer, and a failed first claim unbinds it', () => {
    const claims = new BestClaims();
    const first = take(claims, claim(10n, 'alice'));
    expect(claims.decide(claim(99n, 'bob')).outcome).toBe('wait');
    claims.fail(first);
    expect(claims.durable()).toEqual([]);
    const bob = take(claims, claim(3n, 'bob'));
    claims.confirm(bob);
    expect(claims.decide(claim(99n, 'alice'))).toEqual({ outcome: 'foreign-channel' });
  });
});
