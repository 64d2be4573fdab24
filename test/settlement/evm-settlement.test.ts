import { Contract, getAddress } from 'ethers';
import { CHANNELS_INTERFACE } from '../../packages/connector/src/settlement/evm/channels-contract';
import { eventually, SettlementPair, type EvmChain } from '../helpers/settlement-pair';

const GWEI = 1_000_000_000n; // one asset unit (ETH at scale 9) in wei

/**
 * Settlement over EVM payment channels between two real ilpd processes on a real anvil: traffic makes
 * A owe B; each time A's debt crosses the threshold A signs a claim on its channel to B (opened on
 * demand) and sends it over BTP; B credits it. Ledgers, claims and the channel on chain agree to the
 * unit; closing pays B on chain exactly what it was credited.
 */
describe('EVM settlement between two ilpd nodes (anvil)', () => {
  let pair: SettlementPair;

  beforeAll(async () => {
    pair = await SettlementPair.start({ threshold: 5000n, deposit: 1_000_000n, creditLimit: 50_000n });
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  it('opens a channel on demand once A first owes B its threshold', async () => {
    // Until the channel is open and the first claim lands, the credit limit (50,000) bounds what A may
    // owe B: packets beyond it would get T04 meanwhile; never more than the limit goes unsettled.
    const results: string[] = [];
    for (let i = 0; i < 10; i++) results.push(await pair.pay(1000n));
    expect(results).toEqual(Array(10).fill('fulfilled'));
    await eventually(
      async () => (await pair.channels(pair.a)).some((c) => c.direction === 'outgoing'),
      20_000,
    );
    await eventually(async () => (await pair.balances()).aOwesB < 5000n);
  });

  it('pays with claims whenever A owes B its threshold: packets never stop at the credit limit', async () => {
    // 100 packets of 1,000 are 100,000: twice the credit limit, so only settlement lets them all
    // through. The limit leaves 45 packets of room above the threshold for a claim's round trip.
    const results: string[] = [];
    for (let i = 0; i < 100; i++) results.push(await pair.pay(1000n));
    expect(results.filter((r) => r !== 'fulfilled')).toEqual([]);
    expect(pair.receivedAmounts).toBe(110_000n);

    // A books each claim before sending it; B credits it when it arrives: wait for both sides.
    await eventually(async () => {
      const { aOwesB, bIsOwed } = await pair.balances();
      return aOwesB < 5000n && bIsOwed === aOwesB;
    });
    const balances = await pair.balances();
    // A's side and B's side of the relationship agree, and each node's books balance.
    expect(balances.bIsOwed).toBe(balances.aOwesB);
    expect(-balances.aSettlement).toBe(balances.bSettlement);
    expect(balances.bSettlement + balances.bIsOwed).toBe(110_000n);

    const [ours] = await pair.channels(pair.a);
    const [theirs] = await pair.channels(pair.b);
    expect(ours).toMatchObject({
      peerId: 'b',
      direction: 'outgoing',
      status: 'open',
      deposit: `${1_000_000n * GWEI}`,
    });
    expect(theirs).toMatchObject({ peerId: 'a', direction: 'incoming', channelId: ours.channelId });
    expect(BigInt(ours.claimed)).toBe(BigInt(theirs.claimed));
    expect(BigInt(theirs.claimed)).toBe(balances.bSettlement * GWEI);
    expect(ours.acknowledged).toBe(ours.claimed);

    // The channel on chain: A's, paying B, with the deposit A's ledger shows.
    const chain = pair.chain as EvmChain;
    const contract = new Contract(chain.contractAddress, CHANNELS_INTERFACE, chain.provider);
    const onChain = await contract.getChannel(ours.channelId);
    expect(getAddress(onChain.sender)).toBe(getAddress(pair.aAddress));
    expect(getAddress(onChain.receiver)).toBe(getAddress(pair.bAddress));
    expect(onChain.deposit).toBe(1_000_000n * GWEI);
  });

  it('exports settlement metrics: claims paid and received, verify latency, channel gauges', async () => {
    const metrics = async (d: typeof pair.a) => String((await d.getJson('/metrics')).body);
    const a = await metrics(pair.a);
    const b = await metrics(pair.b);
    expect(a).toMatch(/^ilpd_settlements_total\{peer="b",direction="paid",result="ok"\} [1-9]\d*$/m);
    expect(b).toMatch(/^ilpd_settlements_total\{peer="a",direction="received",result="ok"\} [1-9]\d*$/m);
    expect(b).toMatch(/^ilpd_claims_verified_total\{result="valid"\} [1-9]\d*$/m);
    expect(b).toMatch(/^ilpd_claim_verify_duration_seconds_count [1-9]\d*$/m);
    expect(a).toMatch(
      /^ilpd_channel_deposit\{peer="b",direction="outgoing",chain="evm",channel="0x[0-9a-f]{64}"\} 0\.001$/m,
    );
    expect(a).toMatch(/^ilpd_settlement_endpoint_state\{chain="evm",endpoint="[^"]+",state="healthy"\} 1$/m);
    expect(a).toMatch(/^ilpd_settlement_transactions_total\{chain="evm",action="open",result="ok"\} 1$/m);
  });

  it('redeems on close: B receives on chain exactly what it was credited, minus the gas it paid', async () => {
    const [theirs] = await pair.channels(pair.b);
    const claimed = BigInt(theirs.claimed);
    const chain = pair.chain as EvmChain;
    const before = await chain.balanceOf(pair.bAddress);
    const answer = await pair.b.adminRequest('POST', '/admin/channels/a/close', {});
    expect(answer.status).toBe(200);
    const [tx] = (answer.body as { transactions: { hash: string; fee: string }[] }).transactions;
    const after = await chain.balanceOf(pair.bAddress);
    expect(after - before).toBe(claimed - BigInt(tx.fee));
    const receipt = await chain.provider.getTransactionReceipt(tx.hash);
    expect(receipt?.status).toBe(1);
    expect(receipt?.fee).toBe(BigInt(tx.fee));
    await eventually(async () => (await pair.channels(pair.b))[0]?.status === 'closed');
  });
});
