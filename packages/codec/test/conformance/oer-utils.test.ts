import fc from 'fast-check';
import { Reader, Writer } from 'oer-utils';
import { OerReader, OerWriter } from '@ilpd/codec';
import { bytes, uint64 } from '../arbitraries';

/** Differential tests of the OER primitives against oer-utils. */
const RUNS = 3000;

describe('OER primitives vs oer-utils', () => {
  it('var-octet-strings of any length: identical bytes, both read each other', () => {
    const lengths = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70000 }));
    fc.assert(
      fc.property(lengths, fc.integer({ min: 0, max: 255 }), (n, fill) => {
        const value = Buffer.alloc(n, fill);
        const ours = new OerWriter(8);
        ours.writeVarOctetString(value);
        const theirs = new Writer();
        theirs.writeVarOctetString(value);
        expect(ours.toBuffer().equals(theirs.getBuffer())).toBe(true);
        expect(new OerReader(theirs.getBuffer()).readVarOctetString('x').equals(value)).toBe(true);
        expect(Reader.from(ours.toBuffer()).readVarOctetString().equals(value)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('var-uints: identical bytes, both read each other', () => {
    fc.assert(
      fc.property(uint64, (v) => {
        const ours = new OerWriter(4);
        ours.writeVarUInt(v);
        const theirs = new Writer();
        theirs.writeVarUInt(v.toString());
        expect(ours.toBuffer().equals(theirs.getBuffer())).toBe(true);
        expect(new OerReader(theirs.getBuffer()).readVarUInt('x')).toBe(v);
        expect(Reader.from(ours.toBuffer()).readVarUInt()).toBe(v.toString());
      }),
      { numRuns: RUNS },
    );
  });

  it('fixed-width integers: identical bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        uint64,
        (a, b, c, d) => {
          const ours = new OerWriter(4);
          ours.writeUInt8(a);
          ours.writeUInt16(b);
          ours.writeUInt32(c);
          ours.writeUInt64(d);
          const theirs = new Writer();
          theirs.writeUInt8(a);
          theirs.writeUInt16(b);
          theirs.writeUInt32(c);
          theirs.writeUInt64(d.toString());
          expect(ours.toBuffer().equals(theirs.getBuffer())).toBe(true);
          const r = new OerReader(ours.toBuffer());
          expect([r.readUInt8('a'), r.readUInt16('b'), r.readUInt32('c'), r.readUInt64('d')]).toEqual([
            a,
            b,
            c,
            d,
          ]);
          r.ensureEnd('end');
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('accepts exactly the length prefixes oer-utils accepts as canonical', () => {
    fc.assert(
      fc.property(bytes(6, 1), (prefix) => {
        const input = Buffer.concat([prefix, Buffer.alloc(300)]);
        let theirs: number | undefined;
        try {
          theirs = Reader.from(input).readLengthPrefix();
        } catch {
          theirs = undefined;
        }
        let ours: number | undefined;
        try {
          ours = new OerReader(input).readLengthPrefix('x');
        } catch {
          ours = undefined;
        }
        // oer-utils does not check the length against the input; we do (ours ⊆ theirs).
        if (ours !== undefined) expect(ours).toBe(theirs);
        if (theirs !== undefined && theirs <= input.length - prefix.length && theirs < 2 ** 32) {
          const size = prefix[0] < 0x80 ? 1 : 1 + (prefix[0] & 0x7f);
          if (theirs <= input.length - size) expect(ours).toBe(theirs);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
