import { CodecError, badInput, invalidLength, invalidValue, truncated } from './errors';
import {
  OerReader,
  OerWriter,
  checkUInt64,
  ia5Bytes,
  isIa5,
  lengthPrefixSize,
  lengthPrefixSizeAt,
  readLengthAt,
  writeLengthAt,
} from './oer';
import { dateToMs, readGeneralizedTime, writeGeneralizedTime } from './time';

/** BTP 2.0 frame types (RFC 23). */
export const enum BtpPacketType {
  Response = 1,
  Error = 2,
  Message = 6,
  Transfer = 7,
}

/** contentType: 0 application/octet-stream, 1 text/plain-utf8, 2 application/json. */
export interface BtpProtocolData {
  protocolName: string;
  contentType: number;
  data: Buffer;
}

export type BtpPacket =
  | { type: BtpPacketType.Response; requestId: number; protocolData: BtpProtocolData[] }
  | { type: BtpPacketType.Message; requestId: number; protocolData: BtpProtocolData[] }
  | {
      type: BtpPacketType.Error;
      requestId: number;
      code: string;
      name: string;
      triggeredAt: Date;
      data: Buffer;
      protocolData: BtpProtocolData[];
    }
  | { type: BtpPacketType.Transfer; requestId: number; amount: bigint; protocolData: BtpProtocolData[] };

/** type UInt8 + requestId UInt32. */
const HEADER_LENGTH = 5;
/** Smallest protocol data entry: empty name prefix, contentType, empty data prefix. */
const MIN_PROTOCOL_DATA_ENTRY = 3;
const ERROR_CODE_LENGTH = 3;

function isBtpType(type: number): boolean {
  return (
    type === BtpPacketType.Response ||
    type === BtpPacketType.Error ||
    type === BtpPacketType.Message ||
    type === BtpPacketType.Transfer
  );
}

function unknownType(type: number): CodecError {
  return new CodecError('ILPD_CODEC_UNKNOWN_TYPE', 'btp.type', 0, `unknown BTP frame type ${type}`);
}

/** Hot path: type + requestId read in place. */
export function peekBtpHeader(buf: Buffer): { type: number; requestId: number } {
  if (buf.length < HEADER_LENGTH) {
    if (buf.length === 0) throw truncated('btp.type', 0, 1, 0);
    throw truncated('btp.requestId', 1, 4, buf.length - 1);
  }
  return { type: buf[0], requestId: buf.readUInt32BE(1) };
}

/** Validates header + envelope; returns the offset of the contents, which end exactly at buf.length. */
function openEnvelope(buf: Buffer): number {
  peekBtpHeader(buf);
  if (!isBtpType(buf[0])) throw unknownType(buf[0]);
  const length = readLengthAt(buf, HEADER_LENGTH, buf.length, 'btp.envelope');
  const start = HEADER_LENGTH + lengthPrefixSizeAt(buf, HEADER_LENGTH);
  if (start + length !== buf.length) {
    throw new CodecError(
      'ILPD_CODEC_TRAILING_BYTES',
      'btp',
      start + length,
      `${buf.length - start - length} unexpected byte(s) after the envelope`,
    );
  }
  return start;
}

/** Reads the protocol data count, failing fast when the input cannot hold that many entries. */
function readProtocolDataCount(r: OerReader): number {
  const pos = r.offset;
  const count = r.readVarUIntNumber('btp.protocolData.count');
  if (count * MIN_PROTOCOL_DATA_ENTRY > r.remaining()) {
    throw invalidLength(
      'btp.protocolData.count',
      pos,
      `${count} entries cannot fit in ${r.remaining()} byte(s)`,
    );
  }
  return count;
}

function readProtocolData(r: OerReader): BtpProtocolData[] {
  const count = readProtocolDataCount(r);
  const entries: BtpProtocolData[] = [];
  for (let i = 0; i < count; i++) {
    const protocolName = r.readVarIA5String(`btp.protocolData[${i}].protocolName`);
    const contentType = r.readUInt8(`btp.protocolData[${i}].contentType`);
    const data = r.readVarOctetString(`btp.protocolData[${i}].data`);
    entries.push({ protocolName, contentType, data });
  }
  return entries;
}

export function decodeBtp(buf: Buffer): BtpPacket {
  const start = openEnvelope(buf);
  const type = buf[0] as BtpPacketType;
  const requestId = buf.readUInt32BE(1);
  const r = new OerReader(buf, start, buf.length);
  let packet: BtpPacket;
  switch (type) {
    case BtpPacketType.Response:
    case BtpPacketType.Message:
      packet = { type, requestId, protocolData: readProtocolData(r) };
      break;
    case BtpPacketType.Transfer: {
      const amount = r.readUInt64('btp.transfer.amount');
      packet = { type, requestId, amount, protocolData: readProtocolData(r) };
      break;
    }
    case BtpPacketType.Error: {
      const codePos = r.offset;
      const codeBytes = r.readOctetString(ERROR_CODE_LENGTH, 'btp.error.code');
      if (!isIa5(codeBytes, 0, ERROR_CODE_LENGTH))
        throw invalidValue('btp.error.code', codePos, 'non-IA5 bytes');
      const code = codeBytes.toString('latin1');
      const name = r.readVarIA5String('btp.error.name');
      const timeLength = r.readLengthPrefix('btp.error.triggeredAt');
      const timeStart = r.offset;
      r.offset += timeLength;
      const triggeredAt = new Date(
        readGeneralizedTime(buf, timeStart, timeStart + timeLength, 'btp.error.triggeredAt'),
      );
      const data = r.readVarOctetString('btp.error.data');
      packet = { type, requestId, code, name, triggeredAt, data, protocolData: readProtocolData(r) };
      break;
    }
  }
  r.ensureEnd('btp');
  return packet;
}

function checkRequestId(requestId: number): void {
  if (
    typeof requestId !== 'number' ||
    !Number.isInteger(requestId) ||
    requestId < 0 ||
    requestId > 0xffffffff
  ) {
    throw badInput('btp.requestId', `expected an integer in 0..4294967295, got ${String(requestId)}`);
  }
}

function writeProtocolData(w: OerWriter, protocolData: BtpProtocolData[]): void {
  if (!Array.isArray(protocolData)) throw badInput('btp.protocolData', 'expected an array');
  w.writeVarUInt(protocolData.length, 'btp.protocolData.count');
  protocolData.forEach((entry, i) => {
    w.writeVarIA5String(entry.protocolName, `btp.protocolData[${i}].protocolName`);
    w.writeUInt8(entry.contentType, `btp.protocolData[${i}].contentType`);
    w.writeVarOctetString(entry.data, `btp.protocolData[${i}].data`);
  });
}

export function encodeBtp(p: BtpPacket): Buffer {
  if (typeof p !== 'object' || p === null || !isBtpType(p.type)) {
    throw badInput('btp.type', `unknown BTP frame type ${String((p as { type?: unknown } | null)?.type)}`);
  }
  checkRequestId(p.requestId);
  const contents = new OerWriter();
  switch (p.type) {
    case BtpPacketType.Response:
    case BtpPacketType.Message:
      writeProtocolData(contents, p.protocolData);
      break;
    case BtpPacketType.Transfer:
      checkUInt64(p.amount, 'btp.transfer.amount');
      contents.writeUInt64(p.amount, 'btp.transfer.amount');
      writeProtocolData(contents, p.protocolData);
      break;
    case BtpPacketType.Error: {
      if (typeof p.code !== 'string' || p.code.length !== ERROR_CODE_LENGTH) {
        throw badInput('btp.error.code', `expected exactly 3 characters, got ${JSON.stringify(p.code)}`);
      }
      contents.writeOctetString(ia5Bytes(p.code, 'btp.error.code'), ERROR_CODE_LENGTH, 'btp.error.code');
      contents.writeVarIA5String(p.name, 'btp.error.name');
      const time = writeGeneralizedTime(
        dateToMs(p.triggeredAt, 'btp.error.triggeredAt'),
        'btp.error.triggeredAt',
      );
      contents.writeVarOctetString(time, 'btp.error.triggeredAt');
      contents.writeVarOctetString(p.data, 'btp.error.data');
      writeProtocolData(contents, p.protocolData);
      break;
    }
  }
  const body = contents.toBuffer();
  const bodyLength = body.length;
  const out = Buffer.allocUnsafe(HEADER_LENGTH + lengthPrefixSize(bodyLength) + bodyLength);
  out[0] = p.type;
  out.writeUInt32BE(p.requestId, 1);
  const pos = writeLengthAt(out, HEADER_LENGTH, bodyLength);
  out.set(body, pos);
  return out;
}

const ILP_NAME_0 = 0x69; // 'i'
const ILP_NAME_1 = 0x6c; // 'l'
const ILP_NAME_2 = 0x70; // 'p'

/** Skips one var-octet-string at `pos`, returning the position after it. */
function skipVar(buf: Buffer, pos: number, field: string): number {
  const length = readLengthAt(buf, pos, buf.length, field);
  return pos + lengthPrefixSizeAt(buf, pos) + length;
}

/**
 * Hot path: the first `ilp` protocol data entry of a frame as a view, or undefined when there is none.
 * Only lengths are read (names are compared in place, nothing is decoded), yet the whole frame
 * structure is checked so a malformed frame never yields data.
 */
export function findBtpIlpData(buf: Buffer): Buffer | undefined {
  let p = openEnvelope(buf);
  const end = buf.length;
  switch (buf[0]) {
    case BtpPacketType.Transfer:
      if (p + 8 > end) throw truncated('btp.transfer.amount', p, 8, end - p);
      p += 8;
      break;
    case BtpPacketType.Error:
      if (p + ERROR_CODE_LENGTH > end) throw truncated('btp.error.code', p, ERROR_CODE_LENGTH, end - p);
      p = skipVar(buf, p + ERROR_CODE_LENGTH, 'btp.error.name');
      p = skipVar(buf, p, 'btp.error.triggeredAt');
      p = skipVar(buf, p, 'btp.error.data');
      break;
  }
  const r = new OerReader(buf, p, end);
  const count = readProtocolDataCount(r);
  p = r.offset;
  let found: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const nameLength = readLengthAt(buf, p, end, 'btp.protocolData.protocolName');
    const nameStart = p + lengthPrefixSizeAt(buf, p);
    p = nameStart + nameLength;
    if (p >= end) throw truncated('btp.protocolData.contentType', p, 1, 0);
    p += 1;
    const dataLength = readLengthAt(buf, p, end, 'btp.protocolData.data');
    const dataStart = p + lengthPrefixSizeAt(buf, p);
    p = dataStart + dataLength;
    if (
      found === undefined &&
      nameLength === 3 &&
      buf[nameStart] === ILP_NAME_0 &&
      buf[nameStart + 1] === ILP_NAME_1 &&
      buf[nameStart + 2] === ILP_NAME_2
    ) {
      found = buf.subarray(dataStart, p);
    }
  }
  if (p !== end) {
    throw new CodecError(
      'ILPD_CODEC_TRAILING_BYTES',
      'btp',
      p,
      `${end - p} unexpected byte(s) after protocol data`,
    );
  }
  return found;
}

/** count (var-uint 1) + name 'ilp' (VarIA5String) + contentType 0. */
const ILP_ENTRY_PREFIX = Buffer.from([0x01, 0x01, 0x03, ILP_NAME_0, ILP_NAME_1, ILP_NAME_2, 0x00]);

/** Hot path: a Message/Response carrying exactly one `ilp` protocol data entry — one allocation. */
export function encodeBtpIlpFrame(
  type: BtpPacketType.Message | BtpPacketType.Response,
  requestId: number,
  ilp: Buffer,
): Buffer {
  if (type !== BtpPacketType.Message && type !== BtpPacketType.Response) {
    throw badInput('btp.type', `expected Message (6) or Response (1), got ${String(type)}`);
  }
  checkRequestId(requestId);
  if (!Buffer.isBuffer(ilp)) throw badInput('btp.protocolData[0].data', 'expected a Buffer');
  const contentLength = ILP_ENTRY_PREFIX.length + lengthPrefixSize(ilp.length) + ilp.length;
  const out = Buffer.allocUnsafe(HEADER_LENGTH + lengthPrefixSize(contentLength) + contentLength);
  out[0] = type;
  out.writeUInt32BE(requestId, 1);
  let pos = writeLengthAt(out, HEADER_LENGTH, contentLength);
  out.set(ILP_ENTRY_PREFIX, pos);
  pos = writeLengthAt(out, pos + ILP_ENTRY_PREFIX.length, ilp.length);
  out.set(ilp, pos);
  return out;
}
