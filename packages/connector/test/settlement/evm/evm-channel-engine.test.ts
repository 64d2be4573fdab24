import { Wallet } from 'ethers';
import type { ChannelState } from '../../../src/settlement/channel-engine';
import { deployChannelsContract } from '../../../src/settlement/evm/channels-contract';
import {
  EvmChannelEngine,
  type EvmChannelEngineOptions,
} from '../../../src/settlement/evm/evm-channel-engine';
import type { SignedTransaction } from '../../../src/settlement/evm/transaction-sender';
import { CHALLENGE_PERIOD, ETH, receiptOf, silentLogger, startChain, stopChain, type Chain } from './support';

/**
 * EvmChannelEngine end to end on a real anvil: two engines (a sender and a receiver) open, fund, pay
 * and close channels through the deployed contract. Outage cases are in evm-outage.test.ts.
 */
let chain: Chain;
let contractAddress: string;
let alice: EvmChannelEngine;
let bob: EvmChannelEngine;
const engines: EvmChannelEngine[] = [];

function engine(privateKey: string, overrides: Partial<EvmChannelEngineOptions> = {}): EvmChannelEngine {
  const created = new EvmChannelEngine({
    rpcUrls: [chain.anvil.url],
    chainId: 31337,
    contractAddress,
    privateKey,
    pollIntervalMs: 20,
    healthIntervalMs: 1_000,
    confirmTimeoutMs: 10_000, // a stuck transaction fails the test with its hash, not a jest timeout
    logger: silentLogger,
    ...overrides,
  });
  engines.push(created);
  return created;
}

const balance = (address: string) => chain.provider.getBalance(address);

async function eventually(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  chain = await startChain();
  const deployed = await deployChannelsContract({
    rpcUrls: [chain.anvil.url],
    chainId: 31337,
    privateKey: chain.anvil.privateKeys[9],
    challengePeriodSeconds: CHALLENGE_PERIOD,
    pollIntervalMs: 20,
    logger: silentLogger,
  });
  contractAddress = deployed.address;
  expect(deployed.fee).toBeGreaterThan(0n);
  alice = engine(chain.anvil.privateKeys[1]);
  bob = engine(chain.anvil.privateKeys[2]);
  await Promise.all([alice.start(), bob.start()]);
}, 60_000);

afterAll(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  await stopChain(chain);
});

describe('EvmChannelEngine', () => {
  it('opens, funds, pays and closes a channel: the receiver gets exactly the claimed amount', async () => {
    const opened = await alice.openChannel(bob.ourAddress, ETH);
    expect(opened).toMatchObject({
      chain: 'evm',
      sender: alice.ourAddress,
      receiver: bob.ourAddress,
      deposit: ETH,
      paidOut: 0n,
      status: 'open',
      settleDelaySeconds: CHALLENGE_PERIOD,
    });
    expect(opened.channelId).toMatch(/^0x[0-9a-f]{64}$/);
    const funded = await alice.deposit(opened.channelId, ETH / 2n);
    expect(funded).toEqual({ ...opened, deposit: (3n * ETH) / 2n });

    // The receiver reads the channel from the chain and checks claims against its sender.
    const channel = (await bob.readChannel(opened.channelId)) as ChannelState;
    expect(channel).toEqual(funded);
    const first = await alice.signClaim(funded, ETH / 10n);
    const second = await alice.signClaim(funded, (3n * ETH) / 10n);
    expect(await bob.verifyClaim(channel, ETH / 10n, first)).toBe(true); // learns alice's key
    expect(await bob.verifyClaim(channel, (3n * ETH) / 10n, second)).toBe(true); // known-key path
    expect(await bob.verifyClaim(channel, (4n * ETH) / 10n, second)).toBe(false);
    expect(await bob.verifyClaim(channel, 1n << 256n, second)).toBe(false);
    expect(await bob.verifyClaim(channel, ETH / 10n, second.slice(0, 100))).toBe(false);
    expect(await bob.verifyClaim({ ...channel, sender: bob.ourAddress }, ETH / 10n, first)).toBe(false);

    const before = await balance(bob.ourAddress);
    const redeemed = await bob.redeem(channel, (3n * ETH) / 10n, second, false);
    expect(redeemed.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(redeemed.fee).toBeGreaterThan(0n);
    expect((await balance(bob.ourAddress)) - before + redeemed.fee).toBe((3n * ETH) / 10n);
    expect(await bob.readChannel(opened.channelId)).toEqual({ ...funded, paidOut: (3n * ETH) / 10n });

    // Closing with a better claim pays the difference and refunds the sender the rest.
    const third = await alice.signClaim(funded, ETH / 2n);
    const bobBefore = await balance(bob.ourAddress);
    const aliceBefore = await balance(alice.ourAddress);
    const closed = await bob.redeem(channel, ETH / 2n, third, true);
    expect((await balance(bob.ourAddress)) - bobBefore + closed.fee).toBe((2n * ETH) / 10n);
    expect((await balance(alice.ourAddress)) - aliceBefore).toBe(ETH);
    expect(await bob.readChannel(opened.channelId)).toEqual({
      ...funded,
      paidOut: ETH / 2n,
      status: 'closed',
    });
  });

  it('lets the receiver redeem a better claim while the sender closes, and refunds the sender after the challenge', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 10_000n);
    await bob.redeem(channel, 1_000n, await alice.signClaim(channel, 1_000n), false);
    const started = await alice.startClose(channel);
    expect(started.fee).toBeGreaterThan(0n);
    const closing = (await bob.readChannel(channel.channelId)) as ChannelState;
    const startedAt = await chain.anvil.latestBlockTimestamp();
    expect(closing).toEqual({
      ...channel,
      paidOut: 1_000n,
      status: 'closing',
      closesAtMs: (startedAt + CHALLENGE_PERIOD) * 1000,
    });

    await expect(alice.finishClose(closing)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_TX_REJECTED',
      reason: expect.stringMatching(/^ChallengePeriodNotOver\(/),
      fee: 0n,
    });
    // The receiver still redeems during the challenge period.
    await bob.redeem(closing, 4_000n, await alice.signClaim(channel, 4_000n), false);
    await chain.anvil.increaseTime(CHALLENGE_PERIOD);
    const aliceBefore = await balance(alice.ourAddress);
    const finished = await alice.finishClose(closing);
    expect((await balance(alice.ourAddress)) - aliceBefore + finished.fee).toBe(6_000n);
    expect(await alice.readChannel(channel.channelId)).toMatchObject({ status: 'closed', paidOut: 4_000n });
  });

  it('refuses, without spending anything, redemptions the contract would revert', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 10_000n);
    const before = await balance(bob.ourAddress);
    const forged = await engine(chain.anvil.privateKeys[3]).signClaim(
      { ...channel, sender: new Wallet(chain.anvil.privateKeys[3]).address },
      500n,
    );
    await expect(bob.redeem(channel, 500n, forged, false)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_TX_REJECTED',
      reason: `WrongSigner(${new Wallet(chain.anvil.privateKeys[3]).address}, ${alice.ourAddress})`,
    });
    const paid = await bob.redeem(channel, 500n, await alice.signClaim(channel, 500n), false);
    await expect(
      bob.redeem(channel, 400n, await alice.signClaim(channel, 400n), false),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_TX_REJECTED',
      reason: 'ClaimNotIncreasing(400, 500)',
    });
    // One redemption's fee and its 500 wei: the refused ones cost nothing.
    expect((await balance(bob.ourAddress)) - before).toBe(500n - paid.fee);
    await expect(
      alice.redeem(channel, 500n, await alice.signClaim(channel, 500n), false),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
  });

  it('reports a transaction that was mined but reverted, with the fee it cost and the decoded reason', async () => {
    // finishClose passes its estimate once the clock is past the challenge period, then is mined in a
    // block stamped one second too early.
    const signed: SignedTransaction[] = [];
    const frank = engine(chain.anvil.privateKeys[8], { onTransactionSigned: (tx) => void signed.push(tx) });
    await frank.start();
    const channel = await frank.openChannel(bob.ourAddress, 1_000n);
    await frank.startClose(channel);
    const closing = (await frank.readChannel(channel.channelId)) as ChannelState;
    const closesAt = (closing.closesAtMs as number) / 1000;
    await chain.anvil.rpc('evm_increaseTime', [CHALLENGE_PERIOD]);
    await chain.anvil.rpc('evm_setAutomine', [false]);
    try {
      const before = await balance(frank.ourAddress);
      signed.length = 0;
      const finishing = frank.finishClose(closing);
      const finishingOutcome = finishing.catch((err: unknown) => err);
      await eventually(async () => {
        const hash = signed[0]?.hash;
        return hash !== undefined && (await chain.anvil.rpc('eth_getTransactionByHash', [hash])) !== null;
      });
      await chain.anvil.rpc('evm_setNextBlockTimestamp', [closesAt - 1]);
      await chain.anvil.rpc('evm_mine', []);
      const err = (await finishingOutcome) as { code: string; hash: string; fee: bigint; reason: string };
      expect(err).toMatchObject({
        code: 'ILPD_ERR_SETTLEMENT_TX_REVERTED',
        hash: signed[0].hash,
        reason: `ChallengePeriodNotOver(${closesAt}, ${closesAt - 1})`,
      });
      expect(err.fee).toBeGreaterThan(0n);
      expect(before - (await balance(frank.ourAddress))).toBe(err.fee); // the fee, and nothing else
      expect(await frank.readChannel(channel.channelId)).toMatchObject({ status: 'closing' });
    } finally {
      await chain.anvil.rpc('evm_setAutomine', [true]);
    }
  });

  it('signs claims only on its own channels and within the deposit', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 1_000n);
    await expect(bob.signClaim(channel, 10n)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
    await expect(alice.signClaim(channel, 1_001n)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
    await expect(alice.readChannel('0x1234')).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
    await expect(alice.openChannel('not an address', 1n)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
    await expect(alice.openChannel(bob.ourAddress, 0n)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT',
    });
    expect(await alice.readChannel(`0x${'ab'.repeat(32)}`)).toBeUndefined();
  });

  it('sends concurrent transactions with consecutive nonces, and re-signs when another process took a nonce', async () => {
    const signed: SignedTransaction[] = [];
    const carol = engine(chain.anvil.privateKeys[4], { onTransactionSigned: (tx) => void signed.push(tx) });
    await carol.start();
    const first = await chain.provider.getTransactionCount(carol.ourAddress, 'pending');
    const opened = await Promise.all(
      Array.from({ length: 5 }, () => carol.openChannel(bob.ourAddress, 100n)),
    );
    expect(new Set(opened.map((c) => c.channelId)).size).toBe(5);
    expect(signed.map((tx) => tx.nonce).sort()).toEqual([0, 1, 2, 3, 4].map((i) => first + i));

    // The same key used behind the engine's back: its next nonce is taken, so it signs again.
    const outsider = new Wallet(chain.anvil.privateKeys[4], chain.provider);
    await receiptOf(outsider.sendTransaction({ to: bob.ourAddress, value: 1n }));
    signed.length = 0;
    await carol.openChannel(bob.ourAddress, 100n);
    expect(signed.map((tx) => tx.nonce)).toEqual([first + 5, first + 6]);
    expect(await chain.provider.getTransactionCount(carol.ourAddress, 'latest')).toBe(first + 7);
  });

  it('frees the nonce of a transaction whose onTransactionSigned hook failed (it was never sent)', async () => {
    let refuse = true;
    const nonces: number[] = [];
    const erin = engine(chain.anvil.privateKeys[7], {
      onTransactionSigned: (tx) => {
        nonces.push(tx.nonce);
        if (refuse) throw new Error('could not persist the signed transaction');
      },
    });
    await erin.start();
    await expect(erin.openChannel(bob.ourAddress, 10n)).rejects.toThrow('could not persist');
    refuse = false;
    await erin.openChannel(bob.ourAddress, 10n);
    expect(nonces).toEqual([nonces[0], nonces[0]]);
    expect(await chain.provider.getTransactionCount(erin.ourAddress, 'latest')).toBe(nonces[0] + 1);
  });

  it('checks the chain and the contract before trusting them with money', async () => {
    await expect(engine(chain.anvil.privateKeys[5], { chainId: 1 }).start()).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG',
      message: expect.stringContaining('configured 1, but the endpoints serve chain 31337'),
    });
    await expect(
      engine(chain.anvil.privateKeys[5], { contractAddress: bob.ourAddress }).start(),
    ).rejects.toMatchObject({
      code: 'ILPD_ERR_CONFIG',
      message: expect.stringContaining('no payment-channel contract'),
    });
    expect(() => engine('0x1234')).toThrow(expect.objectContaining({ code: 'ILPD_ERR_CONFIG' }));
  });

  it('works through a pool whose other endpoint is dead', async () => {
    const dead = 'http://127.0.0.1:9'; // discard port: nothing listens
    const dave = engine(chain.anvil.privateKeys[6], { rpcUrls: [dead, chain.anvil.url], breakerFailures: 1 });
    await dave.start();
    for (let i = 0; i < 3; i++) await dave.openChannel(bob.ourAddress, 10n);
    expect(dave.isAvailable()).toBe(true);
    const states = Object.fromEntries(dave.endpointStates().map((s) => [s.endpoint, s.state]));
    expect(states[chain.anvil.url]).toBe('healthy');
    expect(['unhealthy', 'open', 'half-open']).toContain(states[dead]);
  });
});
