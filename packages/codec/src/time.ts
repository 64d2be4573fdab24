import { badInput, invalidValue, tooLarge } from './errors';

/** Length of the ILPv4 timestamp 'YYYYMMDDHHmmssSSS' (UTC, no separators). */
export const INTERLEDGER_TIME_LENGTH = 17;

const MS_PER_DAY = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the range a 4-digit year can express. */
export const MIN_TIME_MS = -62_167_219_200_000;
export const MAX_TIME_MS = 253_402_300_799_999;

// Civil-date arithmetic (proleptic Gregorian, H. Hinnant's algorithms): avoids a Date allocation and
// seven getter calls per packet on the hot path.
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeap(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function digits(buf: Buffer, pos: number, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = buf[pos + i] - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function digits2(buf: Buffer, pos: number): number {
  const a = buf[pos] - 48;
  const b = buf[pos + 1] - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The 'YYYYMMDD' bytes most recently parsed and their epoch ms: consecutive packets share the day. */
const lastDateBytes = Buffer.alloc(8);
let lastDateMs = NaN;

function sameAsLastDate(buf: Buffer, pos: number): boolean {
  for (let i = 0; i < 8; i++) if (buf[pos + i] !== lastDateBytes[i]) return false;
  return lastDateMs === lastDateMs; // NaN until the first successful parse
}

function parseDate(buf: Buffer, pos: number, field: string): number {
  const year = digits(buf, pos, 4);
  const month = digits2(buf, pos + 4);
  const day = digits2(buf, pos + 6);
  if ((year | month | day) < 0) {
    throw invalidValue(field, pos, `timestamp must be digits, got '${printable(buf, pos, 14)}'`);
  }
  if (month < 1 || month > 12) throw invalidValue(field, pos, `month ${month} is out of range 01-12`);
  if (day < 1 || day > daysInMonth(year, month)) {
    throw invalidValue(field, pos, `day ${day} is out of range for ${year}-${month}`);
  }
  const ms = daysFromCivil(year, month, day) * MS_PER_DAY;
  for (let i = 0; i < 8; i++) lastDateBytes[i] = buf[pos + i];
  lastDateMs = ms;
  return ms;
}

/**
 * Parses the 14 date/time digits 'YYYYMMDDHHmmss' at `pos` and returns epoch milliseconds
 * (without the fraction), or throws naming `field` and the offset.
 */
function parseDateTime(buf: Buffer, pos: number, field: string): number {
  const dateMs = sameAsLastDate(buf, pos) ? lastDateMs : parseDate(buf, pos, field);
  const hour = digits2(buf, pos + 8);
  const minute = digits2(buf, pos + 10);
  const second = digits2(buf, pos + 12);
  if ((hour | minute | second) < 0) {
    throw invalidValue(field, pos, `timestamp must be digits, got '${printable(buf, pos, 14)}'`);
  }
  if (hour > 23) throw invalidValue(field, pos, `hour ${hour} is out of range 00-23`);
  if (minute > 59) throw invalidValue(field, pos, `minute ${minute} is out of range 00-59`);
  if (second > 59) throw invalidValue(field, pos, `second ${second} is out of range 00-59`);
  return dateMs + hour * 3_600_000 + minute * 60_000 + second * 1000;
}

function printable(buf: Buffer, pos: number, n: number): string {
  return buf.toString('latin1', pos, Math.min(buf.length, pos + n)).replace(/[^\x20-\x7e]/g, '?');
}

/** Reads the 17-byte ILPv4 timestamp at `pos` (caller checked bounds) as epoch milliseconds. */
export function readInterledgerTime(buf: Buffer, pos: number, field: string): number {
  const base = parseDateTime(buf, pos, field);
  const hundreds = buf[pos + 14] - 48;
  const rest = digits2(buf, pos + 15);
  const ms = hundreds >= 0 && hundreds <= 9 && rest >= 0 ? hundreds * 100 + rest : -1;
  if (ms < 0)
    throw invalidValue(field, pos, `milliseconds must be digits, got '${printable(buf, pos + 14, 3)}'`);
  return base + ms;
}

function checkTimeMs(ms: number, field: string): void {
  if (typeof ms !== 'number' || !Number.isInteger(ms)) {
    throw badInput(field, `expected an integer timestamp in milliseconds, got ${String(ms)}`);
  }
  if (ms < MIN_TIME_MS || ms > MAX_TIME_MS) {
    throw tooLarge(field, `timestamp ${ms} is outside years 0000-9999`);
  }
}

/** Epoch milliseconds of a Date, validating that it is a real date. */
export function dateToMs(d: Date, field: string): number {
  if (!(d instanceof Date)) throw badInput(field, 'expected a Date');
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw badInput(field, 'invalid Date');
  return ms;
}

function put2(buf: Buffer, pos: number, v: number): void {
  buf[pos] = 48 + Math.floor(v / 10);
  buf[pos + 1] = 48 + (v % 10);
}

/** 'YYYYMMDD' digits of the most recently written day: forwarded packets almost all expire on the same day. */
let cachedDay = NaN;
const cachedDayDigits = Buffer.alloc(8);

function fillDayDigits(days: number): void {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  put2(cachedDayDigits, 0, Math.floor(year / 100));
  put2(cachedDayDigits, 2, year % 100);
  put2(cachedDayDigits, 4, month);
  put2(cachedDayDigits, 6, day);
  cachedDay = days;
}

/** Writes 'YYYYMMDDHHmmss' for the UTC time `ms` (validated) at `pos`; returns the millisecond part. */
function writeDateTime(buf: Buffer, pos: number, ms: number): number {
  const days = Math.floor(ms / MS_PER_DAY);
  if (days !== cachedDay) fillDayDigits(days);
  for (let i = 0; i < 8; i++) buf[pos + i] = cachedDayDigits[i];
  let rest = ms - days * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  put2(buf, pos + 8, hour);
  put2(buf, pos + 10, minute);
  put2(buf, pos + 12, second);
  return rest - second * 1000;
}

function put3(buf: Buffer, pos: number, v: number): void {
  buf[pos] = 48 + Math.floor(v / 100);
  buf[pos + 1] = 48 + (Math.floor(v / 10) % 10);
  buf[pos + 2] = 48 + (v % 10);
}

/** Writes the 17-byte ILPv4 timestamp for `ms` at `pos`. */
export function writeInterledgerTime(buf: Buffer, pos: number, ms: number, field: string): void {
  checkTimeMs(ms, field);
  put3(buf, pos + 14, writeDateTime(buf, pos, ms));
}

/** BTP's GeneralizedTime as written by every BTP implementation: 'YYYYMMDDHHmmss.SSSZ'. */
export const GENERALIZED_TIME_LENGTH = 19;

export function writeGeneralizedTime(ms: number, field: string): Buffer {
  checkTimeMs(ms, field);
  const out = Buffer.allocUnsafe(GENERALIZED_TIME_LENGTH);
  const frac = writeDateTime(out, 0, ms);
  out[14] = 0x2e; // '.'
  put3(out, 15, frac);
  out[18] = 0x5a; // 'Z'
  return out;
}

/**
 * Parses a UTC GeneralizedTime 'YYYYMMDDHHmmss[.f{1,3}]Z' occupying buf[start, end); the fraction is
 * optional because RFC 23 only requires GeneralizedTime, though every implementation writes '.SSS'.
 */
export function readGeneralizedTime(buf: Buffer, start: number, end: number, field: string): number {
  const len = end - start;
  if (len < 15 || len > 19 || buf[end - 1] !== 0x5a) {
    throw invalidValue(
      field,
      start,
      `expected a UTC GeneralizedTime 'YYYYMMDDHHmmss.SSSZ', got '${printable(buf, start, Math.min(len, 32))}'`,
    );
  }
  const base = parseDateTime(buf, start, field);
  if (len === 15) return base;
  const fracDigits = len - 16;
  if (buf[start + 14] !== 0x2e || fracDigits === 0) {
    throw invalidValue(field, start + 14, "expected '.' followed by 1-3 fraction digits before 'Z'");
  }
  const frac = digits(buf, start + 15, fracDigits);
  if (frac < 0) throw invalidValue(field, start + 15, 'fraction of a second must be digits');
  return base + frac * (fracDigits === 1 ? 100 : fracDigits === 2 ? 10 : 1);
}
