import fc from 'fast-check';
import {
  CodecErrorCode,
  OerReader,
  decodeAmountTooLargeData,
  decodeBtp,
  decodeFulfill,
  decodeIldcpResponse,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  decodeRouteControlRequest,
  decodeRouteUpdateRequest,
  encodeAmountTooLargeData,
  encodeBtp,
  encodeFulfill,
  encodeIldcpResponse,
  encodePrepare,
  encodeReject,
  encodeRouteControlRequest,
  encodeRouteControlRequestData,
  encodeRouteUpdateRequest,
  encodeRouteUpdateRequestData,
  findBtpIlpData,
  forwardPrepare,
  isCodecError,
  packetToJson,
  peekBtpHeader,
} from '@ilpd/codec';
import {
  btpPacket,
  fulfill,
  ildcpResponse,
  prepare,
  reject,
  routeControl,
  routeUpdate,
  uint64,
} from '../arbitraries';
import { corpusMutation } from './mutations';

/**
 * Every decoder is total: random bytes and mutations of valid packets either decode or throw a
 * CodecError with a stable code, a field and an in-range offset. Nothing else may escape.
 */
const RUNS = 2500;
const CODES: ReadonlySet<CodecErrorCode> = new Set<CodecErrorCode>([
  'ILPD_CODEC_TRUNCATED',
  'ILPD_CODEC_INVALID_LENGTH',
  'ILPD_CODEC_INVALID_VALUE',
  'ILPD_CODEC_UNKNOWN_TYPE',
  'ILPD_CODEC_TRAILING_BYTES',
]);

function sample<T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return fc.sample(arb, { numRuns: n, seed });
}

const prepareCorpus: Buffer[] = [
  ...sample(prepare, 40, 1).map(encodePrepare),
  ...sample(routeControl, 10, 4).map((r) => encodeRouteControlRequest(r)),
  ...sample(routeUpdate, 10, 5).map((r) => encodeRouteUpdateRequest(r)),
];
const fulfillCorpus: Buffer[] = sample(fulfill, 20, 2).map(encodeFulfill);
const rejectCorpus: Buffer[] = sample(reject, 20, 3).map(encodeReject);
const ildcpCorpus: Buffer[] = sample(ildcpResponse, 10, 6).map(encodeIldcpResponse);
/** Mutations start from every ILP packet kind, so type confusion is covered too. */
const ilpCorpus: Buffer[] = [...prepareCorpus, ...fulfillCorpus, ...rejectCorpus, ...ildcpCorpus];
const btpCorpus: Buffer[] = sample(btpPacket, 60, 7).map(encodeBtp);
const ccpControlCorpus: Buffer[] = sample(routeControl, 30, 8).map(encodeRouteControlRequestData);
const ccpUpdateCorpus: Buffer[] = sample(routeUpdate, 30, 9).map(encodeRouteUpdateRequestData);
const f08Corpus: Buffer[] = sample(fc.tuple(uint64, uint64), 10, 10).map(([a, b]) =>
  encodeAmountTooLargeData(a, b),
);

function touchPrepare(buf: Buffer): void {
  const v = decodePrepare(buf);
  void [v.amount, v.expiresAt, v.executionCondition, v.destination, v.destinationBytes, v.data];
  // Whatever decodes must re-encode to exactly the same bytes (the encoding is canonical).
  expect(encodePrepare(v).equals(buf)).toBe(true);
  expect(forwardPrepare(v, v.amount, v.expiresAtMs).equals(buf)).toBe(true);
}

function touchFulfill(buf: Buffer): void {
  const v = decodeFulfill(buf);
  expect(encodeFulfill(v).equals(buf)).toBe(true);
}

function touchReject(buf: Buffer): void {
  const v = decodeReject(buf);
  void [v.code, v.triggeredBy, v.message, v.data];
}

function readerWalk(buf: Buffer): void {
  const r = new OerReader(buf);
  while (r.remaining() > 0) {
    switch (r.readUInt8('op') % 8) {
      case 0:
        r.readVarUInt('varuint');
        break;
      case 1:
        r.readVarOctetString('octets');
        break;
      case 2:
        r.readVarIA5String('ia5');
        break;
      case 3:
        r.readUInt64('u64');
        break;
      case 4:
        r.readUInt32('u32');
        break;
      case 5:
        r.skipVarOctetString('skip');
        break;
      case 6:
        r.readOctetString(r.readUInt16('n'), 'fixed');
        break;
      default:
        r.readLengthPrefix('length');
    }
  }
  r.ensureEnd('end');
}

/** [name, decoder, inputs it must accept, inputs to mutate] */
const decoders: [string, (buf: Buffer) => void, Buffer[], Buffer[]][] = [
  ['decodePrepare', touchPrepare, prepareCorpus, ilpCorpus],
  ['decodeFulfill', touchFulfill, [...fulfillCorpus, ...ildcpCorpus], ilpCorpus],
  ['decodeReject', touchReject, rejectCorpus, ilpCorpus],
  ['decodeIlpPacket', (b) => void decodeIlpPacket(b), ilpCorpus, ilpCorpus],
  ['decodeIldcpResponse', (b) => void decodeIldcpResponse(b), ildcpCorpus, ilpCorpus],
  ['decodeBtp', (b) => void decodeBtp(b), btpCorpus, btpCorpus],
  ['findBtpIlpData', (b) => void findBtpIlpData(b), btpCorpus, btpCorpus],
  ['peekBtpHeader', (b) => void peekBtpHeader(b), btpCorpus, btpCorpus],
  ['decodeRouteControlRequest', (b) => void decodeRouteControlRequest(b), ccpControlCorpus, ccpControlCorpus],
  ['decodeRouteUpdateRequest', (b) => void decodeRouteUpdateRequest(b), ccpUpdateCorpus, ccpUpdateCorpus],
  ['decodeAmountTooLargeData', (b) => void decodeAmountTooLargeData(b), f08Corpus, f08Corpus],
  ['packetToJson', (b) => void packetToJson(b), [...ilpCorpus, ...btpCorpus], [...ilpCorpus, ...btpCorpus]],
  ['OerReader', readerWalk, [], [...ilpCorpus, ...ccpUpdateCorpus]],
];

function expectOnlyCodecErrors(decode: (buf: Buffer) => void, buf: Buffer): void {
  try {
    decode(buf);
  } catch (e) {
    if (!isCodecError(e)) throw e;
    expect(CODES.has(e.code)).toBe(true);
    expect(typeof e.field).toBe('string');
    expect(e.field.length).toBeGreaterThan(0);
    expect(Number.isInteger(e.offset) && e.offset >= 0 && e.offset <= buf.length).toBe(true);
  }
}

describe.each(decoders)('%s is total', (_name, decode, valid, corpus) => {
  it('accepts its valid corpus', () => {
    for (const buf of valid) expect(() => decode(buf)).not.toThrow();
  });

  it('throws only CodecError on mutations of valid input', () => {
    fc.assert(
      fc.property(corpusMutation(corpus), (buf) => expectOnlyCodecErrors(decode, buf)),
      { numRuns: RUNS },
    );
  });

  it('throws only CodecError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (a) => expectOnlyCodecErrors(decode, Buffer.from(a))),
      { numRuns: 1000 },
    );
  });
});

describe('hostile length prefixes', () => {
  /** A 4-byte length prefix claiming 2 GB (0x7fffffff) placed at each length field in turn. */
  const claim2GB = Buffer.from([0x84, 0x7f, 0xff, 0xff, 0xff]);

  const cases: [string, () => void, CodecErrorCode][] = [
    [
      'ILP envelope',
      () => decodeIlpPacket(Buffer.concat([Buffer.from([12]), claim2GB, Buffer.alloc(64)])),
      'ILPD_CODEC_INVALID_LENGTH',
    ],
    [
      'Prepare destination',
      () => {
        const contents = Buffer.concat([
          Buffer.alloc(8),
          Buffer.from('20300101000000000'),
          Buffer.alloc(32),
          claim2GB,
        ]);
        decodePrepare(Buffer.concat([Buffer.from([12, contents.length]), contents]));
      },
      'ILPD_CODEC_INVALID_LENGTH',
    ],
    [
      'BTP envelope',
      () => decodeBtp(Buffer.concat([Buffer.from([6, 0, 0, 0, 1]), claim2GB, Buffer.alloc(16)])),
      'ILPD_CODEC_INVALID_LENGTH',
    ],
    [
      'BTP envelope (hot path)',
      () => findBtpIlpData(Buffer.concat([Buffer.from([6, 0, 0, 0, 1]), claim2GB])),
      'ILPD_CODEC_INVALID_LENGTH',
    ],
    [
      'BTP protocol data',
      () => {
        const contents = Buffer.concat([
          Buffer.from([1, 1, 3]),
          Buffer.from('ilp'),
          Buffer.from([0]),
          claim2GB,
        ]);
        findBtpIlpData(Buffer.concat([Buffer.from([6, 0, 0, 0, 1, contents.length]), contents]));
      },
      'ILPD_CODEC_INVALID_LENGTH',
    ],
    [
      'OER var-octet-string',
      () => new OerReader(Buffer.concat([claim2GB, Buffer.alloc(8)])).readVarOctetString('x'),
      'ILPD_CODEC_INVALID_LENGTH',
    ],
  ];

  it.each(cases)('%s fails fast without allocating', (_name, run, code) => {
    const before = process.memoryUsage();
    for (let i = 0; i < 2000; i++) {
      try {
        run();
        throw new Error('expected a CodecError');
      } catch (e) {
        if (!isCodecError(e)) throw e;
        expect(e.code).toBe(code);
      }
    }
    const after = process.memoryUsage();
    // A single honoured 2 GB claim would show up here as external memory.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);
    expect(after.rss - before.rss).toBeLessThan(256 * 1024 * 1024);
  });
});
