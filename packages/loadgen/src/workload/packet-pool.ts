import { randomBytes } from 'node:crypto';
import { BtpPacketType, encodeBtpIlpFrame, encodePrepare, findBtpIlpData } from '@ilpd/codec';
import { conditionOf, deriveFulfillment, encodePayload } from './payload';

export interface PacketPoolOptions {
  /** Destinations are generated under this prefix (the receiver's ILP address). */
  readonly receiverAddress: string;
  /** Shared with the receiver, which derives each fulfillment from it. */
  readonly secret: Buffer;
  /** Distinct pre-generated packets, cycled through during the run. */
  readonly size: number;
  readonly amountMin: number;
  readonly amountMax: number;
  /** Fraction (0..1) of packets flagged for the receiver to reject. */
  readonly rejectFraction: number;
  /** Distinct sub-accounts under the receiver's address. */
  readonly accounts: number;
  readonly paddingBytes: number;
  readonly seed: number;
}

/**
 * Pre-generated BTP Message frames, each holding a complete ILP Prepare with a real condition. Only the
 * request id (bytes 1..4) and the 17-byte expiry timestamp are patched in place at send time.
 */
export interface PacketPool {
  readonly frames: readonly Buffer[];
  readonly amounts: Float64Array;
  readonly expectReject: Uint8Array;
  /** Offset of the expiresAt timestamp inside each frame. */
  readonly expiryOffsets: Int32Array;
}

/** ILP timestamp (RFC 27): "YYYYMMDDHHmmssSSS" in UTC, 17 ASCII bytes. */
export function formatIlpTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-22T04:42:00.123Z
  return (
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19) +
    iso.slice(20, 23)
  );
}

/** mulberry32: a small seeded PRNG so a workload can be reproduced from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class PoolOptionError extends Error {
  readonly code = 'ILPD_LOADGEN_BAD_WORKLOAD';
}

function validate(o: PacketPoolOptions): void {
  if (!Number.isInteger(o.size) || o.size < 1)
    throw new PoolOptionError(`--pool-size: expected ≥ 1, got ${o.size}`);
  if (!Number.isSafeInteger(o.amountMin) || o.amountMin < 0) {
    throw new PoolOptionError(`--amount-min: expected a non-negative integer, got ${o.amountMin}`);
  }
  if (!Number.isSafeInteger(o.amountMax) || o.amountMax < o.amountMin) {
    throw new PoolOptionError(
      `--amount-max: expected an integer ≥ --amount-min (${o.amountMin}), got ${o.amountMax}`,
    );
  }
  if (!(o.rejectFraction >= 0 && o.rejectFraction <= 1)) {
    throw new PoolOptionError(`--reject-fraction: expected 0..1, got ${o.rejectFraction}`);
  }
  if (!Number.isInteger(o.accounts) || o.accounts < 1) {
    throw new PoolOptionError(`--accounts: expected ≥ 1, got ${o.accounts}`);
  }
}

export function buildPacketPool(o: PacketPoolOptions): PacketPool {
  validate(o);
  const rand = seededRandom(o.seed);
  const frames: Buffer[] = [];
  const amounts = new Float64Array(o.size);
  const expectReject = new Uint8Array(o.size);
  const expiryOffsets = new Int32Array(o.size);
  // Expiry bytes are patched at send time; the template carries a fixed valid timestamp.
  const templateExpiry = new Date(Date.UTC(2000, 0, 1));
  const span = o.amountMax - o.amountMin + 1;
  for (let i = 0; i < o.size; i++) {
    const nonce = randomBytes(8);
    const reject = rand() < o.rejectFraction;
    const amount = o.amountMin + Math.floor(rand() * span);
    const account = Math.floor(rand() * o.accounts);
    const destination = `${o.receiverAddress}.u${account}.${nonce.toString('hex').slice(0, 12)}`;
    const data = encodePayload(nonce, reject, o.paddingBytes);
    const fulfillment = deriveFulfillment(o.secret, Buffer.from(destination, 'ascii'), data);
    const ilp = encodePrepare({
      amount: BigInt(amount),
      expiresAt: templateExpiry,
      executionCondition: conditionOf(fulfillment),
      destination,
      data,
    });
    const frame = encodeBtpIlpFrame(BtpPacketType.Message, 0, ilp);
    frames.push(frame);
    amounts[i] = amount;
    expectReject[i] = reject ? 1 : 0;
    expiryOffsets[i] = locateExpiry(frame);
  }
  return { frames, amounts, expectReject, expiryOffsets };
}

/** Type (1) + length prefix + amount (8) into the ILP packet inside the frame. */
function locateExpiry(frame: Buffer): number {
  const ilp = findBtpIlpData(frame);
  if (!ilp) throw new PoolOptionError('encoded frame lost its ilp protocol data');
  const ilpStart = ilp.byteOffset - frame.byteOffset;
  const prefix = ilp[1] < 0x80 ? 1 : 1 + (ilp[1] & 0x7f);
  const offset = ilpStart + 1 + prefix + 8;
  if (frame.toString('ascii', offset, offset + 17) !== formatIlpTimestamp(Date.UTC(2000, 0, 1))) {
    throw new PoolOptionError('could not locate the expiry timestamp in an encoded Prepare');
  }
  return offset;
}
