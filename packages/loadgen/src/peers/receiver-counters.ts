const PREPARES = 0;
const FULFILLED = 1;
const REJECTED = 2;
const FULFILLED_AMOUNT = 3;
const VALUE_BYTES = 4 * Float64Array.BYTES_PER_ELEMENT;

/**
 * The receiving peer's tallies in one small buffer, so a receiver on another thread can share them
 * through a SharedArrayBuffer and the main thread reads them synchronously. The writer bumps a sequence
 * word with Atomics after every update and the reader loads it before reading: the atomic pair orders
 * the plain Float64 writes (Atomics has no Float64 operations) before the response that leaves after
 * them, so once the sender has its response the counts include that packet.
 */
export class ReceiverCounters {
  static readonly BYTES = VALUE_BYTES + Int32Array.BYTES_PER_ELEMENT;
  private readonly values: Float64Array;
  private readonly sequence: Int32Array;

  constructor(readonly buffer: ArrayBuffer | SharedArrayBuffer = new ArrayBuffer(ReceiverCounters.BYTES)) {
    if (buffer.byteLength < ReceiverCounters.BYTES) {
      throw new RangeError(
        `receiver counters need ${ReceiverCounters.BYTES} bytes, got ${buffer.byteLength}`,
      );
    }
    this.values = new Float64Array(buffer, 0, 4);
    this.sequence = new Int32Array(buffer, VALUE_BYTES, 1);
  }

  /** A frame that was not an ILP Prepare (answered with F01). */
  countNotPrepare(): void {
    this.values[REJECTED]++;
    Atomics.add(this.sequence, 0, 1);
  }

  countFulfilled(amount: number): void {
    const v = this.values;
    v[PREPARES]++;
    v[FULFILLED]++;
    v[FULFILLED_AMOUNT] += amount;
    Atomics.add(this.sequence, 0, 1);
  }

  countRejected(): void {
    const v = this.values;
    v[PREPARES]++;
    v[REJECTED]++;
    Atomics.add(this.sequence, 0, 1);
  }

  get prepares(): number {
    return this.read(PREPARES);
  }

  get fulfilled(): number {
    return this.read(FULFILLED);
  }

  get rejected(): number {
    return this.read(REJECTED);
  }

  /** Amounts of fulfilled Prepares as they reached the receiver. */
  get fulfilledAmount(): number {
    return this.read(FULFILLED_AMOUNT);
  }

  private read(index: number): number {
    Atomics.load(this.sequence, 0);
    return this.values[index];
  }
}
