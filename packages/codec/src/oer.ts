import { CodecError, badInput, invalidLength, invalidValue, tooLarge, truncated } from './errors';

const MAX_UINT64 = 0xffffffffffffffffn;
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
/** Largest length any encoder writes; a Buffer in Node 20 cannot exceed this anyway. */
const MAX_LENGTH = 0xffffffff;

/**
 * Reads an OER length prefix at `pos` and returns the length. The prefix spans
 * `lengthPrefixSizeAt(buf, pos)` bytes. Rejects the indefinite form, non-canonical long forms (value
 * < 128 or a leading zero byte), prefixes longer than 4 bytes and lengths larger than what is left
 * before `end`: the caller never allocates or loops on a length it has not seen the bytes for.
 */
export function readLengthAt(buf: Buffer, pos: number, end: number, field: string): number {
  if (pos >= end) throw truncated(field, pos, 1, end - pos);
  const first = buf[pos];
  if (first < 0x80) {
    if (first > end - pos - 1) {
      throw invalidLength(field, pos, `length ${first} exceeds the ${end - pos - 1} remaining byte(s)`);
    }
    return first;
  }
  const n = first & 0x7f;
  if (n === 0) throw invalidLength(field, pos, 'indefinite length form 0x80 is not allowed');
  if (n > 4) throw invalidLength(field, pos, `length of length ${n} exceeds 4 bytes`);
  if (pos + 1 + n > end) throw truncated(field, pos + 1, n, end - pos - 1);
  if (buf[pos + 1] === 0) throw invalidLength(field, pos, 'non-canonical length prefix (leading zero byte)');
  let length = 0;
  for (let i = 1; i <= n; i++) length = length * 256 + buf[pos + i];
  if (length < 0x80) {
    throw invalidLength(field, pos, `non-canonical length prefix: ${length} must use the short form`);
  }
  const remaining = end - pos - 1 - n;
  if (length > remaining) {
    throw invalidLength(field, pos, `length ${length} exceeds the ${remaining} remaining byte(s)`);
  }
  return length;
}

/** Size of the length prefix starting at `pos` (valid only after `readLengthAt` accepted it). */
export function lengthPrefixSizeAt(buf: Buffer, pos: number): number {
  const first = buf[pos];
  return first < 0x80 ? 1 : 1 + (first & 0x7f);
}

/** Bytes an OER length prefix for `n` occupies. */
export function lengthPrefixSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x100) return 2;
  if (n < 0x10000) return 3;
  if (n < 0x1000000) return 4;
  return 5;
}

/** Writes a canonical length prefix for `n` at `pos`; returns the position after it. */
export function writeLengthAt(buf: Buffer, pos: number, n: number): number {
  if (n < 0x80) {
    buf[pos] = n;
    return pos + 1;
  }
  const size = lengthPrefixSize(n) - 1;
  buf[pos] = 0x80 | size;
  for (let i = size; i >= 1; i--) {
    buf[pos + i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  return pos + 1 + size;
}

/** True when every byte in [start, end) is 7-bit (IA5 / ASCII). */
export function isIa5(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] > 0x7f) return false;
  return true;
}

/** Bytes of an ASCII string; throws when a character is outside IA5. */
export function ia5Bytes(s: string, field: string): Buffer {
  if (typeof s !== 'string') throw badInput(field, `expected a string, got ${typeof s}`);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) throw badInput(field, `character at index ${i} is not IA5 (7-bit ASCII)`);
  }
  return Buffer.from(s, 'latin1');
}

function varUIntSize(v: bigint): number {
  let size = 1;
  while (v > 0xffn) {
    v >>= 8n;
    size++;
  }
  return size;
}

/**
 * Cursor over `buf[offset, end)`. Every read checks bounds first and throws CodecError naming the
 * field and the absolute offset; returned Buffers are views (subarray), never copies.
 */
export class OerReader {
  offset: number;
  readonly end: number;
  private readonly buf: Buffer;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (!(
      Number.isInteger(offset) &&
      Number.isInteger(end) &&
      offset >= 0 &&
      offset <= end &&
      end <= buf.length
    )) {
      throw invalidLength(
        'reader',
        offset,
        `window [${offset}, ${end}) does not fit a buffer of ${buf.length} byte(s)`,
      );
    }
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, field: string): number {
    const pos = this.offset;
    if (pos + n > this.end) throw truncated(field, pos, n, this.end - pos);
    this.offset = pos + n;
    return pos;
  }

  readUInt8(field: string): number {
    return this.buf[this.need(1, field)];
  }

  readUInt16(field: string): number {
    const p = this.need(2, field);
    return this.buf[p] * 0x100 + this.buf[p + 1];
  }

  readUInt32(field: string): number {
    return this.buf.readUInt32BE(this.need(4, field));
  }

  readUInt64(field: string): bigint {
    return this.buf.readBigUInt64BE(this.need(8, field));
  }

  /** OER variable-length unsigned integer: a length prefix then 1–8 big-endian bytes. */
  readVarUInt(field: string): bigint {
    const start = this.offset;
    const length = this.readLengthPrefix(field);
    if (length === 0) throw invalidLength(field, start, 'variable-length integer of length 0');
    if (length > 8)
      throw invalidValue(field, start, `variable-length integer of ${length} bytes exceeds 64 bits`);
    const p = this.need(length, field);
    let v = 0n;
    for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(this.buf[p + i]);
    return v;
  }

  /** A var-uint that must fit in a JS safe integer no larger than `max` (counts, small ids). */
  readVarUIntNumber(field: string, max = Number.MAX_SAFE_INTEGER): number {
    const start = this.offset;
    const v = this.readVarUInt(field);
    if (v > BigInt(max)) throw invalidValue(field, start, `value ${v} exceeds the maximum ${max}`);
    return Number(v);
  }

  /** Reads a length prefix; the length is guaranteed to fit in the remaining input. */
  readLengthPrefix(field: string): number {
    const length = readLengthAt(this.buf, this.offset, this.end, field);
    this.offset += lengthPrefixSizeAt(this.buf, this.offset);
    return length;
  }

  readOctetString(length: number, field: string): Buffer {
    const p = this.need(length, field);
    return this.buf.subarray(p, p + length);
  }

  readVarOctetString(field: string): Buffer {
    const length = this.readLengthPrefix(field);
    const p = this.offset;
    this.offset = p + length;
    return this.buf.subarray(p, p + length);
  }

  readVarIA5String(field: string): string {
    const start = this.offset;
    const length = this.readLengthPrefix(field);
    const p = this.offset;
    if (!isIa5(this.buf, p, p + length))
      throw invalidValue(field, start, 'string contains non-IA5 (8-bit) bytes');
    this.offset = p + length;
    return this.buf.toString('latin1', p, p + length);
  }

  /** UTF-8 text; invalid sequences decode to U+FFFD as in every reference implementation. */
  readVarUtf8String(field: string): string {
    const length = this.readLengthPrefix(field);
    const p = this.offset;
    this.offset = p + length;
    return this.buf.toString('utf8', p, p + length);
  }

  skipVarOctetString(field: string): void {
    const length = this.readLengthPrefix(field);
    this.offset += length;
  }

  ensureEnd(field: string): void {
    if (this.offset !== this.end) {
      throw new CodecError(
        'ILPD_CODEC_TRAILING_BYTES',
        field,
        this.offset,
        `${this.end - this.offset} unexpected byte(s) after the end of the structure`,
      );
    }
  }
}

/** Growable OER writer for cold paths (control protocols, tests). Hot paths size their buffer exactly. */
export class OerWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.pos;
  }

  private reserve(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, p + n));
      this.buf.copy(next, 0, 0, p);
      this.buf = next;
    }
    this.pos = p + n;
    return p;
  }

  private checkUInt(v: number, max: number, field: string): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw badInput(field, `expected a non-negative integer, got ${String(v)}`);
    }
    if (v > max) throw tooLarge(field, `${v} exceeds the maximum ${max}`);
  }

  writeUInt8(v: number, field = 'uint8'): void {
    this.checkUInt(v, 0xff, field);
    const p = this.reserve(1);
    this.buf[p] = v;
  }

  writeUInt16(v: number, field = 'uint16'): void {
    this.checkUInt(v, 0xffff, field);
    const p = this.reserve(2);
    this.buf.writeUInt16BE(v, p);
  }

  writeUInt32(v: number, field = 'uint32'): void {
    this.checkUInt(v, 0xffffffff, field);
    const p = this.reserve(4);
    this.buf.writeUInt32BE(v, p);
  }

  writeUInt64(v: bigint, field = 'uint64'): void {
    checkUInt64(v, field);
    const p = this.reserve(8);
    this.buf.writeBigUInt64BE(v, p);
  }

  writeVarUInt(v: bigint | number, field = 'varuint'): void {
    let big: bigint;
    if (typeof v === 'number') {
      this.checkUInt(v, Number.MAX_SAFE_INTEGER, field);
      big = BigInt(v);
    } else {
      checkUInt64(v, field);
      big = v;
    }
    const size = varUIntSize(big);
    this.writeLengthPrefix(size);
    const p = this.reserve(size);
    for (let i = size - 1; i >= 0; i--) {
      this.buf[p + i] = Number(big & 0xffn);
      big >>= 8n;
    }
  }

  writeLengthPrefix(n: number, field = 'length'): void {
    this.checkUInt(n, MAX_LENGTH, field);
    const p = this.reserve(lengthPrefixSize(n));
    writeLengthAt(this.buf, p, n);
  }

  writeOctetString(b: Buffer, length: number, field = 'octetString'): void {
    if (!Buffer.isBuffer(b)) throw badInput(field, 'expected a Buffer');
    if (b.length !== length) throw badInput(field, `expected exactly ${length} bytes, got ${b.length}`);
    const p = this.reserve(length);
    b.copy(this.buf, p);
  }

  writeVarOctetString(b: Buffer, field = 'varOctetString'): void {
    if (!Buffer.isBuffer(b)) throw badInput(field, 'expected a Buffer');
    this.writeLengthPrefix(b.length, field);
    const p = this.reserve(b.length);
    b.copy(this.buf, p);
  }

  writeVarIA5String(s: string, field = 'ia5String'): void {
    this.writeVarOctetString(ia5Bytes(s, field), field);
  }

  writeVarUtf8String(s: string, field = 'utf8String'): void {
    if (typeof s !== 'string') throw badInput(field, `expected a string, got ${typeof s}`);
    this.writeVarOctetString(Buffer.from(s, 'utf8'), field);
  }

  /** A copy of the bytes written so far, trimmed to length (the writer can be reused afterwards). */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/**
 * Writes a UInt64 (already validated) big-endian at `pos`. Amounts below 2^53 take a path without
 * BigInt arithmetic, which is most of the cost of Buffer#writeBigUInt64BE.
 */
export function writeUInt64At(buf: Buffer, pos: number, v: bigint): void {
  if (v <= MAX_SAFE_BIGINT) {
    const n = Number(v);
    const hi = Math.floor(n / 0x100000000);
    const lo = n >>> 0;
    buf[pos] = hi >>> 24;
    buf[pos + 1] = (hi >>> 16) & 0xff;
    buf[pos + 2] = (hi >>> 8) & 0xff;
    buf[pos + 3] = hi & 0xff;
    buf[pos + 4] = lo >>> 24;
    buf[pos + 5] = (lo >>> 16) & 0xff;
    buf[pos + 6] = (lo >>> 8) & 0xff;
    buf[pos + 7] = lo & 0xff;
  } else {
    buf.writeBigUInt64BE(v, pos);
  }
}

export function checkUInt64(v: bigint, field: string): void {
  if (typeof v !== 'bigint') throw badInput(field, `expected a bigint, got ${typeof v}`);
  if (v < 0n) throw badInput(field, `expected a non-negative value, got ${v}`);
  if (v > MAX_UINT64) throw tooLarge(field, `${v} exceeds the UInt64 maximum ${MAX_UINT64}`);
}
