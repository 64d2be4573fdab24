import {
  IlpPacketType,
  IlpPrepare,
  decodeFulfill,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  forwardPrepare,
  MAX_ILP_DATA_BYTES,
  MAX_PREPARE_BYTES,
  peekIlpPacketType,
} from '@ilpd/codec';
import { caught } from './support/caught';

function samplePrepare(overrides: Partial<IlpPrepare> = {}): IlpPrepare {
  return {
    amount: 107n,
    expiresAt: new Date('2017-12-23T01:21:40.549Z'),
    executionCondition: Buffer.alloc(32, 7),
    destination: 'example.alice',
    data: Buffer.from('hello'),
    ...overrides,
  };
}

/** Rewrites the 17 timestamp characters of an encoded Prepare (contents start at offset 2 here). */
function withTimestamp(ts: string): Buffer {
  const buf = encodePrepare(samplePrepare());
  buf.write(ts, 2 + 8, 'latin1');
  return buf;
}

describe('Prepare', () => {
  it('decodes every field lazily from the original bytes', () => {
    const buf = encodePrepare(samplePrepare());
    const view = decodePrepare(buf);
    expect(view.amount).toBe(107n);
    expect(view.expiresAt.toISOString()).toBe('2017-12-23T01:21:40.549Z');
    expect(view.expiresAtMs).toBe(Date.parse('2017-12-23T01:21:40.549Z'));
    expect(view.executionCondition.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(view.destination).toBe('example.alice');
    expect(view.destinationBytes.toString()).toBe('example.alice');
    expect(view.data.toString()).toBe('hello');
    expect(view.buffer).toBe(buf);
  });

  it('exposes condition and data as views over the input', () => {
    const buf = encodePrepare(samplePrepare());
    const view = decodePrepare(buf);
    expect(view.data.buffer).toBe(buf.buffer);
    expect(view.executionCondition.buffer).toBe(buf.buffer);
    buf[buf.length - 1] = 0x21;
    expect(view.data.toString()).toBe('hell!');
  });

  it('round-trips through encodePrepare', () => {
    const buf = encodePrepare(samplePrepare({ amount: 2n ** 64n - 1n, data: Buffer.alloc(300, 1) }));
    expect(encodePrepare(decodePrepare(buf)).equals(buf)).toBe(true);
  });

  it('rejects an unknown type byte and an empty buffer', () => {
    const buf = encodePrepare(samplePrepare());
    buf[0] = 13;
    expect(caught(() => decodePrepare(buf)).code).toBe('ILPD_CODEC_UNKNOWN_TYPE');
    expect(caught(() => decodePrepare(Buffer.alloc(0))).code).toBe('ILPD_CODEC_TRUNCATED');
  });

  it('rejects bytes after the envelope', () => {
    const buf = Buffer.concat([encodePrepare(samplePrepare()), Buffer.from([0])]);
    expect(caught(() => decodePrepare(buf)).code).toBe('ILPD_CODEC_TRAILING_BYTES');
  });

  it('rejects a truncated packet via the envelope length', () => {
    const buf = encodePrepare(samplePrepare());
    const err = caught(() => decodePrepare(buf.subarray(0, buf.length - 1)));
    expect(err.code).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(err.field).toBe('prepare.envelope');
  });

  it('names the field and offset of a destination cut short inside a consistent envelope', () => {
    const inner = encodePrepare(samplePrepare({ data: Buffer.alloc(0) }));
    // Drop the data field (1 byte) and the last destination byte, then fix the envelope length.
    const contents = inner.subarray(2, inner.length - 2);
    const buf = Buffer.concat([Buffer.from([12, contents.length]), contents]);
    const err = caught(() => decodePrepare(buf));
    expect(err.code).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(err.field).toBe('prepare.destination');
    expect(err.offset).toBe(2 + 57);
  });

  it('reports missing fixed-size fields as truncated', () => {
    const buf = Buffer.from([12, 10, 0, 0, 0, 0, 0, 0, 0, 1, 0x32, 0x30]);
    const err = caught(() => decodePrepare(buf));
    expect(err.code).toBe('ILPD_CODEC_TRUNCATED');
    expect(err.field).toBe('prepare.expiresAt');
    expect(err.offset).toBe(10);
  });

  it.each([
    ['20171323012140549', 'month'],
    ['20170230012140549', 'day'],
    ['20190229012140549', 'day'],
    ['20171223242140549', 'hour'],
    ['20171223016040549', 'minute'],
    ['20171223012160549', 'second'],
    ['2017122301214054x', 'digits'],
    ['2017-12-23T01:21:', 'digits'],
  ])('rejects the invalid timestamp %s (%s)', (ts, what) => {
    const err = caught(() => decodePrepare(withTimestamp(ts)));
    expect(err.code).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(err.field).toBe('prepare.expiresAt');
    expect(err.message).toContain(what);
  });

  it('accepts leap days and the ends of the 4-digit year range', () => {
    expect(decodePrepare(withTimestamp('20200229235959999')).expiresAt.toISOString()).toBe(
      '2020-02-29T23:59:59.999Z',
    );
    expect(decodePrepare(withTimestamp('00000101000000000')).expiresAtMs).toBe(
      Date.parse('0000-01-01T00:00:00.000Z'),
    );
    expect(decodePrepare(withTimestamp('99991231235959999')).expiresAtMs).toBe(253402300799999);
  });

  it('zero-pads years below 1000 when encoding', () => {
    const d = new Date('0999-03-04T05:06:07.008Z');
    const buf = encodePrepare(samplePrepare({ expiresAt: d }));
    expect(buf.toString('latin1', 10, 27)).toBe('09990304050607008');
    expect(decodePrepare(buf).expiresAt.getTime()).toBe(d.getTime());
  });

  it('rejects destinations that are not ILP addresses', () => {
    for (const bad of ['example', 'foo.bar', 'g..x', 'g.a b', 'g.', 'g.é']) {
      const buf = encodePrepare(samplePrepare({ destination: 'g.placeholder' }));
      const raw = Buffer.from(bad, 'utf8');
      const contents = Buffer.concat([
        buf.subarray(2, 2 + 57),
        Buffer.from([raw.length]),
        raw,
        Buffer.from([0]),
      ]);
      const forged = Buffer.concat([Buffer.from([12, contents.length]), contents]);
      const err = caught(() => decodePrepare(forged));
      expect(err.code).toBe('ILPD_CODEC_INVALID_VALUE');
      expect(err.field).toBe('prepare.destination');
    }
  });

  it('validates encoder input with codec errors', () => {
    expect(caught(() => encodePrepare(samplePrepare({ amount: 2n ** 64n }))).code).toBe(
      'ILPD_CODEC_TOO_LARGE',
    );
    expect(caught(() => encodePrepare(samplePrepare({ amount: -1n }))).code).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(caught(() => encodePrepare(samplePrepare({ executionCondition: Buffer.alloc(31) }))).field).toBe(
      'prepare.executionCondition',
    );
    expect(caught(() => encodePrepare(samplePrepare({ destination: 'nope' }))).field).toBe(
      'prepare.destination',
    );
    expect(caught(() => encodePrepare(samplePrepare({ expiresAt: new Date(NaN) }))).field).toBe(
      'prepare.expiresAt',
    );
    expect(
      caught(() => encodePrepare(samplePrepare({ expiresAt: new Date(Date.UTC(10000, 0, 1)) }))).code,
    ).toBe('ILPD_CODEC_TOO_LARGE');
  });
});

describe('the data bound of RFC 27 (32,767 bytes)', () => {
  /**
   * A packet as a peer could forge it: a valid encoding whose data (300 bytes, so it and the envelope
   * both have 3-byte length prefixes) is swapped for `newLength` bytes.
   */
  function withDataOf(encoded: Buffer, oldLength: number, newLength: number): Buffer {
    const head = encoded.subarray(0, encoded.length - oldLength - 3);
    const data = Buffer.alloc(newLength, 1);
    const prefix = Buffer.from([0x82, newLength >> 8, newLength & 0xff]);
    const contents = Buffer.concat([head.subarray(4), prefix, data]);
    const envelope = Buffer.from([head[0], 0x82, contents.length >> 8, contents.length & 0xff]);
    return Buffer.concat([envelope, contents]);
  }

  it('accepts exactly MAX_ILP_DATA_BYTES in every packet type, and the largest Prepare is MAX_PREPARE_BYTES', () => {
    const data = Buffer.alloc(MAX_ILP_DATA_BYTES, 3);
    const destination = `g.${'a'.repeat(1021)}`;
    const largest = encodePrepare(samplePrepare({ destination, data }));
    expect(largest.length).toBe(MAX_PREPARE_BYTES);
    expect(decodePrepare(largest).data.length).toBe(MAX_ILP_DATA_BYTES);
    expect(decodeFulfill(encodeFulfill({ fulfillment: Buffer.alloc(32), data })).data.length).toBe(
      MAX_ILP_DATA_BYTES,
    );
    const reject = encodeReject({ code: 'F99', triggeredBy: '', message: '', data });
    expect(decodeReject(reject).data.length).toBe(MAX_ILP_DATA_BYTES);
  });

  it('refuses one byte more when decoding, naming the field (ILPD_CODEC_TOO_LARGE)', () => {
    const small = Buffer.alloc(300, 1);
    const prepare = withDataOf(encodePrepare(samplePrepare({ data: small })), 300, MAX_ILP_DATA_BYTES + 1);
    expect(caught(() => decodePrepare(prepare))).toMatchObject({
      code: 'ILPD_CODEC_TOO_LARGE',
      field: 'prepare.data',
    });
    const fulfill = withDataOf(encodeFulfill({ fulfillment: Buffer.alloc(32), data: small }), 300, 40_000);
    expect(caught(() => decodeFulfill(fulfill))).toMatchObject({ field: 'fulfill.data' });
    const reject = withDataOf(
      encodeReject({ code: 'T00', triggeredBy: '', message: '', data: small }),
      300,
      MAX_ILP_DATA_BYTES + 1,
    );
    expect(caught(() => decodeReject(reject))).toMatchObject({ field: 'reject.data' });
  });

  it('refuses to encode more', () => {
    const data = Buffer.alloc(MAX_ILP_DATA_BYTES + 1);
    expect(caught(() => encodePrepare(samplePrepare({ data })))).toMatchObject({
      code: 'ILPD_CODEC_TOO_LARGE',
      field: 'prepare.data',
    });
    expect(caught(() => encodeFulfill({ fulfillment: Buffer.alloc(32), data })).field).toBe('fulfill.data');
    expect(caught(() => encodeReject({ code: 'T00', triggeredBy: '', message: '', data })).field).toBe(
      'reject.data',
    );
  });
});

describe('forwardPrepare', () => {
  it('rewrites only amount and expiry, copying the rest', () => {
    const original = encodePrepare(samplePrepare({ data: Buffer.alloc(500, 9) }));
    const view = decodePrepare(original);
    const newExpiry = Date.parse('2030-01-02T03:04:05.678Z');
    const out = forwardPrepare(view, 99n, newExpiry);
    expect(out).not.toBe(original);
    expect(
      out.equals(
        encodePrepare(
          samplePrepare({ amount: 99n, expiresAt: new Date(newExpiry), data: Buffer.alloc(500, 9) }),
        ),
      ),
    ).toBe(true);
    const again = decodePrepare(out);
    expect(again.amount).toBe(99n);
    expect(again.expiresAtMs).toBe(newExpiry);
    expect(again.destination).toBe('example.alice');
  });

  it('leaves the original buffer untouched', () => {
    const original = encodePrepare(samplePrepare());
    const copy = Buffer.from(original);
    forwardPrepare(decodePrepare(original), 1n, Date.now());
    expect(original.equals(copy)).toBe(true);
  });

  it('refuses amounts and expiries that do not fit', () => {
    const view = decodePrepare(encodePrepare(samplePrepare()));
    expect(caught(() => forwardPrepare(view, 2n ** 64n, Date.now())).code).toBe('ILPD_CODEC_TOO_LARGE');
    expect(caught(() => forwardPrepare(view, 1n, 1.5)).code).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(caught(() => forwardPrepare(view, 1n, 253402300800000)).code).toBe('ILPD_CODEC_TOO_LARGE');
  });
});

describe('Fulfill', () => {
  it('round-trips and exposes views', () => {
    const buf = encodeFulfill({ fulfillment: Buffer.alloc(32, 3), data: Buffer.from('ok') });
    const view = decodeFulfill(buf);
    expect(view.fulfillment.equals(Buffer.alloc(32, 3))).toBe(true);
    expect(view.data.toString()).toBe('ok');
    expect(view.fulfillment.buffer).toBe(buf.buffer);
    expect(encodeFulfill(view).equals(buf)).toBe(true);
  });

  it('rejects a short fulfillment', () => {
    const err = caught(() => decodeFulfill(Buffer.from([13, 3, 1, 2, 3])));
    expect(err.code).toBe('ILPD_CODEC_TRUNCATED');
    expect(err.field).toBe('fulfill.fulfillment');
  });

  it('requires a 32-byte fulfillment when encoding', () => {
    expect(caught(() => encodeFulfill({ fulfillment: Buffer.alloc(33), data: Buffer.alloc(0) })).field).toBe(
      'fulfill.fulfillment',
    );
  });
});

describe('Reject', () => {
  it('round-trips with UTF-8 messages and an empty triggeredBy', () => {
    const reject = { code: 'F02', triggeredBy: '', message: 'no route → ⚡', data: Buffer.from([1]) };
    const buf = encodeReject(reject);
    const view = decodeReject(buf);
    expect({
      code: view.code,
      triggeredBy: view.triggeredBy,
      message: view.message,
      data: view.data,
    }).toEqual(reject);
    expect(encodeReject(view).equals(buf)).toBe(true);
  });

  it('rejects an invalid triggeredBy address', () => {
    const contents = Buffer.concat([
      Buffer.from('F00'),
      Buffer.from([3]),
      Buffer.from('abc'),
      Buffer.from([0, 0]),
    ]);
    const err = caught(() => decodeReject(Buffer.concat([Buffer.from([14, contents.length]), contents])));
    expect(err.code).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(err.field).toBe('reject.triggeredBy');
  });

  it('requires a 3-character code when encoding', () => {
    expect(
      caught(() => encodeReject({ code: 'F0', triggeredBy: '', message: '', data: Buffer.alloc(0) })).field,
    ).toBe('reject.code');
  });
});

describe('decodeIlpPacket', () => {
  it('dispatches on the type byte', () => {
    const prepare = encodePrepare(samplePrepare());
    const decoded = decodeIlpPacket(prepare);
    expect(decoded.type).toBe(IlpPacketType.Prepare);
    if (decoded.type === IlpPacketType.Prepare) expect(decoded.packet.destination).toBe('example.alice');
    expect(
      decodeIlpPacket(encodeFulfill({ fulfillment: Buffer.alloc(32), data: Buffer.alloc(0) })).type,
    ).toBe(IlpPacketType.Fulfill);
    expect(caught(() => decodeIlpPacket(Buffer.from([99, 0]))).code).toBe('ILPD_CODEC_UNKNOWN_TYPE');
    expect(caught(() => decodeIlpPacket(Buffer.alloc(0))).code).toBe('ILPD_CODEC_TRUNCATED');
  });

  it('peeks the type without throwing', () => {
    expect(peekIlpPacketType(Buffer.from([12]))).toBe(12);
    expect(peekIlpPacketType(Buffer.alloc(0))).toBe(-1);
  });
});
