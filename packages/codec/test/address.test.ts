import fc from 'fast-check';
import { isValidIlpAddress, isValidIlpAddressBytes } from '@ilpd/codec';
import { ilpAddress } from './arbitraries';

describe('ILP address validation', () => {
  it.each(['g.alice', 'test3.a-b_c~d', 'peer.config', 'private.x.y.z', 'local.0'])('accepts %s', (a) => {
    expect(isValidIlpAddress(a)).toBe(true);
    expect(isValidIlpAddressBytes(Buffer.from(a), 0, a.length)).toBe(true);
  });

  it.each(['g', 'g.', '.g.a', 'g..a', 'g.a.', 'test4.a', 'G.a', 'g.a b', 'g.a/b', 'example', ''])(
    'rejects %j',
    (a) => {
      expect(isValidIlpAddress(a)).toBe(false);
      expect(isValidIlpAddressBytes(Buffer.from(a), 0, a.length)).toBe(false);
    },
  );

  it('limits addresses to 1023 characters', () => {
    const max = `g.${'a'.repeat(1021)}`;
    expect(isValidIlpAddressBytes(Buffer.from(max), 0, max.length)).toBe(true);
    expect(isValidIlpAddressBytes(Buffer.from(`${max}a`), 0, max.length + 1)).toBe(false);
    expect(isValidIlpAddress(`${max}a`)).toBe(false);
  });

  it('the byte validator agrees with the string validator', () => {
    const candidate = fc.oneof(
      ilpAddress,
      fc.string({ unit: 'binary-ascii', maxLength: 30 }),
      ilpAddress.chain((a) =>
        fc
          .tuple(fc.nat(a.length), fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 2 }))
          .map(([i, s]) => a.slice(0, i) + s + a.slice(i + 1)),
      ),
    );
    fc.assert(
      fc.property(candidate, (a) => {
        const buf = Buffer.from(`xx${a}yy`, 'latin1');
        expect(isValidIlpAddressBytes(buf, 2, 2 + a.length)).toBe(isValidIlpAddress(a));
      }),
      { numRuns: 5000 },
    );
  });
});
