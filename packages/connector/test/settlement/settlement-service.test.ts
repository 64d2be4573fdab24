import { BtpPacketType, decodeBtp, type BtpPacket } from '@ilpd/codec';
import pino from 'pino';
import { ChainScale } from '../../src/settlement/amounts';
import { encodeClaimTransfer, readClaimAnswer } from '../../src/settlement/claim-protocol';
import { SettlementService } from '../../src/settlement/settlement-service';
import { silentSettlementObserver } from '../../src/settlement/settlement-observer';
import type { SettlingPeer } from '../../src/settlement/settling-peer';
import {
  InMemoryChain,
  InMemorySettlementLedger,
  LoopbackLink,
  type InMemoryChannelEngine,
} from './support/in-memory-settlement';

const ALICE = `0x${'a1'.repeat(20)}`;
const BOB = `0x${'b0'.repeat(20)}`;
const GWEI = 1_000_000_000n; // one asset unit (9 places) in wei
const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });

/**
 * Alice pays Bob over a channel on an in-memory chain: each node has its own SettlementService,
 * ledger and engine, and their BTP sessions hand frames to each other. The real chain, ledger and
 * sockets are in the end-to-end suites; here the core's bookkeeping is under test.
 */
function pair(
  options: { threshold?: bigint; settleTo?: bigint; autoOpen?: bigint; peerAddress?: boolean } = {},
) {
  const chain = new InMemoryChain();
  const aliceEngine = chain.engine(ALICE);
  const bobEngine = chain.engine(BOB);
  const aliceLedger = new InMemorySettlementLedger({ bob: 0n });
  const bobLedger = new InMemorySettlementLedger({ alice: 0n });
  const peer = (peerId: string, peerAddress: string): SettlingPeer => ({
    peerId,
    chain: 'evm',
    scale: new ChainScale(9, 18),
    threshold: options.threshold ?? 1000n,
    settleTo: options.settleTo ?? 0n,
    peerAddress: options.peerAddress === false ? undefined : peerAddress,
    autoOpenDeposit: options.autoOpen ?? 100_000n,
  });
  const nodes: { alice?: SettlementService; bob?: SettlementService } = {};
  const aliceLink = new LoopbackLink('alice', () => nodes.bob as SettlementService);
  const bobLink = new LoopbackLink('bob', () => nodes.alice as SettlementService);
  const service = (
    me: string,
    them: SettlingPeer,
    engine: InMemoryChannelEngine,
    ledger: InMemorySettlementLedger,
    link: LoopbackLink,
  ) =>
    new SettlementService({
      peers: [them],
      engines: new Map([['evm', engine]]),
      ledger,
      btp: link,
      isConnected: () => link.connected,
      claimTimeoutMs: 1000,
      watchIntervalMs: 60_000,
      observer: silentSettlementObserver,
      logger: logger.child({ node: me }),
    });
  const alice = service('alice', peer('bob', BOB), aliceEngine, aliceLedger, aliceLink);
  const bob = service('bob', peer('alice', ALICE), bobEngine, bobLedger, bobLink);
  nodes.alice = alice;
  nodes.bob = bob;
  return { chain, alice, bob, aliceLedger, bobLedger, aliceLink, bobLink, aliceEngine, bobEngine };
}

async function settled(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  if (!check()) throw new Error('not settled');
}

/** A fulfilled packet of `amount` from Alice to Bob: Alice owes Bob more, Bob is owed more. */
function packet(p: ReturnType<typeof pair>, amount: bigint): void {
  p.aliceLedger.balances.set('bob', (p.aliceLedger.balances.get('bob') ?? 0n) - amount);
  p.bobLedger.balances.set('alice', (p.bobLedger.balances.get('alice') ?? 0n) + amount);
  p.alice.owedMore('bob');
}

function claimFrame(
  channelId: string,
  cumulative: bigint,
  signature: string,
  requestId = 77,
): BtpPacket & { type: BtpPacketType.Transfer } {
  return decodeBtp(
    encodeClaimTransfer(requestId, 0n, { chain: 'evm', channelId, cumulative, signature }),
  ) as BtpPacket & {
    type: BtpPacketType.Transfer;
  };
}

describe('SettlementService', () => {
  let p: ReturnType<typeof pair>;
  afterEach(async () => {
    await p?.alice.stop();
    await p?.bob.stop();
  });

  it('pays nothing below the threshold, then pays the whole debt down to settleTo once it is reached', async () => {
    p = pair({ threshold: 1000n, settleTo: 100n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    packet(p, 600n);
    await new Promise((resolve) => setImmediate(resolve));
    expect(p.chain.channels.size).toBe(0);
    packet(p, 500n);
    await settled(() => p.bobLedger.balances.get('alice') === 100n);
    expect(p.aliceLedger.balances.get('bob')).toBe(-100n);
    expect(p.aliceLedger.settlementAccount).toBe(-1000n);
    expect(p.bobLedger.settlementAccount).toBe(1000n);
    const [channel] = p.chain.channels.values();
    expect(channel).toMatchObject({ sender: ALICE, receiver: BOB, deposit: 100_000n * GWEI });
    expect(p.alice.channels()).toEqual([
      expect.objectContaining({ direction: 'outgoing', claimed: 1000n * GWEI, acknowledged: 1000n * GWEI }),
    ]);
    expect(p.bob.channels()).toEqual([
      expect.objectContaining({ direction: 'incoming', claimed: 1000n * GWEI }),
    ]);
  });

  it('folds the posts of one turn into one cumulative claim (threshold 0: every Fulfill is settled)', async () => {
    p = pair({ threshold: 0n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    for (let i = 0; i < 50; i++) packet(p, 10n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    expect(p.aliceEngine.signed).toBeLessThan(5);
    for (let i = 0; i < 20; i++) {
      packet(p, 3n);
      await settled(() => p.bobLedger.balances.get('alice') === 0n);
    }
    expect(p.aliceLedger.balances.get('bob')).toBe(0n);
    expect(p.bobLedger.settlementAccount).toBe(560n);
  });

  it('learns where to pay from the address the peer announces when none is configured', async () => {
    p = pair({ peerAddress: false });
    await Promise.all([p.alice.start(), p.bob.start()]);
    packet(p, 2000n);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(p.chain.channels.size).toBe(0); // nowhere to pay yet
    p.bob.onPeerConnected('alice'); // bob announces 0xB0B to alice
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    expect([...p.chain.channels.values()][0].receiver).toBe(BOB);
  });

  it('tops the channel up when the next claim would exceed its deposit', async () => {
    p = pair({ threshold: 0n, autoOpen: 1000n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    packet(p, 800n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    packet(p, 700n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    expect([...p.chain.channels.values()][0].deposit).toBe(2000n * GWEI);
  });

  it('books a claim before sending it, and sends the latest again when the peer reconnects', async () => {
    p = pair({ threshold: 0n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    p.aliceLink.connected = false;
    packet(p, 400n);
    await settled(() => p.aliceLedger.balances.get('bob') === 0n);
    expect(p.bobLedger.balances.get('alice')).toBe(400n); // not delivered yet
    p.aliceLink.connected = true;
    p.alice.onPeerConnected('bob');
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    expect(p.bobLedger.settlementAccount).toBe(400n);
  });

  it('resumes from the claims in its ledger after a restart, never paying a claim twice', async () => {
    p = pair({ threshold: 0n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    packet(p, 300n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    await p.alice.stop();
    const restarted = new SettlementService({
      peers: [
        {
          peerId: 'bob',
          chain: 'evm',
          scale: new ChainScale(9, 18),
          threshold: 0n,
          settleTo: 0n,
          peerAddress: BOB,
          autoOpenDeposit: 100_000n,
        },
      ],
      engines: new Map([['evm', p.aliceEngine]]),
      ledger: p.aliceLedger,
      btp: p.aliceLink,
      isConnected: () => true,
      claimTimeoutMs: 1000,
      watchIntervalMs: 60_000,
      observer: silentSettlementObserver,
      logger,
    });
    p.alice = restarted;
    await restarted.start();
    restarted.onPeerConnected('bob'); // resends the latest claim: bob already holds it
    packet(p, 200n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    expect(p.chain.channels.size).toBe(1);
    expect(p.bobLedger.settlementAccount).toBe(500n);
    expect([...p.bobLedger.stored.values()][0].cumulative).toBe(500n * GWEI);
  });

  describe('judging claims (the payee)', () => {
    async function openedChannel(): Promise<string> {
      p = pair({ threshold: 0n });
      await Promise.all([p.alice.start(), p.bob.start()]);
      packet(p, 100n);
      await settled(() => p.bobLedger.balances.get('alice') === 0n);
      return [...p.chain.channels.keys()][0];
    }

    async function answer(frame: BtpPacket & { type: BtpPacketType.Transfer }, from = 'alice') {
      return readClaimAnswer(decodeBtp(await p.bob.handleTransfer(from, frame)));
    }

    it('refuses a replayed, a lower and an equal claim without changing a balance', async () => {
      const channelId = await openedChannel();
      const sig = p.chain.signature(ALICE, channelId, 100n * GWEI);
      const before = p.bobLedger.settlementAccount;
      expect(await answer(claimFrame(channelId, 100n * GWEI, sig))).toMatchObject({
        accepted: false,
        reason: 'not-increasing',
      });
      const lower = p.chain.signature(ALICE, channelId, 50n * GWEI);
      expect(await answer(claimFrame(channelId, 50n * GWEI, lower))).toMatchObject({
        reason: 'not-increasing',
      });
      expect(p.bobLedger.settlementAccount).toBe(before);
    });

    it('refuses a forged signature and a claim over the deposit', async () => {
      const channelId = await openedChannel();
      const forged = p.chain.signature(BOB, channelId, 200n * GWEI);
      expect(await answer(claimFrame(channelId, 200n * GWEI, forged))).toMatchObject({
        reason: 'bad-signature',
      });
      const tooMuch = 200_000n * GWEI;
      const signed = p.chain.signature(ALICE, channelId, tooMuch);
      expect(await answer(claimFrame(channelId, tooMuch, signed))).toMatchObject({ reason: 'over-deposit' });
      expect(p.bobLedger.settlementAccount).toBe(100n);
    });

    it("refuses claims on another peer's channel, on an unknown channel and malformed claims", async () => {
      const channelId = await openedChannel();
      const sig = p.chain.signature(ALICE, channelId, 500n * GWEI);
      expect(await answer(claimFrame(channelId, 500n * GWEI, sig), 'mallory')).toMatchObject({
        reason: 'wrong-channel',
      });
      const unknown = `0x${'f'.repeat(64)}`;
      expect(await answer(claimFrame(unknown, 1n, 'aa'))).toMatchObject({ reason: 'unknown-channel' });
      const frame = claimFrame(channelId, 1n, 'aa');
      frame.protocolData[0].data = Buffer.from('{"chain":"evm"}');
      expect(await answer(frame)).toMatchObject({ reason: 'malformed' });
      expect(p.bobLedger.settlementAccount).toBe(100n);
    });

    it('judges a claim within the deposit against the channel it read before while the chain is down', async () => {
      const channelId = await openedChannel();
      p.chain.reachable = false;
      const cumulative = 150n * GWEI;
      const sig = p.chain.signature(ALICE, channelId, cumulative);
      expect(await answer(claimFrame(channelId, cumulative, sig))).toEqual({ accepted: true });
      expect(p.bobLedger.settlementAccount).toBe(150n);
      const forged = p.chain.signature(BOB, channelId, 160n * GWEI);
      expect(await answer(claimFrame(channelId, 160n * GWEI, forged))).toMatchObject({
        reason: 'bad-signature',
      });
    });

    it('answers "try again" when the chain cannot be read, and books nothing', async () => {
      const channelId = await openedChannel();
      p.chain.reachable = false;
      const sig = p.chain.signature(ALICE, channelId, 100_001n * GWEI);
      const reply = decodeBtp(
        await p.bob.handleTransfer('alice', claimFrame(channelId, 100_001n * GWEI, sig)),
      );
      expect(reply).toMatchObject({ type: BtpPacketType.Error, code: 'T00' });
      expect(p.bobLedger.settlementAccount).toBe(100n);
    });
  });

  it('sends a claim the peer could not book now again after a backoff', async () => {
    p = pair({ threshold: 0n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    p.bobLedger.failNext = 1; // bob answers T00 "try again later" once
    packet(p, 250n);
    await settled(() => p.aliceLedger.balances.get('bob') === 0n);
    expect(p.bobLedger.balances.get('alice')).toBe(250n);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    expect(p.bobLedger.balances.get('alice')).toBe(0n);
    expect(p.bobLedger.settlementAccount).toBe(250n);
  });

  it('redeems and closes the channels a peer pays us over, when asked', async () => {
    p = pair({ threshold: 0n });
    await Promise.all([p.alice.start(), p.bob.start()]);
    packet(p, 700n);
    await settled(() => p.bobLedger.balances.get('alice') === 0n);
    const outcomes = await p.bob.close('alice');
    expect(outcomes).toEqual([{ hash: '0xredeem', fee: 2n }]);
    expect(p.chain.redeemed).toEqual([expect.objectContaining({ cumulative: 700n * GWEI, close: true })]);
  });
});
