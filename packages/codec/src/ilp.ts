import { CodecError, badInput, invalidValue, truncated } from './errors';
import { ILP_ADDRESS_MAX_LENGTH, isValidIlpAddress, isValidIlpAddressBytes } from './address';
import {
  checkUInt64,
  ia5Bytes,
  isIa5,
  lengthPrefixSize,
  lengthPrefixSizeAt,
  readLengthAt,
  writeLengthAt,
  writeUInt64At,
} from './oer';
import { INTERLEDGER_TIME_LENGTH, dateToMs, readInterledgerTime, writeInterledgerTime } from './time';

/** ILPv4 packet types (RFC 27). */
export const enum IlpPacketType {
  Prepare = 12,
  Fulfill = 13,
  Reject = 14,
}

export interface IlpPrepare {
  amount: bigint;
  expiresAt: Date;
  executionCondition: Buffer;
  destination: string;
  data: Buffer;
}

export interface IlpFulfill {
  fulfillment: Buffer;
  data: Buffer;
}

export interface IlpReject {
  code: string;
  triggeredBy: string;
  message: string;
  data: Buffer;
}

const EXPIRES_AT_OFFSET = 8;
const CONDITION_OFFSET = EXPIRES_AT_OFFSET + INTERLEDGER_TIME_LENGTH;
const CONDITION_LENGTH = 32;
const FULFILLMENT_LENGTH = 32;
const REJECT_CODE_LENGTH = 3;
const MAX_UINT64 = 0xffffffffffffffffn;

/**
 * RFC 27's ASN.1 (`InterledgerProtocol.asn`) bounds the `data` of every ILP packet to 32,767 bytes.
 * Decoders refuse more, so a peer cannot make a connector hold (or relay) more than this per packet.
 */
export const MAX_ILP_DATA_BYTES = 32_767;

/**
 * The largest valid ILP Prepare: type, a 3-byte envelope length, amount, expiry, condition, a
 * destination of ILP_ADDRESS_MAX_LENGTH with its 3-byte prefix, and MAX_ILP_DATA_BYTES of data with
 * its 3-byte prefix. Anything longer is invalid before a single field is read.
 */
export const MAX_PREPARE_BYTES =
  1 + 3 + CONDITION_OFFSET + CONDITION_LENGTH + 3 + ILP_ADDRESS_MAX_LENGTH + 3 + MAX_ILP_DATA_BYTES;

function dataTooLarge(field: string, offset: number, length: number): CodecError {
  return new CodecError(
    'ILPD_CODEC_TOO_LARGE',
    field,
    offset,
    `${length} bytes of data exceed the ${MAX_ILP_DATA_BYTES} RFC 27 allows`,
  );
}

/** First byte of a packet, or -1 when empty; never throws. */
export function peekIlpPacketType(buf: Buffer): number {
  return buf.length > 0 ? buf[0] : -1;
}

function trailingBytes(field: string, offset: number, count: number): CodecError {
  return new CodecError(
    'ILPD_CODEC_TRAILING_BYTES',
    field,
    offset,
    `${count} unexpected byte(s) after the end`,
  );
}

/**
 * Checks the type byte and the envelope (type UInt8 + VarOctetString) and returns the offset where the
 * contents start; the contents end exactly at the end of `buf`.
 */
function openEnvelope(buf: Buffer, type: IlpPacketType, name: string, envelopeField: string): number {
  if (buf.length === 0) throw truncated(`${name}.type`, 0, 1, 0);
  if (buf[0] !== type) {
    throw new CodecError(
      'ILPD_CODEC_UNKNOWN_TYPE',
      `${name}.type`,
      0,
      `expected ${type} (${name}), got ${buf[0]}`,
    );
  }
  const length = readLengthAt(buf, 1, buf.length, envelopeField);
  const start = 1 + lengthPrefixSizeAt(buf, 1);
  if (start + length !== buf.length) {
    throw trailingBytes(name, start + length, buf.length - start - length);
  }
  return start;
}

/**
 * Lazy, zero-copy view of an ILP Prepare. `decodePrepare` validated the whole structure once (the
 * offsets below are trusted); getters read from the original bytes on demand and buffers are views.
 */
export class PrepareView implements IlpPrepare {
  private destinationString: string | undefined;

  /** Only `decodePrepare` constructs views: the offsets must come from a validated buffer. */
  constructor(
    readonly buffer: Buffer,
    /** Offset of the envelope contents (the amount). */
    readonly contentOffset: number,
    /** Expiry in epoch milliseconds, parsed and validated during decoding. */
    readonly expiresAtMs: number,
    readonly destinationOffset: number,
    readonly destinationEnd: number,
    readonly dataOffset: number,
  ) {}

  get amount(): bigint {
    return this.buffer.readBigUInt64BE(this.contentOffset);
  }

  get expiresAt(): Date {
    return new Date(this.expiresAtMs);
  }

  get executionCondition(): Buffer {
    const start = this.contentOffset + CONDITION_OFFSET;
    return this.buffer.subarray(start, start + CONDITION_LENGTH);
  }

  get destination(): string {
    if (this.destinationString === undefined) {
      this.destinationString = this.buffer.toString('latin1', this.destinationOffset, this.destinationEnd);
    }
    return this.destinationString;
  }

  get destinationBytes(): Buffer {
    return this.buffer.subarray(this.destinationOffset, this.destinationEnd);
  }

  get data(): Buffer {
    return this.buffer.subarray(this.dataOffset);
  }
}

export function decodePrepare(buf: Buffer): PrepareView {
  const start = openEnvelope(buf, IlpPacketType.Prepare, 'prepare', 'prepare.envelope');
  const end = buf.length;
  if (start + EXPIRES_AT_OFFSET > end) throw truncated('prepare.amount', start, 8, end - start);
  const expiresPos = start + EXPIRES_AT_OFFSET;
  if (expiresPos + INTERLEDGER_TIME_LENGTH > end) {
    throw truncated('prepare.expiresAt', expiresPos, INTERLEDGER_TIME_LENGTH, end - expiresPos);
  }
  const expiresAtMs = readInterledgerTime(buf, expiresPos, 'prepare.expiresAt');
  const conditionPos = start + CONDITION_OFFSET;
  if (conditionPos + CONDITION_LENGTH > end) {
    throw truncated('prepare.executionCondition', conditionPos, CONDITION_LENGTH, end - conditionPos);
  }
  const destPrefix = conditionPos + CONDITION_LENGTH;
  const destLength = readLengthAt(buf, destPrefix, end, 'prepare.destination');
  const destStart = destPrefix + lengthPrefixSizeAt(buf, destPrefix);
  const destEnd = destStart + destLength;
  if (!isValidIlpAddressBytes(buf, destStart, destEnd)) {
    throw invalidValue('prepare.destination', destPrefix, 'not a valid ILP address');
  }
  const dataLength = readLengthAt(buf, destEnd, end, 'prepare.data');
  if (dataLength > MAX_ILP_DATA_BYTES) throw dataTooLarge('prepare.data', destEnd, dataLength);
  const dataStart = destEnd + lengthPrefixSizeAt(buf, destEnd);
  if (dataStart + dataLength !== end)
    throw trailingBytes('prepare', dataStart + dataLength, end - dataStart - dataLength);
  return new PrepareView(buf, start, expiresAtMs, destStart, destEnd, dataStart);
}

/**
 * Re-encodes a forwarded Prepare with a new amount and expiry: one allocation, one block copy, then
 * the 25 bytes of amount and expiry are rewritten. Amount and expiry are fixed-size, so the envelope
 * header, condition, destination and data carry over byte for byte.
 */
export function forwardPrepare(view: PrepareView, amount: bigint, expiresAtMs: number): Buffer {
  if (typeof amount !== 'bigint' || amount < 0n || amount > MAX_UINT64) checkUInt64(amount, 'prepare.amount');
  const src = view.buffer;
  const start = view.contentOffset;
  const out = Buffer.allocUnsafe(src.length);
  // One TypedArray#set of the whole packet is measurably cheaper than copying header and tail apart.
  out.set(src);
  writeUInt64At(out, start, amount);
  writeInterledgerTime(out, start + EXPIRES_AT_OFFSET, expiresAtMs, 'prepare.expiresAt');
  return out;
}

function checkBuffer(b: unknown, field: string, exactLength?: number): Buffer {
  if (!Buffer.isBuffer(b)) throw badInput(field, 'expected a Buffer');
  if (exactLength !== undefined && b.length !== exactLength) {
    throw badInput(field, `expected exactly ${exactLength} bytes, got ${b.length}`);
  }
  return b;
}

function checkData(b: unknown, field: string): Buffer {
  const data = checkBuffer(b, field);
  if (data.length > MAX_ILP_DATA_BYTES) throw dataTooLarge(field, -1, data.length);
  return data;
}

/** Allocates type + envelope for `contentLength` bytes of contents; returns the buffer and contents offset. */
function allocEnvelope(type: IlpPacketType, contentLength: number): [Buffer, number] {
  const out = Buffer.allocUnsafe(1 + lengthPrefixSize(contentLength) + contentLength);
  out[0] = type;
  return [out, writeLengthAt(out, 1, contentLength)];
}

function putVarOctetString(out: Buffer, pos: number, b: Buffer): number {
  pos = writeLengthAt(out, pos, b.length);
  out.set(b, pos);
  return pos + b.length;
}

export function encodePrepare(p: IlpPrepare): Buffer {
  checkUInt64(p.amount, 'prepare.amount');
  const expiresAtMs = dateToMs(p.expiresAt, 'prepare.expiresAt');
  const condition = checkBuffer(p.executionCondition, 'prepare.executionCondition', CONDITION_LENGTH);
  if (!isValidIlpAddress(p.destination)) {
    throw badInput('prepare.destination', `not a valid ILP address: ${JSON.stringify(p.destination)}`);
  }
  const destination = Buffer.from(p.destination, 'latin1');
  const data = checkData(p.data, 'prepare.data');
  const contentLength =
    CONDITION_OFFSET +
    CONDITION_LENGTH +
    lengthPrefixSize(destination.length) +
    destination.length +
    lengthPrefixSize(data.length) +
    data.length;
  const [out, start] = allocEnvelope(IlpPacketType.Prepare, contentLength);
  writeInterledgerTime(out, start + EXPIRES_AT_OFFSET, expiresAtMs, 'prepare.expiresAt');
  writeUInt64At(out, start, p.amount);
  out.set(condition, start + CONDITION_OFFSET);
  const pos = putVarOctetString(out, start + CONDITION_OFFSET + CONDITION_LENGTH, destination);
  putVarOctetString(out, pos, data);
  return out;
}

/** Lazy, zero-copy view of an ILP Fulfill. */
export class FulfillView implements IlpFulfill {
  constructor(
    readonly buffer: Buffer,
    readonly contentOffset: number,
    readonly dataOffset: number,
  ) {}

  get fulfillment(): Buffer {
    return this.buffer.subarray(this.contentOffset, this.contentOffset + FULFILLMENT_LENGTH);
  }

  get data(): Buffer {
    return this.buffer.subarray(this.dataOffset);
  }
}

export function decodeFulfill(buf: Buffer): FulfillView {
  const start = openEnvelope(buf, IlpPacketType.Fulfill, 'fulfill', 'fulfill.envelope');
  const end = buf.length;
  if (start + FULFILLMENT_LENGTH > end)
    throw truncated('fulfill.fulfillment', start, FULFILLMENT_LENGTH, end - start);
  const dataPrefix = start + FULFILLMENT_LENGTH;
  const dataLength = readLengthAt(buf, dataPrefix, end, 'fulfill.data');
  if (dataLength > MAX_ILP_DATA_BYTES) throw dataTooLarge('fulfill.data', dataPrefix, dataLength);
  const dataStart = dataPrefix + lengthPrefixSizeAt(buf, dataPrefix);
  if (dataStart + dataLength !== end)
    throw trailingBytes('fulfill', dataStart + dataLength, end - dataStart - dataLength);
  return new FulfillView(buf, start, dataStart);
}

export function encodeFulfill(f: IlpFulfill): Buffer {
  const fulfillment = checkBuffer(f.fulfillment, 'fulfill.fulfillment', FULFILLMENT_LENGTH);
  const data = checkData(f.data, 'fulfill.data');
  const contentLength = FULFILLMENT_LENGTH + lengthPrefixSize(data.length) + data.length;
  const [out, start] = allocEnvelope(IlpPacketType.Fulfill, contentLength);
  out.set(fulfillment, start);
  putVarOctetString(out, start + FULFILLMENT_LENGTH, data);
  return out;
}

/** Lazy, zero-copy view of an ILP Reject. */
export class RejectView implements IlpReject {
  constructor(
    readonly buffer: Buffer,
    readonly contentOffset: number,
    readonly triggeredByOffset: number,
    readonly triggeredByEnd: number,
    readonly messageOffset: number,
    readonly messageEnd: number,
    readonly dataOffset: number,
  ) {}

  get code(): string {
    return this.buffer.toString('latin1', this.contentOffset, this.contentOffset + REJECT_CODE_LENGTH);
  }

  get triggeredBy(): string {
    return this.buffer.toString('latin1', this.triggeredByOffset, this.triggeredByEnd);
  }

  get message(): string {
    return this.buffer.toString('utf8', this.messageOffset, this.messageEnd);
  }

  get data(): Buffer {
    return this.buffer.subarray(this.dataOffset);
  }
}

export function decodeReject(buf: Buffer): RejectView {
  const start = openEnvelope(buf, IlpPacketType.Reject, 'reject', 'reject.envelope');
  const end = buf.length;
  if (start + REJECT_CODE_LENGTH > end)
    throw truncated('reject.code', start, REJECT_CODE_LENGTH, end - start);
  if (!isIa5(buf, start, start + REJECT_CODE_LENGTH)) {
    throw invalidValue('reject.code', start, 'error code contains non-IA5 bytes');
  }
  const byPrefix = start + REJECT_CODE_LENGTH;
  const byLength = readLengthAt(buf, byPrefix, end, 'reject.triggeredBy');
  const byStart = byPrefix + lengthPrefixSizeAt(buf, byPrefix);
  const byEnd = byStart + byLength;
  if (byLength !== 0 && !isValidIlpAddressBytes(buf, byStart, byEnd)) {
    throw invalidValue('reject.triggeredBy', byPrefix, 'not a valid ILP address (nor empty)');
  }
  const messageLength = readLengthAt(buf, byEnd, end, 'reject.message');
  const messageStart = byEnd + lengthPrefixSizeAt(buf, byEnd);
  const messageEnd = messageStart + messageLength;
  const dataLength = readLengthAt(buf, messageEnd, end, 'reject.data');
  if (dataLength > MAX_ILP_DATA_BYTES) throw dataTooLarge('reject.data', messageEnd, dataLength);
  const dataStart = messageEnd + lengthPrefixSizeAt(buf, messageEnd);
  if (dataStart + dataLength !== end)
    throw trailingBytes('reject', dataStart + dataLength, end - dataStart - dataLength);
  return new RejectView(buf, start, byStart, byEnd, messageStart, messageEnd, dataStart);
}

export function encodeReject(r: IlpReject): Buffer {
  const code = ia5Bytes(r.code, 'reject.code');
  if (code.length !== REJECT_CODE_LENGTH) {
    throw badInput('reject.code', `expected exactly 3 characters, got ${JSON.stringify(r.code)}`);
  }
  if (r.triggeredBy !== '' && !isValidIlpAddress(r.triggeredBy)) {
    throw badInput(
      'reject.triggeredBy',
      `not a valid ILP address (nor empty): ${JSON.stringify(r.triggeredBy)}`,
    );
  }
  const triggeredBy = Buffer.from(r.triggeredBy, 'latin1');
  if (typeof r.message !== 'string')
    throw badInput('reject.message', `expected a string, got ${typeof r.message}`);
  const message = Buffer.from(r.message, 'utf8');
  const data = checkData(r.data, 'reject.data');
  const contentLength =
    REJECT_CODE_LENGTH +
    lengthPrefixSize(triggeredBy.length) +
    triggeredBy.length +
    lengthPrefixSize(message.length) +
    message.length +
    lengthPrefixSize(data.length) +
    data.length;
  const [out, start] = allocEnvelope(IlpPacketType.Reject, contentLength);
  out.set(code, start);
  let pos = putVarOctetString(out, start + REJECT_CODE_LENGTH, triggeredBy);
  pos = putVarOctetString(out, pos, message);
  putVarOctetString(out, pos, data);
  return out;
}

export type IlpPacket =
  | { type: IlpPacketType.Prepare; packet: PrepareView }
  | { type: IlpPacketType.Fulfill; packet: FulfillView }
  | { type: IlpPacketType.Reject; packet: RejectView };

/** Decodes any ILPv4 packet, dispatching on its type byte. */
export function decodeIlpPacket(buf: Buffer): IlpPacket {
  switch (peekIlpPacketType(buf)) {
    case IlpPacketType.Prepare:
      return { type: IlpPacketType.Prepare, packet: decodePrepare(buf) };
    case IlpPacketType.Fulfill:
      return { type: IlpPacketType.Fulfill, packet: decodeFulfill(buf) };
    case IlpPacketType.Reject:
      return { type: IlpPacketType.Reject, packet: decodeReject(buf) };
    case -1:
      throw truncated('ilp.type', 0, 1, 0);
    default:
      throw new CodecError('ILPD_CODEC_UNKNOWN_TYPE', 'ilp.type', 0, `unknown ILP packet type ${buf[0]}`);
  }
}
