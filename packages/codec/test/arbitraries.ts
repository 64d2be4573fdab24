import fc from 'fast-check';
import {
  BtpPacket,
  BtpPacketType,
  BtpProtocolData,
  CcpMode,
  CcpRoute,
  CcpRouteControlRequest,
  CcpRouteProp,
  CcpRouteUpdateRequest,
  IldcpResponse,
  IlpFulfill,
  IlpPrepare,
  IlpReject,
  MAX_TIME_MS,
} from '@ilpd/codec';

/** Factories of valid values for property tests; every generated value is accepted by the reference stack. */

export const bytes = (maxLength: number, minLength = 0): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a));

/** Mostly small payloads, sometimes big enough to need a 2- or 3-byte length prefix. */
export const payload: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 30, arbitrary: bytes(130) },
  { weight: 10, arbitrary: bytes(1100) },
  { weight: 1, arbitrary: fc.integer({ min: 65530, max: 66000 }).map((n) => Buffer.alloc(n, n & 0xff)) },
);

/** ILP `data`: mostly small, sometimes at or near RFC 27's bound of 32,767 bytes (MAX_ILP_DATA_BYTES). */
export const ilpData: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 30, arbitrary: bytes(130) },
  { weight: 10, arbitrary: bytes(1100) },
  { weight: 1, arbitrary: fc.integer({ min: 32_700, max: 32_767 }).map((n) => Buffer.alloc(n, n & 0xff)) },
);

/** Deep copy with every Buffer replaced by its hex: jest compares large Buffers byte by byte, slowly. */
export function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `hex:${value.toString('hex')}`;
  if (value instanceof Date || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(plain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
}

const segmentChar = fc.constantFrom(
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_~-'.split(''),
);
const segment = fc.string({ unit: segmentChar, minLength: 1, maxLength: 24 });
const scheme = fc.constantFrom(
  'g',
  'private',
  'example',
  'peer',
  'self',
  'test',
  'test1',
  'test2',
  'test3',
  'local',
);

export const ilpAddress: fc.Arbitrary<string> = fc
  .tuple(scheme, fc.array(segment, { minLength: 1, maxLength: 5 }))
  .map(([s, segs]) => [s, ...segs].join('.'));

/** IA5 text (7-bit). */
export const ia5String = (maxLength: number, minLength = 0): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary-ascii', minLength, maxLength });

export const utf8String = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: 'grapheme', maxLength });

/**
 * Years 1000-9999, never the epoch itself: the reference ilp-packet does not zero-pad years below 1000
 * and rejects 1970-01-01T00:00:00.000Z as an "invalid date" (it tests `!date.valueOf()`).
 */
export const interledgerDate: fc.Arbitrary<Date> = fc
  .integer({ min: Date.UTC(1000, 0, 1), max: MAX_TIME_MS })
  .filter((ms) => ms !== 0)
  .map((ms) => new Date(ms));

export const uint64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.constantFrom(0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n),
);

export const prepare: fc.Arbitrary<IlpPrepare> = fc.record({
  amount: uint64,
  expiresAt: interledgerDate,
  executionCondition: bytes(32, 32),
  destination: ilpAddress,
  data: ilpData,
});

export const fulfill: fc.Arbitrary<IlpFulfill> = fc.record({ fulfillment: bytes(32, 32), data: ilpData });

export const reject: fc.Arbitrary<IlpReject> = fc.record({
  code: fc.oneof(fc.constantFrom('F00', 'F02', 'F08', 'T04', 'R00', 'F99'), ia5String(3, 3)),
  triggeredBy: fc.oneof(fc.constant(''), ilpAddress),
  message: utf8String(200),
  data: ilpData,
});

export const protocolData: fc.Arbitrary<BtpProtocolData[]> = fc.array(
  fc.record({
    // btp-packet caches names in a plain object, so names like 'valueOf' break the reference encoder.
    protocolName: fc.oneof(
      fc.constantFrom('ilp', 'auth', 'auth_token', 'auth_username'),
      ia5String(40).filter((name) => !(name in Object.prototype)),
    ),
    contentType: fc.integer({ min: 0, max: 255 }),
    data: payload,
  }),
  { maxLength: 5 },
);

const requestId = fc.integer({ min: 0, max: 0xffffffff });

/** BTP error timestamps in years 1000-9999 (dateformat writes them as YYYYMMDDHHmmss.SSSZ). */
export const btpPacket: fc.Arbitrary<BtpPacket> = fc.oneof(
  fc.record({ type: fc.constant(BtpPacketType.Response as const), requestId, protocolData }),
  fc.record({ type: fc.constant(BtpPacketType.Message as const), requestId, protocolData }),
  fc.record({ type: fc.constant(BtpPacketType.Transfer as const), requestId, amount: uint64, protocolData }),
  fc.record({
    type: fc.constant(BtpPacketType.Error as const),
    requestId,
    code: ia5String(3, 3),
    name: ia5String(40),
    triggeredAt: interledgerDate,
    data: payload,
    protocolData,
  }),
);

export const ildcpResponse: fc.Arbitrary<IldcpResponse> = fc.record({
  clientAddress: ilpAddress,
  assetScale: fc.integer({ min: 0, max: 255 }),
  assetCode: utf8String(12),
});

export const uuid: fc.Arbitrary<string> = fc.uuid();

export const routeControl: fc.Arbitrary<CcpRouteControlRequest> = fc.record({
  mode: fc.constantFrom(CcpMode.Idle, CcpMode.Sync),
  lastKnownRoutingTableId: uuid,
  lastKnownEpoch: fc.integer({ min: 0, max: 0xffffffff }),
  features: fc.array(utf8String(20), { maxLength: 4 }),
});

/** Route props in the normalised shape ilp-protocol-ccp writes (non-optional ⇒ transitive, etc.). */
export const routeProp: fc.Arbitrary<CcpRouteProp> = fc
  .record({
    isOptional: fc.boolean(),
    isTransitive: fc.boolean(),
    isPartial: fc.boolean(),
    id: fc.integer({ min: 0, max: 0xffff }),
    isUtf8: fc.boolean(),
    text: utf8String(30),
    raw: bytes(40),
  })
  .map(({ isOptional, isTransitive, isPartial, id, isUtf8, text, raw }) => ({
    isOptional,
    isTransitive: isOptional ? isTransitive : true,
    isPartial: isOptional && isTransitive ? isPartial : false,
    id,
    isUtf8,
    value: isUtf8 ? text : raw,
  }));

export const route: fc.Arbitrary<CcpRoute> = fc.record({
  prefix: ilpAddress,
  path: fc.array(ilpAddress, { maxLength: 4 }),
  auth: bytes(32, 32),
  props: fc.array(routeProp, { maxLength: 3 }),
});

export const routeUpdate: fc.Arbitrary<CcpRouteUpdateRequest> = fc.record({
  speaker: ilpAddress,
  routingTableId: uuid,
  holdDownTime: fc.integer({ min: 0, max: 0xffffffff }),
  currentEpochIndex: fc.integer({ min: 0, max: 0xffffffff }),
  fromEpochIndex: fc.integer({ min: 0, max: 0xffffffff }),
  toEpochIndex: fc.integer({ min: 0, max: 0xffffffff }),
  newRoutes: fc.array(route, { maxLength: 4 }),
  withdrawnRoutes: fc.array(ilpAddress, { maxLength: 4 }),
});
