import { eventually, SettlementPair } from '../helpers/settlement-pair';

/** How long the chain is taken away (the 30 s is `SETTLEMENT_OUTAGE_SECONDS=30`). */
const OUTAGE_MS = Number(process.env.SETTLEMENT_OUTAGE_SECONDS ?? 8) * 1000;

/**
 * The chain goes away under traffic (anvil stopped with its state kept; the XRPL stand-in stopped):
 * packets keep flowing within the balance limits, claims keep flowing off chain against the channel
 * each side read before, every endpoint's breaker opens (metrics), and once the chain is back the
 * breakers close and both ledgers agree again.
 */
describe.each(['evm', 'xrpl'] as const)('settlement through a %s outage (e2e)', (engine) => {
  let pair: SettlementPair;

  beforeAll(async () => {
    pair = await SettlementPair.start({
      engine,
      threshold: 2000n,
      deposit: 10_000_000n,
      creditLimit: 50_000n,
    });
    for (let i = 0; i < 5; i++) await pair.pay(1000n);
    await eventually(async () => (await pair.channels(pair.b)).length > 0, 20_000);
  }, 60_000);

  afterAll(async () => {
    await pair?.close();
  });

  const endpointState = async (node: typeof pair.a, state: string): Promise<boolean> => {
    const metrics = String((await node.getJson('/metrics')).body);
    return new RegExp(
      `^ilpd_settlement_endpoint_state\\{chain="${engine}",endpoint="[^"]+",state="${state}"\\} 1$`,
      'm',
    ).test(metrics);
  };

  it('forwards and settles while the chain is down, and catches up once it is back', async () => {
    let running = true;
    const outcomes: string[] = [];
    const lane = async (): Promise<void> => {
      while (running) outcomes.push(await pair.pay(1000n));
    };
    const load = Promise.all([lane(), lane()]);
    await eventually(() => outcomes.length > 20);
    const atOutage = outcomes.length;
    const outage = pair.chain.outage(OUTAGE_MS);
    await eventually(() => endpointState(pair.a, 'open'), OUTAGE_MS);
    const readyz = (await pair.a.getJson('/readyz')) as { status: number; body: { notes?: string[] } };
    expect(readyz.status).toBe(200);
    expect(readyz.body.notes).toEqual([expect.stringContaining(`settlement chain ${engine} is unreachable`)]);
    await outage;
    const duringOutage = outcomes.length - atOutage;
    await eventually(() => endpointState(pair.a, 'healthy'), 20_000);
    await eventually(() => endpointState(pair.b, 'healthy'), 20_000);
    running = false;
    await load;

    const fulfilled = outcomes.filter((o) => o === 'fulfilled').length;
    expect(duringOutage).toBeGreaterThan(20);
    // The limits never had to stop traffic: claims kept flowing off chain.
    expect(outcomes.filter((o) => o !== 'fulfilled')).toEqual([]);
    await eventually(async () => {
      const { aOwesB, bIsOwed } = await pair.balances();
      return aOwesB < 2000n && bIsOwed === aOwesB;
    }, 30_000);
    const balances = await pair.balances();
    expect(balances.bSettlement + balances.bIsOwed).toBe(BigInt(5 + fulfilled) * 1000n);
    expect(-balances.aSettlement).toBe(balances.bSettlement);
  }, 120_000);
});
