import { eventually, SettlementPair } from '../helpers/settlement-pair';
import type { DaemonProcess } from '../helpers/daemon-process';

const GWEI = 1_000_000_000n;
const KILLS = 5;
const THRESHOLD = 2000n;

/**
 * kill -9 either node in the middle of settling, five times, under traffic that makes A pay B a claim
 * every few packets. After every restart the nodes carry on; at the end the best claim A signed is the
 * best claim B holds, each node booked exactly that claim's value in its settlement account (no claim
 * credited twice, none lost), and each node's books still sum to zero.
 */
describe('settlement survives kill -9 of either node (e2e, anvil)', () => {
  let pair: SettlementPair;
  let running = true;
  let sent = 0;
  let fulfilled = 0;

  beforeAll(async () => {
    pair = await SettlementPair.start({ threshold: THRESHOLD, deposit: 10_000_000n, creditLimit: 100_000n });
  }, 60_000);

  afterAll(async () => {
    running = false;
    await pair?.close();
  });

  /** Four lanes of packets, each waiting for its answer; errors while a node is down are expected. */
  async function traffic(): Promise<void> {
    const lane = async (): Promise<void> => {
      while (running) {
        try {
          sent++;
          if ((await pair.pay(1000n)) === 'fulfilled') fulfilled++;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  }

  async function crashAndRestart(which: 'a' | 'b'): Promise<void> {
    const victim: DaemonProcess = pair[which];
    const exit = await victim.kill();
    expect(exit.signal).toBe('SIGKILL');
    const restarted = await victim.restart({ env: which === 'a' ? pair.chain.aEnv : pair.chain.bEnv });
    pair[which] = restarted;
    await pair.connectPeers();
  }

  it('keeps claims and balances consistent across five crashes', async () => {
    const load = traffic();
    try {
      await crashFiveTimes();
    } finally {
      running = false;
      await load;
    }
    // Converged: B holds the best claim A signed, and A knows B has it.
    await assertConverged();
  }, 180_000);

  async function crashFiveTimes(): Promise<void> {
    for (let i = 0; i < KILLS; i++) {
      // Long enough for several claims between crashes; random so a kill lands anywhere in a claim.
      const before = fulfilled;
      await eventually(() => fulfilled >= before + 20, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 300)));
      await crashAndRestart(i % 2 === 0 ? 'a' : 'b');
    }
    const before = fulfilled;
    await eventually(() => fulfilled >= before + 50, 20_000);
  }

  async function assertConverged(): Promise<void> {
    // Converged and quiet: A owes B less than the threshold (so it starts no further claim; one may still
    // be waiting for a retry after a restart), B holds the best claim A signed, and A knows B has it.
    await eventually(async () => {
      const { aOwesB } = await pair.balances();
      const [ours] = await pair.channels(pair.a);
      const [theirs] = await pair.channels(pair.b);
      return (
        aOwesB < THRESHOLD &&
        ours !== undefined &&
        theirs !== undefined &&
        ours.claimed === theirs.claimed &&
        ours.acknowledged === ours.claimed
      );
    }, 45_000);
    const [ours] = await pair.channels(pair.a);
    const claimed = BigInt(ours.claimed);
    const balances = await pair.balances();
    expect(balances.bSettlement).toBe(claimed / GWEI);
    expect(balances.aSettlement).toBe(-claimed / GWEI);
    expect(claimed).toBeGreaterThan(0n);
    for (const node of [pair.a, pair.b]) {
      const report = (await node.getJson('/admin/balances')).body as {
        balances: { balance: string }[];
        liquidity: { balance: string }[];
        settlement: { balance: string }[];
      };
      const sum = [...report.balances, ...report.liquidity, ...report.settlement].reduce(
        (total, account) => total + BigInt(account.balance),
        0n,
      );
      expect(sum).toBe(0n);
    }
    expect(fulfilled).toBeGreaterThan(100);
    expect(sent).toBeGreaterThan(fulfilled - 1);
  }
});
