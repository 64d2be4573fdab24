import {
  AccountFlags,
  CreateTransferStatus as S,
  TransferFlags,
  type Account,
  type Transfer,
} from 'tigerbeetle-node';
import {
  DEVELOPMENT_REQUEST_SIZE,
  PRODUCTION_REQUEST_SIZE,
  SimulatedTigerBeetle,
  eventsPerRequest,
  resultsPerReply,
} from '../support/simulated-tigerbeetle';

/** The stand-in must show the real cluster's facts, or the suites built on it prove nothing. */

function account(id: bigint, flags = 0): Account {
  return {
    id,
    debits_pending: 0n,
    debits_posted: 0n,
    credits_pending: 0n,
    credits_posted: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    reserved: 0,
    ledger: 7,
    code: 1,
    flags,
    timestamp: 0n,
  };
}

function transfer(id: bigint, fields: Partial<Transfer> = {}): Transfer {
  return {
    id,
    debit_account_id: 1n,
    credit_account_id: 2n,
    amount: 10n,
    pending_id: 0n,
    user_data_128: 0n,
    user_data_64: 0n,
    user_data_32: 0,
    timeout: 0,
    ledger: 7,
    code: 1,
    flags: 0,
    timestamp: 0n,
    ...fields,
  };
}

describe('SimulatedTigerBeetle', () => {
  let cluster: SimulatedTigerBeetle;
  afterEach(() => cluster?.close());

  test('request limits are those of tigerbeetle 0.17: 253 transfers / 2031 ids on --development, 8189 without', () => {
    expect(eventsPerRequest('create_transfers', DEVELOPMENT_REQUEST_SIZE)).toBe(253);
    expect(eventsPerRequest('lookup_transfers', DEVELOPMENT_REQUEST_SIZE)).toBe(2031);
    expect(eventsPerRequest('create_transfers', PRODUCTION_REQUEST_SIZE)).toBe(8189);
    expect(resultsPerReply('lookup_transfers')).toBe(8189);
    expect(resultsPerReply('query_transfers')).toBe(8189);
  });

  test('an oversized request fails with RequestError ERR_TOO_MUCH_DATA and is never applied', async () => {
    cluster = new SimulatedTigerBeetle();
    const client = cluster.client();
    await client.createAccounts([account(1n), account(2n)]);
    const batch = Array.from({ length: 254 }, (_, i) => transfer(BigInt(i + 1)));
    await expect(client.createTransfers(batch)).rejects.toMatchObject({
      name: 'RequestError',
      code: 'ERR_TOO_MUCH_DATA',
      message: 'Too much data was sent or requested in this batch.',
    });
    await expect(
      client.lookupTransfers(Array.from({ length: 2032 }, (_, i) => BigInt(i))),
    ).rejects.toMatchObject({
      code: 'ERR_TOO_MUCH_DATA',
    });
    expect(cluster.allTransfers()).toHaveLength(0);
    expect((await client.createTransfers(batch.slice(0, 253))).every((r) => r.status === S.created)).toBe(
      true,
    );
    client.destroy();
  });

  test('a request the caller stopped waiting for is applied when the cluster is back; destroy() still lets the one sent land', async () => {
    cluster = new SimulatedTigerBeetle();
    const client = cluster.client();
    await client.createAccounts([account(1n), account(2n)]);
    cluster.partition();
    let answered = false;
    const late = client.createTransfers([transfer(10n)]).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    expect(cluster.transfer(10n)).toBeUndefined();
    cluster.heal();
    await late;
    expect(cluster.transfer(10n)).toBeDefined();

    cluster.partition();
    const sent = client.createTransfers([transfer(11n)]);
    const queued = client.createTransfers([transfer(12n)]);
    client.destroy();
    await expect(sent).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await expect(queued).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    cluster.heal();
    await new Promise((r) => setImmediate(r));
    expect(cluster.transfer(11n)).toBeDefined();
    expect(cluster.transfer(12n)).toBeUndefined();
  });

  test('a pending past its timeout cannot be posted even before an expiry pass releases it; passes are bounded', async () => {
    cluster = new SimulatedTigerBeetle({ expiryPassLimit: 1, expiryIntervalMs: 60_000 });
    const client = cluster.client();
    await client.createAccounts([account(1n), account(2n)]);
    const chain = [1n, 2n].map((id) =>
      transfer(id, { flags: TransferFlags.pending | TransferFlags.linked, timeout: 1 }),
    );
    chain[1].flags = TransferFlags.pending;
    await client.createTransfers(chain);
    await new Promise((r) => setTimeout(r, 1050));
    const post = transfer(5n, { pending_id: 1n, flags: TransferFlags.post_pending_transfer, amount: 0n });
    expect((await client.createTransfers([post]))[0].status).toBe(S.pending_transfer_expired);
    expect(cluster.account(1n)?.debits_pending).toBe(20n);
    expect(cluster.runExpiryPass()).toBe(1);
    // The two legs of one chain are released in separate passes.
    expect(cluster.account(1n)?.debits_pending).toBe(10n);
    expect(cluster.runExpiryPass()).toBe(1);
    expect(cluster.account(1n)?.debits_pending).toBe(0n);
    client.destroy();
  });

  test('a replayed chain answers exists for its first event and linked_event_failed for the rest', async () => {
    cluster = new SimulatedTigerBeetle();
    const client = cluster.client();
    await client.createAccounts([account(1n), account(2n)]);
    const chain = () => [transfer(1n, { flags: TransferFlags.linked }), transfer(2n)];
    await client.createTransfers(chain());
    expect((await client.createTransfers(chain())).map((r) => r.status)).toEqual([
      S.exists,
      S.linked_event_failed,
    ]);
    expect((await client.createTransfers([transfer(2n, { amount: 11n })]))[0].status).toBe(
      S.exists_with_different_amount,
    );
    expect(cluster.account(1n)?.debits_posted).toBe(20n);
    client.destroy();
  });

  test('a limit failure names exceeds_credits on its event, and the id then answers id_already_failed', async () => {
    cluster = new SimulatedTigerBeetle();
    const client = cluster.client();
    await client.createAccounts([account(1n, AccountFlags.debits_must_not_exceed_credits), account(2n)]);
    const results = await client.createTransfers([
      transfer(3n, { debit_account_id: 2n, credit_account_id: 1n, amount: 5n, flags: TransferFlags.linked }),
      transfer(4n),
    ]);
    expect(results.map((r) => r.status)).toEqual([S.linked_event_failed, S.exceeds_credits]);
    expect((await client.createTransfers([transfer(4n, { amount: 1n })]))[0].status).toBe(
      S.id_already_failed,
    );
    client.destroy();
  });

  test('query_transfers ANDs its filter fields, in timestamp order or reversed, up to limit', async () => {
    cluster = new SimulatedTigerBeetle({ clockOffsetMs: -3_600_000 });
    const client = cluster.client();
    await client.createAccounts([account(1n), account(2n)]);
    await client.createTransfers([
      transfer(1n),
      transfer(2n, { code: 2 }),
      transfer(3n),
      transfer(4n, { user_data_64: 9n }),
    ]);
    const filter = {
      user_data_128: 0n,
      user_data_64: 0n,
      user_data_32: 0,
      ledger: 7,
      code: 1,
      timestamp_min: 0n,
      timestamp_max: 0n,
      limit: 10,
      flags: 0,
    };
    expect((await client.queryTransfers(filter)).map((t) => t.id)).toEqual([1n, 3n, 4n]);
    expect((await client.queryTransfers({ ...filter, flags: 1, limit: 2 })).map((t) => t.id)).toEqual([
      4n,
      3n,
    ]);
    expect((await client.queryTransfers({ ...filter, user_data_64: 9n })).map((t) => t.id)).toEqual([4n]);
    // The cluster's clock is its own: an hour behind the host here.
    const [first] = await client.lookupTransfers([1n, 99n]);
    expect(Number(first.timestamp / 1_000_000n)).toBeLessThan(Date.now() - 3_500_000);
    client.destroy();
  });
});
