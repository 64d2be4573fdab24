import { Reader, Writer } from 'oer-utils';
import { CodecError, OerReader, OerWriter, isCodecError, lengthPrefixSize } from '@ilpd/codec';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isCodecError(e)).toBe(true);
    return (e as CodecError).code;
  }
  throw new Error('expected a CodecError');
}

describe('OerReader length prefixes', () => {
  it('reads the short form and the canonical long forms', () => {
    expect(new OerReader(Buffer.from([0x05, 1, 2, 3, 4, 5])).readLengthPrefix('x')).toBe(5);
    const long = Buffer.concat([Buffer.from([0x81, 0x80]), Buffer.alloc(0x80)]);
    expect(new OerReader(long).readLengthPrefix('x')).toBe(0x80);
    const two = Buffer.concat([Buffer.from([0x82, 0x01, 0x00]), Buffer.alloc(0x100)]);
    const r = new OerReader(two);
    expect(r.readLengthPrefix('x')).toBe(0x100);
    expect(r.offset).toBe(3);
  });

  it('rejects the indefinite form 0x80', () => {
    expect(codeOf(() => new OerReader(Buffer.from([0x80, 0])).readLengthPrefix('x'))).toBe(
      'ILPD_CODEC_INVALID_LENGTH',
    );
  });

  it('rejects a long form encoding a value below 128', () => {
    expect(codeOf(() => new OerReader(Buffer.from([0x81, 0x05, 1, 2, 3, 4, 5])).readLengthPrefix('x'))).toBe(
      'ILPD_CODEC_INVALID_LENGTH',
    );
  });

  it('rejects a long form with a leading zero byte', () => {
    const buf = Buffer.concat([Buffer.from([0x82, 0x00, 0x80]), Buffer.alloc(0x80)]);
    expect(codeOf(() => new OerReader(buf).readLengthPrefix('x'))).toBe('ILPD_CODEC_INVALID_LENGTH');
  });

  it('rejects a length exceeding the remaining input and names field and offset', () => {
    const r = new OerReader(Buffer.from([0xff, 0x03, 0x01]), 1);
    let err: CodecError | undefined;
    try {
      r.readVarOctetString('thing.data');
    } catch (e) {
      err = e as CodecError;
    }
    expect(err?.code).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(err?.field).toBe('thing.data');
    expect(err?.offset).toBe(1);
    expect(err?.message).toContain('thing.data at offset 1');
  });

  it('fails fast on a 4-byte length prefix claiming 2 GB', () => {
    const buf = Buffer.from([0x84, 0x80, 0x00, 0x00, 0x00, 1, 2, 3]);
    expect(codeOf(() => new OerReader(buf).readVarOctetString('x'))).toBe('ILPD_CODEC_INVALID_LENGTH');
  });

  it('reports a length prefix whose own bytes are missing as truncated', () => {
    expect(codeOf(() => new OerReader(Buffer.from([0x82, 0x01])).readLengthPrefix('x'))).toBe(
      'ILPD_CODEC_TRUNCATED',
    );
    expect(codeOf(() => new OerReader(Buffer.alloc(0)).readLengthPrefix('x'))).toBe('ILPD_CODEC_TRUNCATED');
  });

  it('rejects length-of-length above 4 bytes', () => {
    expect(codeOf(() => new OerReader(Buffer.from([0x85, 1, 0, 0, 0, 0])).readLengthPrefix('x'))).toBe(
      'ILPD_CODEC_INVALID_LENGTH',
    );
  });
});

describe('OerReader fixed-size reads', () => {
  it('reads only inside its window and refuses a window outside the buffer', () => {
    const r = new OerReader(Buffer.from([1, 2, 3, 4]), 1, 3);
    expect(r.readUInt16('a')).toBe(0x0203);
    expect(codeOf(() => r.readUInt8('b'))).toBe('ILPD_CODEC_TRUNCATED');
    expect(codeOf(() => new OerReader(Buffer.alloc(2), 0, 3))).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(codeOf(() => new OerReader(Buffer.alloc(2), 2, 1))).toBe('ILPD_CODEC_INVALID_LENGTH');
  });

  it('reads unsigned integers big-endian', () => {
    const r = new OerReader(Buffer.from('01020304050607080910111213141516ff', 'hex'));
    expect(r.readUInt8('a')).toBe(1);
    expect(r.readUInt16('b')).toBe(0x0203);
    expect(r.readUInt32('c')).toBe(0x04050607);
    expect(r.readUInt64('d')).toBe(0x0809101112131415n);
    expect(r.remaining()).toBe(2);
  });

  it('reports truncation with the field and offset', () => {
    const r = new OerReader(Buffer.from([1, 2, 3]));
    r.readUInt8('a');
    expect(() => r.readUInt32('b')).toThrow('b at offset 1');
  });

  it('returns views, not copies', () => {
    const buf = Buffer.from([3, 7, 8, 9]);
    const view = new OerReader(buf).readVarOctetString('x');
    buf[1] = 42;
    expect(view[0]).toBe(42);
  });

  it('rejects non-IA5 bytes in IA5 strings', () => {
    expect(codeOf(() => new OerReader(Buffer.from([2, 0x61, 0xc3])).readVarIA5String('name'))).toBe(
      'ILPD_CODEC_INVALID_VALUE',
    );
  });

  it('ensureEnd reports trailing bytes', () => {
    const r = new OerReader(Buffer.from([1, 2]));
    r.readUInt8('a');
    expect(codeOf(() => r.ensureEnd('s'))).toBe('ILPD_CODEC_TRAILING_BYTES');
  });

  it('skips var-octet-strings', () => {
    const r = new OerReader(Buffer.from([2, 9, 9, 7]));
    r.skipVarOctetString('x');
    expect(r.readUInt8('y')).toBe(7);
  });
});

describe('var-uint', () => {
  it('rejects a zero-length var-uint and one wider than 64 bits', () => {
    expect(codeOf(() => new OerReader(Buffer.from([0])).readVarUInt('n'))).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(codeOf(() => new OerReader(Buffer.from([9, 1, 0, 0, 0, 0, 0, 0, 0, 0])).readVarUInt('n'))).toBe(
      'ILPD_CODEC_INVALID_VALUE',
    );
  });

  it.each([0n, 1n, 127n, 128n, 255n, 256n, 65535n, 65536n, 2n ** 53n, 2n ** 64n - 1n])(
    'encodes %s exactly like oer-utils and reads it back',
    (v) => {
      const ours = new OerWriter();
      ours.writeVarUInt(v);
      const theirs = new Writer();
      theirs.writeVarUInt(v.toString());
      expect(ours.toBuffer().toString('hex')).toBe(theirs.getBuffer().toString('hex'));
      expect(new OerReader(ours.toBuffer()).readVarUInt('n')).toBe(v);
      expect(Reader.from(ours.toBuffer()).readVarUInt()).toBe(v.toString());
    },
  );
});

describe('OerWriter', () => {
  it('writes canonical length prefixes matching oer-utils', () => {
    for (const n of [0, 1, 127, 128, 255, 256, 65535, 65536, 70000]) {
      const ours = new OerWriter(4);
      ours.writeVarOctetString(Buffer.alloc(n, 1));
      const theirs = new Writer();
      theirs.writeVarOctetString(Buffer.alloc(n, 1));
      expect(ours.toBuffer().equals(theirs.getBuffer())).toBe(true);
      expect(ours.length).toBe(lengthPrefixSize(n) + n);
    }
  });

  it('grows past its initial capacity', () => {
    const w = new OerWriter(1);
    for (let i = 0; i < 100; i++) w.writeUInt32(i);
    expect(w.length).toBe(400);
    expect(w.toBuffer().readUInt32BE(396)).toBe(99);
  });

  it('refuses values that do not fit', () => {
    const w = new OerWriter();
    expect(codeOf(() => w.writeUInt8(256))).toBe('ILPD_CODEC_TOO_LARGE');
    expect(codeOf(() => w.writeUInt16(65536))).toBe('ILPD_CODEC_TOO_LARGE');
    expect(codeOf(() => w.writeUInt64(2n ** 64n))).toBe('ILPD_CODEC_TOO_LARGE');
    expect(codeOf(() => w.writeUInt64(-1n))).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(codeOf(() => w.writeUInt32(1.5))).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(codeOf(() => w.writeOctetString(Buffer.alloc(3), 4))).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(codeOf(() => w.writeVarIA5String('é'))).toBe('ILPD_CODEC_INVALID_VALUE');
  });
});

describe('isCodecError', () => {
  it('recognises codec errors by code after the class was stripped', () => {
    const plain = { ...new CodecError('ILPD_CODEC_TRUNCATED', 'f', 0, 'x'), code: 'ILPD_CODEC_TRUNCATED' };
    expect(isCodecError(plain)).toBe(true);
    expect(isCodecError(new Error('x'))).toBe(false);
    expect(isCodecError(null)).toBe(false);
  });
});
