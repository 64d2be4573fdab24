import fc from 'fast-check';

/** Byte values that sit on OER boundaries: short/long length forms, 4-byte length claims, IA5 limits. */
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x88, 0xff];

type Mutation = (buf: Buffer) => Buffer;

const at = (buf: Buffer, ratio: number): number => Math.floor(ratio * (buf.length + 1));

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // flip one bit
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 7 }))
    .map(([r, bit]): Mutation => (buf) => {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      const i = Math.min(out.length - 1, at(out, r));
      out[i] ^= 1 << bit;
      return out;
    }),
  // truncate
  fc.double({ min: 0, max: 1, noNaN: true }).map(
    (r): Mutation =>
      (buf) =>
        buf.subarray(0, at(buf, r)),
  ),
  // insert random bytes
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([r, bytes]): Mutation => (buf) => {
      const i = at(buf, r);
      return Buffer.concat([buf.subarray(0, i), Buffer.from(bytes), buf.subarray(i)]);
    }),
  // delete a range
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 16 }))
    .map(([r, n]): Mutation => (buf) => {
      const i = at(buf, r);
      return Buffer.concat([buf.subarray(0, i), buf.subarray(i + n)]);
    }),
  // overwrite one byte with a boundary value (length-prefix tampering)
  fc
    .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...INTERESTING))
    .map(([r, v]): Mutation => (buf) => {
      if (buf.length === 0) return buf;
      const out = Buffer.from(buf);
      out[Math.min(out.length - 1, at(out, r))] = v;
      return out;
    }),
  // write a long-form length claim (up to 4 GB) over the bytes at a position
  fc
    .tuple(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 0xffffffff }),
    )
    .map(([r, n, claim]): Mutation => (buf) => {
      const prefix = Buffer.alloc(1 + n);
      prefix[0] = 0x80 | n;
      prefix.writeUIntBE(claim % 2 ** (8 * n), 1, n);
      const i = at(buf, r);
      return Buffer.concat([buf.subarray(0, i), prefix, buf.subarray(i + 1 + n)]);
    }),
);

/** A valid corpus entry with one to four stacked mutations. */
export function corpusMutation(corpus: Buffer[]): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 4 }))
    .map(([buf, ms]) => ms.reduce((b, m) => m(b), buf));
}
