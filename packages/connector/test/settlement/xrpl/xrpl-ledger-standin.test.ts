import {
  Client,
  ECDSA,
  RippledError,
  Wallet,
  decode,
  encode,
  hashes,
  signPaymentChannelClaim,
  type Transaction,
} from 'xrpl';
import { TF_CLOSE, TF_RENEW, XrplLedgerStandIn } from '../../../../../test/helpers/xrpl-standin';
import { XRP } from './harness';

/**
 * The stand-in rippled itself, driven by a plain xrpl.js Client and hand-signed transactions: the
 * rules the engine tests rely on must hold here first.
 */
describe('XRPL ledger stand-in', () => {
  let standIn: XrplLedgerStandIn;
  let client: Client;

  beforeAll(async () => {
    standIn = await XrplLedgerStandIn.start({ closeIntervalMs: 100 });
    client = new Client(standIn.url);
    await client.connect();
  });

  afterAll(async () => {
    await client.disconnect();
    await standIn.close();
  });

  /** Signs `fields` for `wallet` with its next sequence (unless given), a 10-drop fee and a window. */
  function sign(wallet: Wallet, fields: Record<string, unknown>): { blob: string; hash: string } {
    const tx = {
      Account: wallet.address,
      Sequence: standIn.account(wallet.address)?.sequence,
      Fee: '10',
      LastLedgerSequence: standIn.openLedgerIndex + 10,
      ...fields,
    } as unknown as Transaction;
    const { tx_blob: blob, hash } = wallet.sign(tx);
    return { blob, hash };
  }

  async function submit(blob: string): Promise<string> {
    const answer = await client.request({ command: 'submit', tx_blob: blob });
    return answer.result.engine_result;
  }

  /** Submits, waits for the next close and returns the validated result (or the refusal). */
  async function apply(
    wallet: Wallet,
    fields: Record<string, unknown>,
  ): Promise<{ result: string; hash: string }> {
    const { blob, hash } = sign(wallet, fields);
    const preliminary = await submit(blob);
    await standIn.nextClose();
    const found = await client.request({ command: 'tx', transaction: hash }).catch(() => undefined);
    const meta = found?.result.meta as { TransactionResult: string } | undefined;
    return { result: meta?.TransactionResult ?? preliminary, hash };
  }

  async function funded(drops = 100n * XRP, algorithm = ECDSA.ed25519): Promise<Wallet> {
    const wallet = Wallet.generate(algorithm);
    await standIn.fund(wallet.address, drops);
    return wallet;
  }

  async function openChannel(
    source: Wallet,
    destination: Wallet,
    extra: Record<string, unknown> = {},
  ): Promise<{ id: string; result: string }> {
    const sequence = standIn.account(source.address)?.sequence as number;
    const { result } = await apply(source, {
      TransactionType: 'PaymentChannelCreate',
      Destination: destination.address,
      Amount: (10n * XRP).toString(),
      SettleDelay: 60,
      PublicKey: source.publicKey,
      ...extra,
    });
    return { id: hashes.hashPaymentChannel(source.address, destination.address, sequence), result };
  }

  function claim(source: Wallet, channel: string, drops: bigint): string {
    return signPaymentChannelClaim(channel, (Number(drops) / 1e6).toString(), source.privateKey);
  }

  it('stand-in refuses a transaction whose signature was forged, and applies nothing', async () => {
    const alice = await funded();
    const { blob } = sign(alice, {
      TransactionType: 'Payment',
      Destination: standIn.genesis.address,
      Amount: '1000000',
    });
    // Raise the amount inside the signed transaction: its signature no longer covers it.
    const forged = encode({ ...decode(blob), Amount: '90000000' } as unknown as Transaction);
    expect(decode(forged)).toMatchObject({ Amount: '90000000', TxnSignature: decode(blob).TxnSignature });
    const refusal = await client.request({ command: 'submit', tx_blob: forged }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(RippledError);
    expect((refusal as RippledError).data).toMatchObject({
      error: 'invalidTransaction',
      error_message: 'fails local checks: Invalid signature.',
    });
    await standIn.nextClose();
    expect(standIn.account(alice.address)).toMatchObject({
      balance: 100n * XRP,
      sequence: expect.any(Number),
    });
  });

  it("stand-in refuses a transaction signed by a key that is not the account's own (tefBAD_AUTH_MASTER)", async () => {
    const alice = await funded();
    const mallory = Wallet.generate();
    const tx = {
      TransactionType: 'Payment',
      Account: alice.address,
      Destination: mallory.address,
      Amount: '5000000',
      Fee: '10',
      Sequence: standIn.account(alice.address)?.sequence,
    } as unknown as Transaction;
    expect(await submit(mallory.sign(tx).tx_blob)).toBe('tefBAD_AUTH_MASTER');
  });

  it('stand-in checks Sequence and LastLedgerSequence: tefPAST_SEQ, terPRE_SEQ, tefMAX_LEDGER', async () => {
    const alice = await funded();
    const next = standIn.account(alice.address)?.sequence as number;
    const pay = { TransactionType: 'Payment', Destination: standIn.genesis.address, Amount: '1000' };
    expect(await submit(sign(alice, { ...pay, Sequence: next + 1 }).blob)).toBe('terPRE_SEQ');
    expect(await submit(sign(alice, { ...pay, Sequence: next - 1 }).blob)).toBe('tefPAST_SEQ');
    const late = sign(alice, { ...pay, LastLedgerSequence: standIn.openLedgerIndex - 1 });
    expect(await submit(late.blob)).toBe('tefMAX_LEDGER');
    expect(standIn.account(alice.address)?.sequence).toBe(next);
  });

  it('stand-in never validates a dropped transaction, and says so once its last ledger is validated', async () => {
    const alice = await funded();
    standIn.dropSubmissions((tx) => tx.Account === alice.address);
    const last = standIn.openLedgerIndex + 2;
    const { blob, hash } = sign(alice, {
      TransactionType: 'Payment',
      Destination: standIn.genesis.address,
      Amount: '1000',
      LastLedgerSequence: last,
    });
    expect(await submit(blob)).toBe('tesSUCCESS');
    standIn.dropSubmissions(undefined);
    const lookup = () =>
      client
        .request({ command: 'tx', transaction: hash, min_ledger: last - 3, max_ledger: last })
        .catch((err: RippledError) => err.data as Record<string, unknown>);
    expect(await lookup()).toMatchObject({ error: 'txnNotFound', searched_all: false });
    while (standIn.validatedLedgerIndex < last) await standIn.nextClose();
    expect(await lookup()).toMatchObject({ error: 'txnNotFound', searched_all: true });
    expect(await submit(blob)).toBe('tefMAX_LEDGER');
  });

  it('stand-in burns the fee of a tec result and uses its sequence, and nothing else changes', async () => {
    const alice = await funded(30n * XRP);
    const before = standIn.account(alice.address) as { balance: bigint; sequence: number };
    const { balance, sequence } = before;
    // 30 XRP minus the reserves cannot fund a 40 XRP channel.
    const { result } = await openChannel(alice, await funded(), { Amount: (40n * XRP).toString() });
    expect(result).toBe('tecUNFUNDED');
    expect(standIn.account(alice.address)).toMatchObject({
      balance: balance - 10n,
      sequence: sequence + 1,
      ownerCount: 0,
    });
  });

  it('stand-in applies a channel: create, fund, claim by the destination, with reserves and fees', async () => {
    const alice = await funded();
    const bob = await funded(20n * XRP);
    const { id, result } = await openChannel(alice, bob);
    expect(result).toBe('tesSUCCESS');
    expect(standIn.account(alice.address)).toMatchObject({ balance: 90n * XRP - 10n, ownerCount: 1 });
    expect(
      (await apply(alice, { TransactionType: 'PaymentChannelFund', Channel: id, Amount: '5000000' })).result,
    ).toBe('tesSUCCESS');
    expect(standIn.channel(id)).toMatchObject({ amount: 15n * XRP, balance: 0n });

    const signature = claim(alice, id, 4n * XRP);
    const redeem = {
      TransactionType: 'PaymentChannelClaim',
      Channel: id,
      Balance: (4n * XRP).toString(),
      Signature: signature,
      PublicKey: alice.publicKey,
    };
    expect((await apply(bob, redeem)).result).toBe('tesSUCCESS');
    expect(standIn.channel(id)).toMatchObject({ amount: 15n * XRP, balance: 4n * XRP });
    expect(standIn.account(bob.address)?.balance).toBe(24n * XRP - 10n);
    // Balance never decreases: the same claim again pays nothing and costs the fee.
    expect((await apply(bob, redeem)).result).toBe('tecUNFUNDED_PAYMENT');
    expect(standIn.account(bob.address)?.balance).toBe(24n * XRP - 20n);
  });

  it("stand-in refuses a claim whose signature does not match (temBAD_SIGNATURE, no fee) or is not the channel's key", async () => {
    const alice = await funded();
    const bob = await funded(20n * XRP);
    const { id } = await openChannel(alice, bob);
    const bobBefore = standIn.account(bob.address)?.balance;
    const base = {
      TransactionType: 'PaymentChannelClaim',
      Channel: id,
      Balance: '2000000',
      PublicKey: alice.publicKey,
    };
    // Signed for 1 XRP, presented as 2 XRP.
    expect(await submit(sign(bob, { ...base, Signature: claim(alice, id, XRP) }).blob)).toBe(
      'temBAD_SIGNATURE',
    );
    // A valid signature, but by a key other than the channel's.
    const mallory = Wallet.generate();
    const foreign = { ...base, PublicKey: mallory.publicKey, Signature: claim(mallory, id, 2n * XRP) };
    expect((await apply(bob, foreign)).result).toBe('temBAD_SIGNER');
    // The destination cannot claim without any signature.
    expect(
      (await apply(bob, { TransactionType: 'PaymentChannelClaim', Channel: id, Balance: '2000000' })).result,
    ).toBe('temBAD_SIGNATURE');
    expect(standIn.account(bob.address)?.balance).toBe(bobBefore);
    expect(standIn.channel(id)?.balance).toBe(0n);
  });

  it("stand-in closes a channel by the source's tfClose only after SettleDelay, then returns the rest", async () => {
    const alice = await funded();
    const bob = await funded(20n * XRP);
    const { id } = await openChannel(alice, bob);
    // tfRenew is the source's alone.
    expect(
      (await apply(bob, { TransactionType: 'PaymentChannelClaim', Channel: id, Flags: TF_RENEW })).result,
    ).toBe('tecNO_PERMISSION');
    expect(
      (await apply(alice, { TransactionType: 'PaymentChannelClaim', Channel: id, Flags: TF_CLOSE })).result,
    ).toBe('tesSUCCESS');
    const expiration = standIn.channel(id)?.expiration as number;
    const closedAt = Math.floor(standIn.validatedCloseTimeMs / 1000) - 946_684_800;
    expect(expiration - closedAt).toBeGreaterThanOrEqual(59);
    expect(expiration - closedAt).toBeLessThanOrEqual(60);
    // Before the expiration the channel still pays claims.
    const signature = claim(alice, id, 3n * XRP);
    const redeem = {
      TransactionType: 'PaymentChannelClaim',
      Channel: id,
      Balance: '3000000',
      Signature: signature,
      PublicKey: alice.publicKey,
    };
    expect((await apply(bob, redeem)).result).toBe('tesSUCCESS');
    const aliceBefore = standIn.account(alice.address)?.balance as bigint;
    standIn.advanceClock(61);
    await standIn.nextClose();
    // Past the expiration, any transaction touching the channel removes it and returns the rest.
    expect((await apply(alice, { TransactionType: 'PaymentChannelClaim', Channel: id })).result).toBe(
      'tesSUCCESS',
    );
    expect(standIn.channel(id)).toBeUndefined();
    expect(standIn.account(alice.address)).toMatchObject({
      balance: aliceBefore + 7n * XRP - 10n,
      ownerCount: 0,
    });
  });

  it('stand-in closes a channel at once when the destination asks, and ends one at its CancelAfter', async () => {
    const alice = await funded();
    const bob = await funded(20n * XRP);
    const first = await openChannel(alice, bob);
    expect(
      (await apply(bob, { TransactionType: 'PaymentChannelClaim', Channel: first.id, Flags: TF_CLOSE }))
        .result,
    ).toBe('tesSUCCESS');
    expect(standIn.channel(first.id)).toBeUndefined();
    // Alice paid one fee (the create); the rest of the deposit is back with her.
    expect(standIn.account(alice.address)).toMatchObject({ balance: 100n * XRP - 10n, ownerCount: 0 });

    const now = Math.floor(standIn.validatedCloseTimeMs / 1000) - 946_684_800;
    expect((await openChannel(alice, bob, { CancelAfter: now - 1 })).result).toBe('tecEXPIRED');
    const second = await openChannel(alice, bob, { CancelAfter: now + 30 });
    expect(second.result).toBe('tesSUCCESS');
    standIn.advanceClock(31);
    await standIn.nextClose();
    const fund = await apply(alice, {
      TransactionType: 'PaymentChannelFund',
      Channel: second.id,
      Amount: '1000000',
    });
    expect(fund.result).toBe('tesSUCCESS'); // it closed the channel instead of funding it
    expect(standIn.channel(second.id)).toBeUndefined();
    expect(standIn.account(alice.address)?.ownerCount).toBe(0);
  });

  it('stand-in refuses an Expiration earlier than SettleDelay allows (temBAD_EXPIRATION)', async () => {
    const alice = await funded();
    const bob = await funded(20n * XRP);
    const { id } = await openChannel(alice, bob);
    const now = Math.floor(standIn.validatedCloseTimeMs / 1000) - 946_684_800;
    const early = { TransactionType: 'PaymentChannelFund', Channel: id, Amount: '1', Expiration: now + 10 };
    expect(await submit(sign(alice, early).blob)).toBe('temBAD_EXPIRATION');
  });

  it('stand-in publishes closed (validated) ledgers on the ledger stream', async () => {
    const closes: number[] = [];
    const listener = (ledger: { ledger_index: number }) => closes.push(ledger.ledger_index);
    client.on('ledgerClosed', listener);
    const subscribed = await client.request({ command: 'subscribe', streams: ['ledger'] });
    expect(subscribed.result).toMatchObject({ ledger_index: expect.any(Number), fee_base: 10 });
    while (closes.length < 3) await standIn.nextClose();
    await client.request({ command: 'unsubscribe', streams: ['ledger'] });
    client.off('ledgerClosed', listener);
    expect(closes[1]).toBe(closes[0] + 1);
    expect(closes[2]).toBe(closes[1] + 1);
    expect(closes[2]).toBeLessThanOrEqual(standIn.validatedLedgerIndex);
  });

  it('stand-in keeps its state and port across a stop and a restart', async () => {
    const alice = await funded(42n * XRP);
    const port = standIn.port;
    const outageClient = new Client(standIn.url);
    await outageClient.connect();
    try {
      await standIn.stop();
      expect(standIn.isServing).toBe(false);
      await expect(outageClient.request({ command: 'ping' })).rejects.toThrow();
      await standIn.restart();
      expect(standIn.port).toBe(port);
      const fresh = new Client(standIn.url);
      await fresh.connect();
      const info = await fresh.request({
        command: 'account_info',
        account: alice.address,
        ledger_index: 'validated',
      });
      expect(info.result.account_data.Balance).toBe((42n * XRP).toString());
      await fresh.disconnect();
    } finally {
      await outageClient.disconnect();
    }
  });
});
