import { Client, ECDSA, Wallet, hashes, type Transaction } from 'xrpl';
import type { ChannelState } from '../../../src/settlement/channel-engine';
import { msToRippleTime } from '../../../src/settlement/xrpl/pay-channel';
import { XrplChannelEngine } from '../../../src/settlement/xrpl/xrpl-channel-engine';
import { TF_CLOSE, XrplLedgerStandIn } from '../../../../../test/helpers/xrpl-standin';
import { STANDIN_OPTIONS, XRP, engineOptions, fundedEngine } from './harness';

/** XrplChannelEngine against the stand-in rippled (real WebSocket server, real xrpl.js clients). */
describe('XrplChannelEngine (against the XRPL stand-in)', () => {
  let standIn: XrplLedgerStandIn;
  let client: Client;
  const engines: XrplChannelEngine[] = [];

  beforeAll(async () => {
    standIn = await XrplLedgerStandIn.start(STANDIN_OPTIONS);
    client = new Client(standIn.url);
    await client.connect();
  });

  afterAll(async () => {
    await Promise.all(engines.map((e) => e.stop()));
    await client.disconnect();
    await standIn.close();
  });

  async function party(drops: bigint, options: Parameters<typeof fundedEngine>[2] = {}) {
    const funded = await fundedEngine(standIn, drops, options);
    engines.push(funded.engine);
    return funded;
  }

  function balanceOf(address: string): bigint {
    return standIn.account(address)?.balance as bigint;
  }

  /** Signs and submits a transaction by hand (terms the engine would never choose); waits for its ledger. */
  async function applyByHand(wallet: Wallet, fields: Record<string, unknown>): Promise<string> {
    const tx = {
      Account: wallet.address,
      Sequence: standIn.account(wallet.address)?.sequence,
      Fee: '10',
      LastLedgerSequence: standIn.openLedgerIndex + 10,
      ...fields,
    } as unknown as Transaction;
    const answer = await client.request({ command: 'submit', tx_blob: wallet.sign(tx).tx_blob });
    await standIn.nextClose();
    return answer.result.engine_result;
  }

  /** A channel opened by hand, validated. */
  async function rawChannel(
    source: Wallet,
    destination: string,
    extra: Record<string, unknown>,
  ): Promise<string> {
    const sequence = standIn.account(source.address)?.sequence as number;
    const result = await applyByHand(source, {
      TransactionType: 'PaymentChannelCreate',
      Destination: destination,
      Amount: (5n * XRP).toString(),
      SettleDelay: 3600,
      PublicKey: source.publicKey,
      ...extra,
    });
    expect(result).toBe('tesSUCCESS');
    return hashes.hashPaymentChannel(source.address, destination, sequence);
  }

  it('opens, funds, signs, verifies and redeems a channel: the payee gains exactly the claim minus its fee', async () => {
    const alice = await party(100n * XRP);
    const bob = await party(20n * XRP);
    const opened = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
    expect(opened).toMatchObject({
      chain: 'xrpl',
      sender: alice.engine.ourAddress,
      receiver: bob.engine.ourAddress,
      deposit: 10n * XRP,
      paidOut: 0n,
      status: 'open',
      publicKey: alice.engine.publicKey,
      settleDelaySeconds: 3600,
    });
    expect(opened.closesAtMs).toBeUndefined();
    const funded = await alice.engine.deposit(opened.channelId, 5n * XRP);
    expect(funded.deposit).toBe(15n * XRP);
    await standIn.nextClose();
    // Both transactions paid the stand-in's base fee of 10 drops.
    expect(balanceOf(alice.engine.ourAddress)).toBe(100n * XRP - 15n * XRP - 20n);

    const firstClaim = await alice.engine.signClaim(funded, 3n * XRP);
    const secondClaim = await alice.engine.signClaim(funded, 5n * XRP);
    const seen = (await bob.engine.readChannel(opened.channelId)) as ChannelState;
    expect(seen).toEqual(funded);
    expect(bob.engine.checkIncomingChannel(seen)).toEqual({ accepted: true });
    expect(await bob.engine.verifyClaim(seen, 3n * XRP, firstClaim)).toBe(true);
    expect(await bob.engine.verifyClaim(seen, 5n * XRP, secondClaim)).toBe(true);
    expect(await bob.engine.verifyClaim(seen, 5n * XRP, firstClaim)).toBe(false);

    const before = balanceOf(bob.engine.ourAddress);
    const outcome = await bob.engine.redeem(seen, 5n * XRP, secondClaim, false);
    expect(outcome.fee).toBe(10n);
    expect(outcome.hash).toMatch(/^[0-9A-F]{64}$/);
    await standIn.nextClose();
    expect(balanceOf(bob.engine.ourAddress) - before).toBe(5n * XRP - outcome.fee);
    const after = (await bob.engine.readChannel(opened.channelId)) as ChannelState;
    expect(after).toMatchObject({ deposit: 15n * XRP, paidOut: 5n * XRP, status: 'open' });

    // A later, larger claim pays only the increase.
    const thirdClaim = await alice.engine.signClaim(after, 7n * XRP);
    const again = await bob.engine.redeem(after, 7n * XRP, thirdClaim, false);
    await standIn.nextClose();
    expect(balanceOf(bob.engine.ourAddress) - before).toBe(7n * XRP - outcome.fee - again.fee);
  });

  it('signs claims with a secp256k1 account key, and the stand-in pays them', async () => {
    const carol = await party(50n * XRP, { algorithm: ECDSA.secp256k1 });
    const dave = await party(20n * XRP);
    const channel = await carol.engine.openChannel(dave.engine.ourAddress, 10n * XRP);
    expect(channel.publicKey).toMatch(/^0[23]/);
    const signature = await carol.engine.signClaim(channel, 4n * XRP);
    expect(await dave.engine.verifyClaim(channel, 4n * XRP, signature)).toBe(true);
    const before = balanceOf(dave.engine.ourAddress);
    const outcome = await dave.engine.redeem(channel, 4n * XRP, signature, false);
    await standIn.nextClose();
    expect(balanceOf(dave.engine.ourAddress) - before).toBe(4n * XRP - outcome.fee);
  });

  it('refuses, before sending anything, to redeem a badly signed claim or to sign beyond the deposit', async () => {
    const alice = await party(50n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
    const signature = await alice.engine.signClaim(channel, 2n * XRP);
    const sent = standIn.submissions.length;
    await expect(bob.engine.redeem(channel, 3n * XRP, signature, false)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID',
    });
    await expect(bob.engine.redeem(channel, 11n * XRP, signature, false)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID',
    });
    await expect(alice.engine.signClaim(channel, 11n * XRP)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID',
    });
    await expect(bob.engine.signClaim(channel, XRP)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_INVALID',
    });
    expect(standIn.submissions.length).toBe(sent);
  });

  it('refuses to credit channels with CancelAfter, a short settle delay, another destination or a close requested', async () => {
    const bob = await party(20n * XRP);
    const peer = Wallet.generate();
    await standIn.fund(peer.address, 100n * XRP);
    const third = Wallet.generate();
    await standIn.fund(third.address, 20n * XRP);
    const inAnHour = msToRippleTime(standIn.validatedCloseTimeMs) + 3600;

    const check = async (id: string) =>
      bob.engine.checkIncomingChannel((await bob.engine.readChannel(id)) as ChannelState);
    const good = await rawChannel(peer, bob.engine.ourAddress, {});
    expect(await check(good)).toEqual({ accepted: true });
    expect(
      await check(await rawChannel(peer, bob.engine.ourAddress, { CancelAfter: inAnHour })),
    ).toMatchObject({
      accepted: false,
      reason: 'unsafe-terms',
      message: expect.stringContaining('CancelAfter'),
    });
    expect(await check(await rawChannel(peer, bob.engine.ourAddress, { SettleDelay: 60 }))).toMatchObject({
      accepted: false,
      reason: 'unsafe-terms',
      message: expect.stringContaining('settle delay of 60 s, below our minimum of 600 s'),
    });
    expect(await check(await rawChannel(peer, third.address, {}))).toMatchObject({
      accepted: false,
      reason: 'wrong-channel',
    });
    expect(
      await applyByHand(peer, { TransactionType: 'PaymentChannelClaim', Channel: good, Flags: TF_CLOSE }),
    ).toBe('tesSUCCESS');
    expect(await check(good)).toMatchObject({ accepted: false, reason: 'channel-closing' });
  });

  it('closes our channel: a close request, then after the settle delay the rest comes back; late claims are not paid', async () => {
    const alice = await party(50n * XRP, { overrides: { settleDelaySeconds: 60 } });
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
    const early = await alice.engine.signClaim(channel, 2n * XRP);
    const late = await alice.engine.signClaim(channel, 3n * XRP);

    const requested = await alice.engine.startClose(channel);
    expect(requested.fee).toBe(10n);
    const closing = (await alice.engine.readChannel(channel.channelId)) as ChannelState;
    expect(closing.status).toBe('closing');
    expect(
      Math.abs((closing.closesAtMs as number) - (standIn.validatedCloseTimeMs + 60_000)),
    ).toBeLessThanOrEqual(2000);
    await expect(alice.engine.finishClose(closing)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_TOO_EARLY',
    });
    // Within the settle delay the payee still redeems.
    await bob.engine.redeem(closing, 2n * XRP, early, false);

    standIn.advanceClock(61);
    await standIn.nextClose();
    const expired = (await bob.engine.readChannel(channel.channelId)) as ChannelState;
    expect(expired).toMatchObject({ status: 'closed', paidOut: 2n * XRP });
    const aliceBefore = balanceOf(alice.engine.ourAddress);
    const sent = standIn.submissions.length;
    await expect(bob.engine.redeem(expired, 3n * XRP, late, false)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
    });
    expect(standIn.submissions.length).toBe(sent); // known expired: nothing sent
    // With a stale view ("closing") the claim is sent; the chain removes the channel and pays nothing.
    await expect(bob.engine.redeem(closing, 3n * XRP, late, false)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
      feeDrops: 10n,
    });
    await standIn.nextClose();
    // That transaction removed the channel; the 8 XRP not paid out went back to the source.
    expect(balanceOf(alice.engine.ourAddress) - aliceBefore).toBe(8n * XRP);
    expect(await alice.engine.readChannel(channel.channelId)).toBeUndefined();
    await expect(alice.engine.finishClose(closing)).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_CHANNEL_GONE',
    });
  });

  it('finishes closing our channel after its expiration, taking back what was not claimed', async () => {
    const alice = await party(50n * XRP, { overrides: { settleDelaySeconds: 30 } });
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
    await bob.engine.redeem(channel, XRP, await alice.engine.signClaim(channel, XRP), false);
    await alice.engine.startClose(channel);
    standIn.advanceClock(31);
    await standIn.nextClose();
    const before = balanceOf(alice.engine.ourAddress);
    const outcome = await alice.engine.finishClose(channel);
    await standIn.nextClose();
    expect(balanceOf(alice.engine.ourAddress) - before).toBe(9n * XRP - outcome.fee);
    expect(standIn.channel(channel.channelId)).toBeUndefined();
  });

  it('redeems and closes in one transaction when asked: the payee is paid, the source gets the rest at once', async () => {
    const alice = await party(50n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 10n * XRP);
    const signature = await alice.engine.signClaim(channel, 4n * XRP);
    const aliceBefore = balanceOf(alice.engine.ourAddress);
    const bobBefore = balanceOf(bob.engine.ourAddress);
    const outcome = await bob.engine.redeem(channel, 4n * XRP, signature, true);
    await standIn.nextClose();
    expect(balanceOf(bob.engine.ourAddress) - bobBefore).toBe(4n * XRP - outcome.fee);
    expect(balanceOf(alice.engine.ourAddress) - aliceBefore).toBe(6n * XRP);
    expect(await bob.engine.readChannel(channel.channelId)).toBeUndefined();
  });

  it('reports a tec result with its code, hash and fee, and keeps its sequence for the next transaction', async () => {
    const alice = await party(30n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 5n * XRP);
    const failure = alice.engine.deposit(channel.channelId, 1000n * XRP);
    await expect(failure).rejects.toMatchObject({
      code: 'ILPD_ERR_SETTLEMENT_TX_FAILED',
      engineResult: 'tecUNFUNDED',
      feeDrops: 10n,
      hash: expect.stringMatching(/^[0-9A-F]{64}$/),
    });
    const funded = await alice.engine.deposit(channel.channelId, XRP);
    expect(funded.deposit).toBe(6n * XRP);
  });

  it('resyncs its sequence when another client used the account (tefPAST_SEQ), then succeeds', async () => {
    const alice = await party(50n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 5n * XRP);
    // The same account, from elsewhere: the engine's tracked sequence is now stale.
    const payment = { TransactionType: 'Payment', Destination: bob.wallet.address, Amount: '1000' };
    expect(await applyByHand(alice.wallet, payment)).toBe('tesSUCCESS');
    const funded = await alice.engine.deposit(channel.channelId, XRP);
    expect(funded.deposit).toBe(6n * XRP);
    const ours = standIn.submissions.filter(
      (s) => s.account === alice.wallet.address && s.transactionType === 'PaymentChannelFund',
    );
    expect(ours.map((s) => s.engineResult)).toEqual(['tefPAST_SEQ', 'tesSUCCESS']);
  });

  it('signs again with a new window when a submitted transaction is never validated, and it applies once', async () => {
    const alice = await party(50n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 5n * XRP);
    let lostWindow: unknown;
    standIn.dropSubmissions((tx) => {
      if (tx.Account !== alice.wallet.address) return false;
      lostWindow ??= tx.LastLedgerSequence;
      return tx.LastLedgerSequence === lostWindow;
    });
    try {
      const funded = await alice.engine.deposit(channel.channelId, 2n * XRP);
      expect(funded.deposit).toBe(7n * XRP);
    } finally {
      standIn.dropSubmissions(undefined);
    }
    const ours = standIn.submissions.filter(
      (s) => s.account === alice.wallet.address && s.transactionType === 'PaymentChannelFund',
    );
    const hashes = [...new Set(ours.map((s) => s.hash))];
    expect(hashes).toHaveLength(2); // the lost blob (sent more than once) and its re-signed successor
    expect(ours.filter((s) => !s.kept).length).toBeGreaterThanOrEqual(1);
    expect(new Set(ours.map((s) => s.sequence)).size).toBe(1); // the lost one never used its sequence
    expect(standIn.channel(channel.channelId)?.amount).toBe(7n * XRP);
  });

  it('refuses a secret that is not a family seed, or an unusable ledger offset, without echoing the secret', () => {
    const options = engineOptions(standIn, Wallet.generate());
    const secret = 'not-a-seed-but-still-secret';
    const bad = () => new XrplChannelEngine({ ...options, secret });
    expect(bad).toThrow(expect.objectContaining({ code: 'ILPD_ERR_CONFIG' }));
    expect(bad).not.toThrow(secret);
    expect(() => new XrplChannelEngine({ ...options, ledgerOffset: 0 })).toThrow(
      'xrpl ledgerOffset: expected an integer from 1 to 998, got 0',
    );
    expect(() => new XrplChannelEngine({ ...options, settleDelaySeconds: 1.5 })).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_CONFIG' }),
    );
  });

  it('ends a pending transaction on stop with ILPD_ERR_SETTLEMENT_TX_UNKNOWN and its hash', async () => {
    const alice = await party(50n * XRP);
    const bob = await party(20n * XRP);
    const channel = await alice.engine.openChannel(bob.engine.ourAddress, 5n * XRP);
    standIn.dropSubmissions((tx) => tx.Account === alice.wallet.address);
    try {
      const submitted = new Promise<string>((resolve) =>
        standIn.once('submit', (e: { hash: string }) => resolve(e.hash)),
      );
      const pending = alice.engine.deposit(channel.channelId, XRP);
      const hash = await submitted;
      await alice.engine.stop();
      await expect(pending).rejects.toMatchObject({ code: 'ILPD_ERR_SETTLEMENT_TX_UNKNOWN', hash });
    } finally {
      standIn.dropSubmissions(undefined);
    }
  });
});
