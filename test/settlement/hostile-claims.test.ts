import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BtpPacketType, decodeBtp, type BtpPacket } from '@ilpd/codec';
import { Wallet } from 'ethers';
import { signClaim } from '../../packages/connector/src/settlement/evm/claim-signature';
import { encodeClaimTransfer, readClaimAnswer } from '../../packages/connector/src/settlement/claim-protocol';
import { BtpRequestError, connectBtpPeer, type BtpPeer } from '../helpers/btp-peer';
import { eventually, SettlementPair, type EvmChain } from '../helpers/settlement-pair';

const GWEI = 1_000_000_000n;

/**
 * A peer that cheats, against a real ilpd (B) and a real chain: it connects as A (B allows A two
 * connections) and sends B claims on A's real channel — replayed, lower, equal, over the deposit,
 * signed by someone else, on a channel that does not exist, malformed — and, as mallory, claims on A's
 * channel. Every one is refused with its reason over BTP, and no balance on B moves.
 */
describe('claims from a cheating peer change nothing (e2e, anvil)', () => {
  let pair: SettlementPair;
  let cheat: BtpPeer;
  let mallory: BtpPeer;
  let channelId: string;
  let best: { cumulative: bigint; signature: string };
  let nextRequestId = 1000;

  beforeAll(async () => {
    pair = await SettlementPair.start({
      threshold: 5000n,
      deposit: 1_000_000n,
      creditLimit: 50_000n,
      extraConfig: {},
      bPeers: [
        {
          id: 'mallory',
          relation: 'peer',
          btp: { role: 'server', authToken: 'mallory-secret' },
          assetCode: 'ETH',
          assetScale: 9,
          settlement: { engine: 'evm', threshold: '1000000' },
        },
      ],
      aMaxConnectionsOnB: 2,
    });
    for (let i = 0; i < 20; i++) expect(await pair.pay(1000n)).toBe('fulfilled');
    await eventually(async () => {
      const { aOwesB, bIsOwed, bSettlement } = await pair.balances();
      return bSettlement > 0n && aOwesB === bIsOwed;
    }, 20_000);
    // B's best claim from A, as B stored it (read-only: the daemon keeps writing beside us).
    const db = new Database(join(pair.b.dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const row = db
        .prepare("SELECT channel_id, cumulative, signature FROM claims WHERE direction = 'received'")
        .get() as { channel_id: string; cumulative: string; signature: string };
      channelId = row.channel_id;
      best = { cumulative: BigInt(row.cumulative), signature: row.signature };
    } finally {
      db.close();
    }
    cheat = await connectBtpPeer(pair.b.btpUrl, { username: 'a', token: 'a-secret' });
    mallory = await connectBtpPeer(pair.b.btpUrl, { username: 'mallory', token: 'mallory-secret' });
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([cheat?.close(), mallory?.close()]);
    await pair?.close();
  });

  const chainId = () => BigInt((pair.chain as EvmChain).anvil.chainId);
  const contract = () => (pair.chain as EvmChain).contractAddress;
  const signedBy = (key: string, cumulative: bigint, channel = channelId) =>
    signClaim(key, { chainId: chainId(), contract: contract(), channelId: channel, cumulative });

  /** The peer's answer as settlement reads it (the test peer rejects on a BTP Error: turned back here). */
  async function answerTo(peer: BtpPeer, frame: BtpPacket) {
    try {
      return readClaimAnswer(await peer.request(frame));
    } catch (err) {
      if (!(err instanceof BtpRequestError)) throw err;
      return readClaimAnswer({
        type: BtpPacketType.Error,
        requestId: frame.requestId,
        code: err.code,
        name: err.btpName,
        triggeredAt: new Date(),
        data: Buffer.from(err.detail),
        protocolData: [],
      });
    }
  }

  function send(peer: BtpPeer, cumulative: bigint, signature: string, channel = channelId) {
    const frame = encodeClaimTransfer(nextRequestId++, 0n, {
      chain: 'evm',
      channelId: channel,
      cumulative,
      signature,
    });
    return answerTo(peer, decodeBtp(frame));
  }

  it('refuses each cheat with its reason, and no balance on B moves', async () => {
    const before = await pair.balances();
    const aKey = (pair.chain as EvmChain).anvil.privateKeys[1];
    const stranger = Wallet.createRandom().privateKey;

    expect(await send(cheat, best.cumulative, best.signature)).toMatchObject({ reason: 'not-increasing' });
    expect(await send(cheat, best.cumulative - GWEI, signedBy(aKey, best.cumulative - GWEI))).toMatchObject({
      reason: 'not-increasing',
    });
    const overDeposit = 1_000_001n * GWEI;
    expect(await send(cheat, overDeposit, signedBy(aKey, overDeposit))).toMatchObject({
      reason: 'over-deposit',
    });
    const more = best.cumulative + 5000n * GWEI;
    expect(await send(cheat, more, signedBy(stranger, more))).toMatchObject({ reason: 'bad-signature' });
    expect(await send(cheat, more, best.signature)).toMatchObject({ reason: 'bad-signature' });
    const nowhere = `0x${'ab'.repeat(32)}`;
    expect(await send(cheat, more, signedBy(aKey, more, nowhere), nowhere)).toMatchObject({
      reason: 'unknown-channel',
    });
    // Mallory presents A's own valid claim: the channel is A's.
    expect(await send(mallory, more, signedBy(aKey, more))).toMatchObject({ reason: 'wrong-channel' });
    const malformed = decodeBtp(
      encodeClaimTransfer(nextRequestId++, 0n, { chain: 'evm', channelId, cumulative: 1n, signature: 'aa' }),
    );
    malformed.protocolData[0].data = Buffer.from('{"chain":"evm","cumulative":12}');
    expect(await answerTo(cheat, malformed)).toMatchObject({ reason: 'malformed' });

    const after = await pair.balances();
    expect(after.bSettlement).toBe(before.bSettlement);
    expect(after.bIsOwed).toBe(before.bIsOwed);
    const [theirs] = await pair.channels(pair.b);
    expect(BigInt(theirs.claimed)).toBe(best.cumulative);
    const metrics = String((await pair.b.getJson('/metrics')).body);
    expect(metrics).toMatch(
      /^ilpd_settlements_total\{peer="a",direction="received",result="refused"\} [6-9]$/m,
    );
  });

  it('still credits the honest claims that follow', async () => {
    for (let i = 0; i < 10; i++) expect(await pair.pay(1000n)).toBe('fulfilled');
    await eventually(async () => {
      const { aOwesB, bIsOwed } = await pair.balances();
      return aOwesB < 5000n && aOwesB === bIsOwed;
    }, 20_000);
    const balances = await pair.balances();
    expect(balances.bSettlement + balances.bIsOwed).toBe(30_000n);
  });
});
