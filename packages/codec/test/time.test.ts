import fc from 'fast-check';
import {
  MAX_TIME_MS,
  MIN_TIME_MS,
  isCodecError,
  readGeneralizedTime,
  readInterledgerTime,
  writeGeneralizedTime,
  writeInterledgerTime,
} from '@ilpd/codec';

/** 'YYYYMMDDHHmmssSSS' for years 0000-9999, built from Date's own UTC getters. */
function reference(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w: number): string => String(n).padStart(w, '0');
  return (
    p(d.getUTCFullYear(), 4) +
    p(d.getUTCMonth() + 1, 2) +
    p(d.getUTCDate(), 2) +
    p(d.getUTCHours(), 2) +
    p(d.getUTCMinutes(), 2) +
    p(d.getUTCSeconds(), 2) +
    p(d.getUTCMilliseconds(), 3)
  );
}

const anyTime = fc.integer({ min: MIN_TIME_MS, max: MAX_TIME_MS });

describe('Interledger timestamps', () => {
  it('write the same digits as Date and read back the same instant, across all 4-digit years', () => {
    fc.assert(
      fc.property(anyTime, (ms) => {
        const buf = Buffer.alloc(17);
        writeInterledgerTime(buf, 0, ms, 't');
        expect(buf.toString('latin1')).toBe(reference(ms));
        expect(readInterledgerTime(buf, 0, 't')).toBe(ms);
      }),
      { numRuns: 5000 },
    );
  });

  it('accept exactly the calendar-valid digit strings', () => {
    const fields = fc.tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 99 }),
      fc.integer({ min: 0, max: 999 }),
    );
    fc.assert(
      fc.property(fields, ([y, mo, d, h, mi, s, ms]) => {
        const text = [
          [y, 4],
          [mo, 2],
          [d, 2],
          [h, 2],
          [mi, 2],
          [s, 2],
          [ms, 3],
        ]
          .map(([v, w]) => String(v).padStart(w, '0'))
          .join('');
        const iso = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(8, 10)}:${text.slice(10, 12)}:${text.slice(12, 14)}.${text.slice(14)}Z`;
        const expected = Date.parse(iso);
        const calendarValid = !Number.isNaN(expected) && new Date(expected).toISOString() === iso;
        let ours: number | undefined;
        try {
          ours = readInterledgerTime(Buffer.from(text), 0, 't');
        } catch (e) {
          expect(isCodecError(e)).toBe(true);
        }
        expect(ours).toBe(calendarValid ? expected : undefined);
      }),
      { numRuns: 5000 },
    );
  });

  it('still validates the time of day when the date repeats', () => {
    expect(readInterledgerTime(Buffer.from('20300101120000000'), 0, 't')).toBe(Date.UTC(2030, 0, 1, 12));
    expect(() => readInterledgerTime(Buffer.from('20300101250000000'), 0, 't')).toThrow('hour 25');
    expect(() => readInterledgerTime(Buffer.from('2030010112000000x'), 0, 't')).toThrow('milliseconds');
    expect(readInterledgerTime(Buffer.from('20300102000000001'), 0, 't')).toBe(
      Date.UTC(2030, 0, 2, 0, 0, 0, 1),
    );
    expect(readInterledgerTime(Buffer.from('20300101000000001'), 0, 't')).toBe(
      Date.UTC(2030, 0, 1, 0, 0, 0, 1),
    );
  });

  it('refuse instants outside years 0000-9999', () => {
    const buf = Buffer.alloc(17);
    expect(() => writeInterledgerTime(buf, 0, MAX_TIME_MS + 1, 't')).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_TOO_LARGE' }),
    );
    expect(() => writeInterledgerTime(buf, 0, MIN_TIME_MS - 1, 't')).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_TOO_LARGE' }),
    );
  });
});

describe('GeneralizedTime (BTP)', () => {
  it('writes YYYYMMDDHHmmss.SSSZ and reads it back', () => {
    fc.assert(
      fc.property(anyTime, (ms) => {
        const buf = writeGeneralizedTime(ms, 't');
        const ref = reference(ms);
        expect(buf.toString('latin1')).toBe(`${ref.slice(0, 14)}.${ref.slice(14)}Z`);
        expect(readGeneralizedTime(buf, 0, buf.length, 't')).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    '20170828183200.000',
    '20170828183200.Z',
    '20170828183200,000Z',
    '20170828183200.0000Z',
    '2017082818320Z',
  ])('rejects %s', (text) => {
    const buf = Buffer.from(text);
    expect(() => readGeneralizedTime(buf, 0, buf.length, 'btp.error.triggeredAt')).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_INVALID_VALUE', field: 'btp.error.triggeredAt' }),
    );
  });
});
