import { eventually, SettlementPair, type XrplChain } from '../helpers/settlement-pair';

/**
 * Settlement over XRP payment channels between two real ilpd processes, on the XRPL ledger stand-in
 * (a test double of rippled: no rippled can run here; test/helpers/xrpl-standin/README.md says what it
 * models). The asset is XRP at scale 9, so a drop is 1,000 asset units: what does not fill a whole drop
 * stays owed and rides the next claim, and both ledgers still agree to the unit.
 */
describe('XRPL settlement between two ilpd nodes (stand-in rippled)', () => {
  let pair: SettlementPair;

  beforeAll(async () => {
    pair = await SettlementPair.start({
      engine: 'xrpl',
      threshold: 5000n,
      deposit: 10_000_000n,
      creditLimit: 50_000n,
    });
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('opens a channel on demand with PaymentChannelCreate once A first owes B its threshold', async () => {
    for (let i = 0; i < 10; i++) expect(await pair.pay(1000n)).toBe('fulfilled');
    await eventually(
      async () => (await pair.channels(pair.a)).some((c) => c.direction === 'outgoing'),
      20_000,
    );
    const [ours] = await pair.channels(pair.a);
    const onLedger = (pair.chain as XrplChain).standIn.channel(ours.channelId);
    expect(onLedger).toMatchObject({ account: pair.aAddress, destination: pair.bAddress, amount: 10_000n });
    expect(onLedger?.settleDelay).toBe(86_400);
  });

  it('pays with claims in drops; amounts below a drop are carried, never lost', async () => {
    // 1,234 asset units is 1.234 drops: each claim pays whole drops only.
    const results: string[] = [];
    for (let i = 0; i < 80; i++) results.push(await pair.pay(1234n));
    expect(results.filter((r) => r !== 'fulfilled')).toEqual([]);
    await eventually(async () => {
      const { aOwesB, bIsOwed } = await pair.balances();
      return aOwesB < 5000n && bIsOwed === aOwesB;
    });
    const balances = await pair.balances();
    const total = 10n * 1000n + 80n * 1234n;
    expect(balances.bSettlement + balances.bIsOwed).toBe(total);
    expect(-balances.aSettlement).toBe(balances.bSettlement);
    // Every claim is whole drops: the settled amount is a multiple of 1,000 asset units.
    expect(balances.bSettlement % 1000n).toBe(0n);
    const [ours] = await pair.channels(pair.a);
    const [theirs] = await pair.channels(pair.b);
    expect(BigInt(theirs.claimed)).toBe(BigInt(ours.claimed));
    expect(BigInt(theirs.claimed) * 1000n).toBe(balances.bSettlement);
  });

  it('redeems on close with PaymentChannelClaim: B receives exactly the claimed drops, minus its fee', async () => {
    const [theirs] = await pair.channels(pair.b);
    const claimed = BigInt(theirs.claimed);
    const before = await pair.chain.balanceOf(pair.bAddress);
    const answer = await pair.b.adminRequest('POST', '/admin/channels/a/settle', {});
    expect(answer.status).toBe(200);
    const [tx] = (answer.body as { transactions: { hash: string; fee: string }[] }).transactions;
    const after = await pair.chain.balanceOf(pair.bAddress);
    expect(after - before).toBe(claimed - BigInt(tx.fee));
    expect((pair.chain as XrplChain).standIn.channel(theirs.channelId)?.balance).toBe(claimed);
  });
});
