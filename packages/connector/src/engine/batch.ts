import { PrepareView } from '@ilpd/codec';

/**
 * Wire format of one micro-batch between the engine and a worker: a single ArrayBuffer, transferred
 * (never copied, never serialised) to the worker and back.
 *
 *   u32 count | u32 start[count] | u32 end-of-data | padding to 8 | f64 verdict[count][VERDICT_SLOTS] | packet bytes
 *
 * `start[i]`..`start[i + 1]` are the absolute byte offsets of packet i. The worker fills packet i's
 * verdict slots; every other byte is read-only for it.
 */

/** Verdict slots per packet: status, then the fields a PrepareView is built from. */
const VERDICT_SLOTS = 6;
/** Status slot values. 0 (the fill value) means the worker never got to the packet. */
export const VERDICT_VALID = 1;
export const VERDICT_INVALID = 2;

const STATUS = 0;
const CONTENT_OFFSET = 1;
const EXPIRES_AT_MS = 2;
const DESTINATION_OFFSET = 3;
const DESTINATION_END = 4;
const DATA_OFFSET = 5;

/** Why a packet failed decode/validate in a worker; errors lose their class across the boundary. */
export interface PacketFault {
  readonly index: number;
  /** The thrown error's stable code (DaemonError code), or undefined when it had none. */
  readonly code: string | undefined;
  readonly message: string;
  /** The code of its cause (the codec's, e.g. ILPD_CODEC_TRUNCATED), when it had one. */
  readonly causeCode: string | undefined;
}

/** What a worker sends back: the batch's buffer (verdicts filled in) and the faults of invalid packets. */
export interface BatchVerdicts {
  readonly buffer: ArrayBuffer;
  readonly faults: readonly PacketFault[];
}

function verdictsOffset(count: number): number {
  return (4 * (count + 2) + 7) & ~7;
}

export function packBatch(packets: readonly Buffer[]): ArrayBuffer {
  const count = packets.length;
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += packets[i].length;
  let pos = verdictsOffset(count) + count * VERDICT_SLOTS * 8;
  const buffer = new ArrayBuffer(pos + bytes);
  const table = new Uint32Array(buffer, 0, count + 2);
  const data = new Uint8Array(buffer);
  table[0] = count;
  for (let i = 0; i < count; i++) {
    const packet = packets[i];
    table[i + 1] = pos;
    data.set(packet, pos);
    pos += packet.length;
  }
  table[count + 1] = pos;
  return buffer;
}

/** The worker's side: the packets of a packed batch as zero-copy Buffers, and its verdict slots. */
export class PackedBatch {
  readonly count: number;
  readonly verdicts: Float64Array;
  private readonly table: Uint32Array;

  constructor(readonly buffer: ArrayBuffer) {
    const count = new Uint32Array(buffer, 0, 1)[0];
    this.count = count;
    this.table = new Uint32Array(buffer, 0, count + 2);
    this.verdicts = new Float64Array(buffer, verdictsOffset(count), count * VERDICT_SLOTS);
  }

  packet(index: number): Buffer {
    const start = this.table[index + 1];
    return Buffer.from(this.buffer, start, this.table[index + 2] - start);
  }

  markValid(index: number, view: PrepareView): void {
    const slot = index * VERDICT_SLOTS;
    const v = this.verdicts;
    v[slot + STATUS] = VERDICT_VALID;
    v[slot + CONTENT_OFFSET] = view.contentOffset;
    v[slot + EXPIRES_AT_MS] = view.expiresAtMs;
    v[slot + DESTINATION_OFFSET] = view.destinationOffset;
    v[slot + DESTINATION_END] = view.destinationEnd;
    v[slot + DATA_OFFSET] = view.dataOffset;
  }

  markInvalid(index: number): void {
    this.verdicts[index * VERDICT_SLOTS + STATUS] = VERDICT_INVALID;
  }
}

/** The main thread's side: reads the verdicts a worker wrote for a batch of `count` packets. */
export class VerdictReader {
  private readonly verdicts: Float64Array;

  constructor(buffer: ArrayBuffer, count: number) {
    this.verdicts = new Float64Array(buffer, verdictsOffset(count), count * VERDICT_SLOTS);
  }

  status(index: number): number {
    return this.verdicts[index * VERDICT_SLOTS + STATUS];
  }

  /**
   * The view of a packet the worker found valid, over the main thread's own copy of its bytes: the
   * offsets came from `decodePrepare` of identical bytes, which is the invariant PrepareView requires,
   * so nothing is decoded twice.
   */
  view(index: number, packet: Buffer): PrepareView {
    const slot = index * VERDICT_SLOTS;
    const v = this.verdicts;
    return new PrepareView(
      packet,
      v[slot + CONTENT_OFFSET],
      v[slot + EXPIRES_AT_MS],
      v[slot + DESTINATION_OFFSET],
      v[slot + DESTINATION_END],
      v[slot + DATA_OFFSET],
    );
  }
}
