import { CodecError, badInput, tooLarge, truncated } from './errors';
import { BtpPacket, BtpPacketType, BtpProtocolData, decodeBtp, encodeBtp } from './btp';
import {
  IlpPacketType,
  decodeFulfill,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
} from './ilp';

/**
 * JSON form of ILP and BTP packets for operators (`ilpd packet decode|encode`), in the style of the
 * ilp-packet fixtures: amounts as decimal strings, buffers as base64, times as ISO-8601, plus a `type`.
 * An `ilp` protocol data entry also carries its ILP packet decoded under `ilp`.
 */
export type PacketJsonType =
  'prepare' | 'fulfill' | 'reject' | 'btp.response' | 'btp.error' | 'btp.message' | 'btp.transfer';

const BTP_TYPE_NAMES: Record<number, PacketJsonType> = {
  [BtpPacketType.Response]: 'btp.response',
  [BtpPacketType.Error]: 'btp.error',
  [BtpPacketType.Message]: 'btp.message',
  [BtpPacketType.Transfer]: 'btp.transfer',
};

function ilpToJson(buf: Buffer): Record<string, unknown> {
  switch (buf[0]) {
    case IlpPacketType.Prepare: {
      const p = decodePrepare(buf);
      return {
        type: 'prepare',
        amount: p.amount.toString(),
        executionCondition: p.executionCondition.toString('base64'),
        expiresAt: p.expiresAt.toISOString(),
        destination: p.destination,
        data: p.data.toString('base64'),
      };
    }
    case IlpPacketType.Fulfill: {
      const f = decodeFulfill(buf);
      return {
        type: 'fulfill',
        fulfillment: f.fulfillment.toString('base64'),
        data: f.data.toString('base64'),
      };
    }
    default: {
      const r = decodeReject(buf);
      return {
        type: 'reject',
        code: r.code,
        triggeredBy: r.triggeredBy,
        message: r.message,
        data: r.data.toString('base64'),
      };
    }
  }
}

function protocolDataToJson(entries: BtpProtocolData[]): Record<string, unknown>[] {
  return entries.map((e) => {
    const json: Record<string, unknown> = {
      protocolName: e.protocolName,
      contentType: e.contentType,
      data: e.data.toString('base64'),
    };
    if (e.protocolName === 'ilp' && isIlpType(e.data[0])) {
      // A debugging aid: show the ILP packet when it decodes; the base64 data stays authoritative.
      try {
        json.ilp = ilpToJson(e.data);
      } catch {
        // undecodable ILP data is shown as base64 only
      }
    }
    return json;
  });
}

function isIlpType(type: number | undefined): boolean {
  return type === IlpPacketType.Prepare || type === IlpPacketType.Fulfill || type === IlpPacketType.Reject;
}

/** Decodes an ILP (type 12/13/14) or BTP (type 1/2/6/7) packet into its JSON form. */
export function packetToJson(buf: Buffer): Record<string, unknown> {
  if (buf.length === 0) throw truncated('packet.type', 0, 1, 0);
  if (isIlpType(buf[0])) return ilpToJson(buf);
  if (BTP_TYPE_NAMES[buf[0]] === undefined) {
    throw new CodecError(
      'ILPD_CODEC_UNKNOWN_TYPE',
      'packet.type',
      0,
      `type ${buf[0]} is neither ILP (12, 13, 14) nor BTP (1, 2, 6, 7)`,
    );
  }
  const p = decodeBtp(buf);
  const json: Record<string, unknown> = { type: BTP_TYPE_NAMES[p.type], requestId: p.requestId };
  if (p.type === BtpPacketType.Transfer) json.amount = p.amount.toString();
  if (p.type === BtpPacketType.Error) {
    json.code = p.code;
    json.name = p.name;
    json.triggeredAt = p.triggeredAt.toISOString();
    json.data = p.data.toString('base64');
  }
  json.protocolData = protocolDataToJson(p.protocolData);
  return json;
}

// ---- JSON → bytes -------------------------------------------------------------------------------

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_UINT64 = 0xffffffffffffffffn;

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : String(v);
}

/** Reads fields of one JSON object, naming the path of any bad field. */
class JsonFields {
  private readonly seen = new Set<string>(['type']);

  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly path: string,
  ) {}

  private field(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    return this.obj[key];
  }

  string(key: string): string {
    const v = this.raw(key);
    if (typeof v !== 'string') throw badInput(this.field(key), `expected a string, got ${show(v)}`);
    return v;
  }

  base64(key: string): Buffer {
    const v = this.raw(key);
    if (typeof v !== 'string' || !BASE64.test(v)) {
      throw badInput(this.field(key), `expected base64, got ${show(v)}`);
    }
    return Buffer.from(v, 'base64');
  }

  uint64(key: string): bigint {
    const v = this.raw(key);
    if (typeof v !== 'string' || !DECIMAL.test(v)) {
      throw badInput(this.field(key), `expected a decimal string such as "1000", got ${show(v)}`);
    }
    const n = BigInt(v);
    if (n > MAX_UINT64) throw tooLarge(this.field(key), `${v} exceeds the UInt64 maximum ${MAX_UINT64}`);
    return n;
  }

  integer(key: string, max: number): number {
    const v = this.raw(key);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
      throw badInput(this.field(key), `expected an integer in 0..${max}, got ${show(v)}`);
    }
    return v;
  }

  date(key: string): Date {
    const v = this.raw(key);
    const ms = typeof v === 'string' && ISO_8601.test(v) ? Date.parse(v) : NaN;
    if (Number.isNaN(ms)) {
      throw badInput(
        this.field(key),
        `expected an ISO-8601 time such as "2030-01-01T00:00:00.000Z", got ${show(v)}`,
      );
    }
    return new Date(ms);
  }

  array(key: string): unknown[] {
    const v = this.raw(key);
    if (!Array.isArray(v)) throw badInput(this.field(key), `expected an array, got ${show(v)}`);
    return v;
  }

  /** Rejects keys nobody read: a typo must not be silently dropped. */
  done(): void {
    for (const key of Object.keys(this.obj)) {
      if (!this.seen.has(key)) throw badInput(this.field(key), 'unknown field');
    }
  }
}

function asObject(json: unknown, path: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw badInput(path || 'packet', `expected a JSON object, got ${show(json)}`);
  }
  return json as Record<string, unknown>;
}

function ilpFromJson(type: string, f: JsonFields): Buffer {
  let out: Buffer;
  if (type === 'prepare') {
    out = encodePrepare({
      amount: f.uint64('amount'),
      executionCondition: f.base64('executionCondition'),
      expiresAt: f.date('expiresAt'),
      destination: f.string('destination'),
      data: f.base64('data'),
    });
  } else if (type === 'fulfill') {
    out = encodeFulfill({ fulfillment: f.base64('fulfillment'), data: f.base64('data') });
  } else {
    out = encodeReject({
      code: f.string('code'),
      triggeredBy: f.string('triggeredBy'),
      message: f.string('message'),
      data: f.base64('data'),
    });
  }
  f.done();
  return out;
}

function protocolDataFromJson(list: unknown[], path: string): BtpProtocolData[] {
  return list.map((item, i) => {
    const entryPath = `${path}[${i}]`;
    const f = new JsonFields(asObject(item, entryPath), entryPath);
    const protocolName = f.string('protocolName');
    const contentType = f.integer('contentType', 255);
    let data: Buffer;
    if (f.has('ilp')) {
      data = fromJson(f.raw('ilp'), `${entryPath}.ilp`, true);
      if (f.has('data') && !f.base64('data').equals(data)) {
        throw badInput(`${entryPath}.data`, "disagrees with 'ilp'; remove 'data' to encode from 'ilp'");
      }
    } else {
      data = f.base64('data');
    }
    f.done();
    return { protocolName, contentType, data };
  });
}

function btpFromJson(type: string, f: JsonFields): Buffer {
  const requestId = f.integer('requestId', 0xffffffff);
  let packet: BtpPacket;
  if (type === 'btp.transfer') {
    const amount = f.uint64('amount');
    packet = {
      type: BtpPacketType.Transfer,
      requestId,
      amount,
      protocolData: protocolDataFromJson(f.array('protocolData'), 'protocolData'),
    };
  } else if (type === 'btp.error') {
    packet = {
      type: BtpPacketType.Error,
      requestId,
      code: f.string('code'),
      name: f.string('name'),
      triggeredAt: f.date('triggeredAt'),
      data: f.base64('data'),
      protocolData: protocolDataFromJson(f.array('protocolData'), 'protocolData'),
    };
  } else {
    packet = {
      type: type === 'btp.message' ? BtpPacketType.Message : BtpPacketType.Response,
      requestId,
      protocolData: protocolDataFromJson(f.array('protocolData'), 'protocolData'),
    };
  }
  f.done();
  return encodeBtp(packet);
}

function fromJson(json: unknown, path: string, ilpOnly: boolean): Buffer {
  const obj = asObject(json, path);
  const f = new JsonFields(obj, path);
  const type = obj.type;
  const typeField = path ? `${path}.type` : 'type';
  const ilpTypes = ['prepare', 'fulfill', 'reject'];
  const allTypes = [...ilpTypes, ...Object.values(BTP_TYPE_NAMES)];
  const allowed = ilpOnly ? ilpTypes : allTypes;
  if (typeof type !== 'string' || !allowed.includes(type)) {
    throw badInput(typeField, `expected one of ${allowed.join(', ')}; got ${show(type)}`);
  }
  return ilpTypes.includes(type) ? ilpFromJson(type, f) : btpFromJson(type, f);
}

/** Encodes the JSON form printed by `packetToJson`; bad fields throw CodecError naming their path. */
export function packetFromJson(json: unknown): Buffer {
  return fromJson(json, '', false);
}
