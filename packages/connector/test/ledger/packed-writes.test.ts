import { packWrites, RECORD_BYTES, unpackWrites } from '../../src/ledger/embedded/packed-writes';
import {
  PacketState,
  SETTLEMENT_WRITE,
  type PacketWrite,
  type SettlementWrite,
} from '../../src/ledger/embedded/sqlite-store';

function settlement(direction: 'paid' | 'received', amount: bigint, cumulative: bigint): SettlementWrite {
  return {
    state: SETTLEMENT_WRITE,
    settlement: {
      peerAccountId: 9,
      settlementAccountId: 5,
      amount,
      claim: {
        peerId: 'carol',
        direction,
        chain: 'xrpl',
        channelId: 'AB12',
        cumulative,
        signature: '0xfeed',
      },
    },
  };
}

function write(state: PacketState, seq: number, inAmount: bigint, outAmount: bigint): PacketWrite {
  return {
    state,
    packet: {
      boot: 7,
      seq,
      inAccountId: 2,
      inLiquidityId: 1,
      inAmount,
      outAccountId: 4,
      outLiquidityId: 3,
      outAmount,
      pendingRowCommitted: state !== PacketState.Pending,
    },
  };
}

describe('packed writes', () => {
  test('round-trips every field through one fixed-width record per write', () => {
    const writes = [
      write(PacketState.Pending, 1, 10n, 9n),
      write(PacketState.Posted, 2 ** 53 - 1, 2n ** 64n - 1n, 0n),
      write(PacketState.Voided, 2 ** 32, 1n, 2n ** 63n),
    ];
    const packed = packWrites(writes);
    expect(packed.buffer.byteLength).toBe(3 * RECORD_BYTES);
    expect(packed.bigAmounts).toBeUndefined();
    expect(unpackWrites(packed)).toEqual(writes);
  });

  test('carries amounts beyond 64 bits exactly, as decimals in the side table', () => {
    const huge = 2n ** 64n;
    const writes = [
      write(PacketState.Posted, 1, huge, 5n),
      write(PacketState.Posted, 2, 3n, huge * 10n + 1n),
    ];
    const packed = packWrites(writes);
    expect(packed.bigAmounts).toEqual([huge.toString(), (huge * 10n + 1n).toString()]);
    expect(unpackWrites(packed)).toEqual(writes);
  });

  test('carries settlements beside packets: direction in the flags, the claim in its side table', () => {
    const writes = [
      write(PacketState.Posted, 1, 10n, 9n),
      settlement('paid', 0n, 2n ** 200n),
      settlement('received', 2n ** 64n, 7n),
      write(PacketState.Voided, 2, 1n, 1n),
    ];
    const packed = packWrites(writes);
    expect(packed.buffer.byteLength).toBe(4 * RECORD_BYTES);
    expect(packed.claims).toHaveLength(2);
    expect(packed.bigAmounts).toEqual([(2n ** 64n).toString()]);
    expect(unpackWrites(packed)).toEqual(writes);
  });

  test('survives the transfer to another thread', async () => {
    const { MessageChannel } = await import('node:worker_threads');
    const writes = [write(PacketState.Posted, 42, 1000n, 999n)];
    const packed = packWrites(writes);
    const { port1, port2 } = new MessageChannel();
    const received = new Promise<typeof packed>((resolve) => port2.once('message', resolve));
    port1.postMessage(packed, [packed.buffer]);
    expect(packed.buffer.byteLength).toBe(0);
    expect(unpackWrites(await received)).toEqual(writes);
    port1.close();
  });

  test('refuses ids it cannot carry', () => {
    expect(() => packWrites([write(PacketState.Posted, 2 ** 53, 1n, 1n)])).toThrow(RangeError);
    const badAccount = write(PacketState.Posted, 1, 1n, 1n);
    expect(() =>
      packWrites([{ ...badAccount, packet: { ...badAccount.packet, inAccountId: 2 ** 32 } }]),
    ).toThrow(/account id/);
  });
});
