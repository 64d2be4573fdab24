import type { ChannelState } from '../../../src/settlement/channel-engine';
import type { EndpointState } from '../../../src/settlement/endpoint-pool';
import { deployChannelsContract } from '../../../src/settlement/evm/channels-contract';
import { EvmChannelEngine } from '../../../src/settlement/evm/evm-channel-engine';
import type { SignedTransaction } from '../../../src/settlement/evm/transaction-sender';
import { CHALLENGE_PERIOD, silentLogger, startChain, stopChain, type Chain } from './support';

/**
 * The chain going away under EvmChannelEngine: a stopped node (connections refused), a node that
 * restarts and forgets its mempool, a hung node (calls time out). The breaker opens, nothing is signed
 * while the chain is unreachable, a transaction signed before the outage is sent again byte for byte
 * (same hash) until mined, and the engine recovers by itself when the node is back.
 */
let chain: Chain;
let alice: EvmChannelEngine;
let bob: EvmChannelEngine;
/** Every transaction either engine signed, in order. */
const signed: SignedTransaction[] = [];
/** Runs after each signature, before the first send: tests take the node away here. */
let afterSigning: (tx: SignedTransaction) => Promise<void> = async () => undefined;
const transitions: EndpointState[] = [];

function engine(privateKey: string, contractAddress: string): EvmChannelEngine {
  return new EvmChannelEngine({
    rpcUrls: [chain.anvil.url],
    chainId: 31337,
    contractAddress,
    privateKey,
    // Generous against a loaded CI machine (a slow answer must not count as an outage), yet short
    // enough that the hung-node case stays quick.
    requestTimeoutMs: 1_500,
    healthIntervalMs: 100,
    breakerFailures: 3,
    halfOpenAfterMs: 300,
    pollIntervalMs: 50,
    rebroadcastIntervalMs: 400,
    confirmTimeoutMs: 30_000,
    logger: silentLogger,
    onEndpointStateChange: (_endpoint, state) => transitions.push(state),
    onTransactionSigned: async (tx) => {
      signed.push(tx);
      await afterSigning(tx);
    },
  });
}

async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  chain = await startChain();
  const { address } = await deployChannelsContract({
    rpcUrls: [chain.anvil.url],
    chainId: 31337,
    privateKey: chain.anvil.privateKeys[9],
    challengePeriodSeconds: CHALLENGE_PERIOD,
    pollIntervalMs: 20,
    logger: silentLogger,
  });
  alice = engine(chain.anvil.privateKeys[1], address);
  bob = engine(chain.anvil.privateKeys[2], address);
  await Promise.all([alice.start(), bob.start()]);
}, 60_000);

afterEach(async () => {
  afterSigning = async () => undefined;
  // Each case starts with both engines' endpoints healthy again (their probes see the node back).
  await eventually(() => [alice, bob].every((e) => e.endpointStates()[0].state === 'healthy'));
  signed.length = 0;
  transitions.length = 0;
});

afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  await stopChain(chain);
});

describe('EvmChannelEngine when the chain goes away', () => {
  it('opens the breaker, fails fast without signing anything, and recovers when the node is back', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 1_000n);
    signed.length = 0;
    await chain.anvil.stop();
    await expect(alice.readChannel(channel.channelId)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
    });
    expect(alice.isAvailable()).toBe(false);
    // The health probes keep failing too: the breaker opens without more settlement traffic.
    await eventually(() => alice.endpointStates()[0].state === 'open');
    await expect(alice.startClose(channel)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
    });
    expect(signed).toEqual([]); // nothing signed: nothing that could be paid later behind our back

    await chain.anvil.start();
    // Health probes bring it back without any settlement traffic.
    await eventually(() => alice.endpointStates()[0].state === 'healthy');
    expect(alice.isAvailable()).toBe(true);
    expect(transitions).toEqual(expect.arrayContaining(['unhealthy', 'open', 'half-open', 'healthy']));
    expect(await alice.readChannel(channel.channelId)).toEqual(channel);
    await alice.startClose(channel);
    expect(await alice.readChannel(channel.channelId)).toMatchObject({ status: 'closing' });
  });

  it('sends a transaction signed just before the outage again with the same hash: paid once, no nonce gap', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 10_000n);
    const claim = await alice.signClaim(channel, 700n);
    const nonce = await chain.provider.getTransactionCount(bob.ourAddress, 'pending');
    const before = await chain.provider.getBalance(bob.ourAddress);
    signed.length = 0;
    let restarted: Promise<void> | undefined;
    afterSigning = async () => {
      afterSigning = async () => undefined;
      await chain.anvil.stop();
      restarted = new Promise((r) => setTimeout(r, 1_500)).then(() => chain.anvil.start());
    };

    const redeemed = await bob.redeem(channel, 700n, claim, false);
    await restarted;
    expect(signed.map((tx) => [tx.hash, tx.nonce])).toEqual([[redeemed.hash, nonce]]); // signed once
    expect(transitions).toContain('open'); // the retries went through an open breaker
    expect((await chain.provider.getTransactionReceipt(redeemed.hash))?.status).toBe(1);
    expect((await chain.provider.getBalance(bob.ourAddress)) - before + redeemed.fee).toBe(700n);
    expect(await bob.readChannel(channel.channelId)).toMatchObject({ paidOut: 700n });

    const next = await bob.redeem(channel, 900n, await alice.signClaim(channel, 900n), false);
    expect(signed.at(-1)).toMatchObject({ hash: next.hash, nonce: nonce + 1 });
    expect(await chain.provider.getTransactionCount(bob.ourAddress, 'latest')).toBe(nonce + 2);
  });

  it('sends a transaction again with the same hash when a restarted node forgot it', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 1_000n);
    signed.length = 0;
    await chain.anvil.rpc('evm_setAutomine', [false]);
    const funded = alice.deposit(channel.channelId, 50n);
    await eventually(async () => {
      const tx =
        signed.length === 0 ? null : await chain.anvil.rpc('eth_getTransactionByHash', [signed[0].hash]);
      return tx !== null;
    });
    // A bystander's pending transfer, which nobody sends again: it shows what the restart forgets.
    const bystander = chain.wallets[7];
    const forgotten = await bystander.signTransaction(
      await bystander.populateTransaction({ to: bob.ourAddress, value: 1n }),
    );
    const forgottenHash = await chain.anvil.rpc<string>('eth_sendRawTransaction', [forgotten]);
    const headBefore = await chain.provider.getBlockNumber();

    await chain.anvil.restart(200); // automine again, and an empty mempool
    const state: ChannelState = await funded;
    expect(state.deposit).toBe(1_050n);
    expect(signed).toHaveLength(1);
    const receipt = await chain.provider.getTransactionReceipt(signed[0].hash);
    expect(receipt?.status).toBe(1);
    expect(receipt?.blockNumber).toBeGreaterThan(headBefore); // mined after the restart: sent again
    expect(await chain.anvil.rpc('eth_getTransactionByHash', [forgottenHash])).toBeNull();
  });

  it('times out calls to a hung node, opens the breaker, and uses the node again once it answers', async () => {
    const channel = await alice.openChannel(bob.ourAddress, 1_000n);
    chain.anvil.pause();
    try {
      const started = Date.now();
      await expect(alice.readChannel(channel.channelId)).rejects.toMatchObject({
        code: 'ILPD_ERR_SETTLEMENT_UNAVAILABLE',
      });
      expect(Date.now() - started).toBeLessThan(6_000); // bounded by the request timeout, not hanging
      await eventually(() => alice.endpointStates()[0].state === 'open');
    } finally {
      chain.anvil.resume();
    }
    await eventually(() => alice.isAvailable());
    expect(await alice.readChannel(channel.channelId)).toEqual(channel);
  });
});
