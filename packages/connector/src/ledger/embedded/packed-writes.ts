import { SETTLEMENT_WRITE, type PacketRecord, type PacketState, type StoreWrite } from './sqlite-store';

/**
 * A batch of packet writes packed for the trip to the writer thread: one fixed-width record per write in
 * an ArrayBuffer that is transferred, not copied or cloned. Record (64 bytes, as 16 u32 words):
 *
 *   0  state (PacketState)          1  flags (FLAG_*)
 *   2  boot, low 32 bits            3  boot, high bits
 *   4  seq, low 32 bits             5  seq, high bits
 *   6  incoming peer account id     7  incoming liquidity account id
 *   8  outgoing liquidity id        9  outgoing peer account id
 *   10-11  incoming amount (u64)    12-13  outgoing amount (u64)
 *   14 side-table index of the incoming amount   15 ... of the outgoing amount
 *
 * boot and seq are the two halves of the packet id (safe integers). Amounts are u64 in ILP, so they fit
 * in their words; an amount that does not (the store keeps exact decimals) travels as a decimal string
 * in the side table instead, marked by its flag.
 *
 * A settlement is a record of the same width with word 0 = SETTLEMENT_WRITE:
 *
 *   1  flags (FLAG_BIG_IN: amount in the side table; FLAG_RECEIVED: a received claim, else paid)
 *   6  peer account id              7  settlement account id
 *   10-11  amount (u64)             14 side-table index of the amount
 *   15 index of the claim in `claims` (its strings and cumulative amount, structured-cloned)
 */
export interface PackedWrites {
  readonly buffer: ArrayBuffer;
  readonly count: number;
  /** Decimal amounts that do not fit in 64 bits; undefined when there are none (the usual case). */
  readonly bigAmounts: string[] | undefined;
  /** The claims of the batch's settlement records; undefined when there are none. */
  readonly claims: PackedClaim[] | undefined;
}

/** A claim's fields for the trip (the direction travels in the record's flags). */
export interface PackedClaim {
  readonly peerId: string;
  readonly chain: string;
  readonly channelId: string;
  /** Decimal: a chain's cumulative amount may exceed 64 bits (wei). */
  readonly cumulative: string;
  readonly signature: string;
}

/** Even, so the u64 amount words sit on 8-byte boundaries for the BigUint64Array view. */
const WORDS = 16;
export const RECORD_BYTES = WORDS * 4;
const FLAG_PENDING_ROW_COMMITTED = 1;
const FLAG_BIG_IN = 2;
const FLAG_BIG_OUT = 4;
const FLAG_RECEIVED = 8;
const U64_MAX = 2n ** 64n - 1n;
const U32 = 2 ** 32;

export function packWrites(writes: readonly StoreWrite[]): PackedWrites {
  const buffer = new ArrayBuffer(writes.length * RECORD_BYTES);
  const words = new Uint32Array(buffer);
  const amounts = new BigUint64Array(buffer);
  let bigAmounts: string[] | undefined;
  let claims: PackedClaim[] | undefined;
  for (let i = 0; i < writes.length; i++) {
    const write = writes[i];
    const w = i * WORDS;
    if (write.state === SETTLEMENT_WRITE) {
      const { peerAccountId, settlementAccountId, amount, claim } = write.settlement;
      let flags = claim.direction === 'received' ? FLAG_RECEIVED : 0;
      words[w] = SETTLEMENT_WRITE;
      words[w + 6] = accountId(peerAccountId);
      words[w + 7] = accountId(settlementAccountId);
      if (amount <= U64_MAX) {
        amounts[w / 2 + 5] = amount;
      } else {
        flags |= FLAG_BIG_IN;
        words[w + 14] = (bigAmounts ??= []).push(amount.toString()) - 1;
      }
      words[w + 15] =
        (claims ??= []).push({
          peerId: claim.peerId,
          chain: claim.chain,
          channelId: claim.channelId,
          cumulative: claim.cumulative.toString(),
          signature: claim.signature,
        }) - 1;
      words[w + 1] = flags;
      continue;
    }
    const { state, packet: p } = write;
    let flags = p.pendingRowCommitted === true ? FLAG_PENDING_ROW_COMMITTED : 0;
    words[w] = state;
    setSafeInteger(words, w + 2, p.boot);
    setSafeInteger(words, w + 4, p.seq);
    words[w + 6] = accountId(p.inAccountId);
    words[w + 7] = accountId(p.inLiquidityId);
    words[w + 8] = accountId(p.outLiquidityId);
    words[w + 9] = accountId(p.outAccountId);
    if (p.inAmount <= U64_MAX) {
      amounts[w / 2 + 5] = p.inAmount;
    } else {
      flags |= FLAG_BIG_IN;
      words[w + 14] = (bigAmounts ??= []).push(p.inAmount.toString()) - 1;
    }
    if (p.outAmount <= U64_MAX) {
      amounts[w / 2 + 6] = p.outAmount;
    } else {
      flags |= FLAG_BIG_OUT;
      words[w + 15] = (bigAmounts ??= []).push(p.outAmount.toString()) - 1;
    }
    words[w + 1] = flags;
  }
  return { buffer, count: writes.length, bigAmounts, claims };
}

export function unpackWrites(packed: PackedWrites): StoreWrite[] {
  const words = new Uint32Array(packed.buffer, 0, packed.count * WORDS);
  const amounts = new BigUint64Array(packed.buffer, 0, (packed.count * WORDS) / 2);
  const big = packed.bigAmounts ?? [];
  const writes: StoreWrite[] = new Array(packed.count);
  for (let i = 0; i < packed.count; i++) {
    const w = i * WORDS;
    const flags = words[w + 1];
    if (words[w] === SETTLEMENT_WRITE) {
      const c = (packed.claims ?? [])[words[w + 15]];
      writes[i] = {
        state: SETTLEMENT_WRITE,
        settlement: {
          peerAccountId: words[w + 6],
          settlementAccountId: words[w + 7],
          amount: (flags & FLAG_BIG_IN) !== 0 ? BigInt(big[words[w + 14]]) : amounts[w / 2 + 5],
          claim: {
            peerId: c.peerId,
            direction: (flags & FLAG_RECEIVED) !== 0 ? 'received' : 'paid',
            chain: c.chain,
            channelId: c.channelId,
            cumulative: BigInt(c.cumulative),
            signature: c.signature,
          },
        },
      };
      continue;
    }
    const packet: PacketRecord = {
      boot: words[w + 2] + words[w + 3] * U32,
      seq: words[w + 4] + words[w + 5] * U32,
      inAccountId: words[w + 6],
      inLiquidityId: words[w + 7],
      outLiquidityId: words[w + 8],
      outAccountId: words[w + 9],
      inAmount: (flags & FLAG_BIG_IN) !== 0 ? BigInt(big[words[w + 14]]) : amounts[w / 2 + 5],
      outAmount: (flags & FLAG_BIG_OUT) !== 0 ? BigInt(big[words[w + 15]]) : amounts[w / 2 + 6],
      pendingRowCommitted: (flags & FLAG_PENDING_ROW_COMMITTED) !== 0,
    };
    writes[i] = { state: words[w] as PacketState, packet };
  }
  return writes;
}

function setSafeInteger(words: Uint32Array, at: number, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`packet id part ${value} out of range`);
  words[at] = value % U32;
  words[at + 1] = Math.floor(value / U32);
}

function accountId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= U32)
    throw new RangeError(`ledger account id ${id} out of range`);
  return id;
}
