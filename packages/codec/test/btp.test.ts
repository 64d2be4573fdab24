import vectors from './vectors/btp.json';
import {
  BtpPacket,
  BtpPacketType,
  BtpProtocolData,
  decodeBtp,
  encodeBtp,
  encodeBtpIlpFrame,
  findBtpIlpData,
  peekBtpHeader,
} from '@ilpd/codec';
import { caught } from './support/caught';

const fixtureProtocolData: BtpProtocolData[] = vectors.protocolData.map((p) => ({
  protocolName: p.protocolName,
  contentType: p.contentType,
  data: Buffer.from(p.dataHex, 'hex'),
}));

function expectedPacket(v: (typeof vectors.vectors)[number]): BtpPacket {
  const d = v.decoded as Record<string, unknown>;
  const base = { requestId: d.requestId as number, protocolData: fixtureProtocolData };
  switch (d.type) {
    case BtpPacketType.Error:
      return {
        ...base,
        type: BtpPacketType.Error,
        code: d.code as string,
        name: d.name as string,
        triggeredAt: new Date(d.triggeredAt as string),
        data: Buffer.from(d.dataHex as string, 'hex'),
      };
    case BtpPacketType.Transfer:
      return { ...base, type: BtpPacketType.Transfer, amount: BigInt(d.amount as string) };
    case BtpPacketType.Message:
      return { ...base, type: BtpPacketType.Message };
    default:
      return { ...base, type: BtpPacketType.Response };
  }
}

describe('BTP fixtures (btp-packet test suite)', () => {
  it.each(vectors.vectors.map((v) => [v.name, v] as const))(
    'decodes and re-encodes %s exactly',
    (_name, v) => {
      const buf = Buffer.from(v.hex, 'hex');
      const decoded = decodeBtp(buf);
      expect(decoded).toEqual(expectedPacket(v));
      expect(encodeBtp(decoded).toString('hex')).toBe(v.hex);
      expect(encodeBtp(expectedPacket(v)).toString('hex')).toBe(v.hex);
    },
  );

  it.each(vectors.vectors.map((v) => [v.name, v] as const))(
    'finds the ilp protocol data of %s',
    (_name, v) => {
      const buf = Buffer.from(v.hex, 'hex');
      const ilp = findBtpIlpData(buf);
      expect(ilp).toBeDefined();
      expect(ilp?.length).toBe(0);
      expect(ilp?.buffer).toBe(buf.buffer);
    },
  );
});

describe('BTP hot-path helpers', () => {
  const ilp = Buffer.from('0c0102', 'hex');

  it('peeks type and requestId in place', () => {
    const frame = encodeBtpIlpFrame(BtpPacketType.Message, 0xdeadbeef, ilp);
    expect(peekBtpHeader(frame)).toEqual({ type: BtpPacketType.Message, requestId: 0xdeadbeef });
    expect(caught(() => peekBtpHeader(Buffer.from([6, 0, 0]))).code).toBe('ILPD_CODEC_TRUNCATED');
  });

  it('encodes an ilp frame byte-identical to the general encoder', () => {
    for (const type of [BtpPacketType.Message, BtpPacketType.Response] as const) {
      for (const data of [ilp, Buffer.alloc(200, 5), Buffer.alloc(70000, 6)]) {
        const frame = encodeBtpIlpFrame(type, 42, data);
        const general = encodeBtp({
          type,
          requestId: 42,
          protocolData: [{ protocolName: 'ilp', contentType: 0, data }],
        });
        expect(frame.equals(general)).toBe(true);
        expect(findBtpIlpData(frame)?.equals(data)).toBe(true);
      }
    }
  });

  it('returns the first ilp entry among others and undefined without one', () => {
    const frame = encodeBtp({
      type: BtpPacketType.Message,
      requestId: 1,
      protocolData: [
        { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
        { protocolName: 'ilp', contentType: 0, data: ilp },
        { protocolName: 'ilp', contentType: 0, data: Buffer.from([9]) },
      ],
    });
    expect(findBtpIlpData(frame)?.equals(ilp)).toBe(true);
    const without = encodeBtp({
      type: BtpPacketType.Response,
      requestId: 1,
      protocolData: [{ protocolName: 'ilpx', contentType: 0, data: ilp }],
    });
    expect(findBtpIlpData(without)).toBeUndefined();
  });

  it('finds ilp data in transfer and error frames', () => {
    const protocolData = [{ protocolName: 'ilp', contentType: 0, data: ilp }];
    const transfer = encodeBtp({ type: BtpPacketType.Transfer, requestId: 3, amount: 5n, protocolData });
    expect(findBtpIlpData(transfer)?.equals(ilp)).toBe(true);
    const error = encodeBtp({
      type: BtpPacketType.Error,
      requestId: 3,
      code: 'F00',
      name: 'NotAcceptedError',
      triggeredAt: new Date(),
      data: Buffer.from('x'),
      protocolData,
    });
    expect(findBtpIlpData(error)?.equals(ilp)).toBe(true);
  });

  it('rejects malformed frames instead of returning data', () => {
    const frame = encodeBtpIlpFrame(BtpPacketType.Message, 1, ilp);
    expect(caught(() => findBtpIlpData(Buffer.concat([frame, Buffer.from([0])]))).code).toBe(
      'ILPD_CODEC_TRAILING_BYTES',
    );
    expect(caught(() => findBtpIlpData(frame.subarray(0, frame.length - 1))).code).toBe(
      'ILPD_CODEC_INVALID_LENGTH',
    );
    const badType = Buffer.from(frame);
    badType[0] = 3;
    expect(caught(() => findBtpIlpData(badType)).code).toBe('ILPD_CODEC_UNKNOWN_TYPE');
  });

  it('validates encodeBtpIlpFrame arguments', () => {
    expect(caught(() => encodeBtpIlpFrame(BtpPacketType.Message, -1, ilp)).field).toBe('btp.requestId');
    expect(caught(() => encodeBtpIlpFrame(BtpPacketType.Message, 2 ** 32, ilp)).field).toBe('btp.requestId');
    expect(caught(() => encodeBtpIlpFrame(7 as BtpPacketType.Message, 1, ilp)).field).toBe('btp.type');
  });
});

describe('decodeBtp', () => {
  it('rejects an unknown frame type', () => {
    expect(caught(() => decodeBtp(Buffer.from([3, 0, 0, 0, 1, 2, 1, 0]))).code).toBe(
      'ILPD_CODEC_UNKNOWN_TYPE',
    );
  });

  it('fails fast when the protocol data count exceeds what the input can hold', () => {
    const frame = Buffer.from([6, 0, 0, 0, 1, 6, 0x04, 0x7f, 0xff, 0xff, 0xff, 0]);
    const err = caught(() => decodeBtp(frame));
    expect(err.code).toBe('ILPD_CODEC_INVALID_LENGTH');
    expect(err.field).toBe('btp.protocolData.count');
    expect(caught(() => findBtpIlpData(frame)).code).toBe('ILPD_CODEC_INVALID_LENGTH');
  });

  it('validates the error timestamp', () => {
    const good = encodeBtp({
      type: BtpPacketType.Error,
      requestId: 1,
      code: 'T00',
      name: 'x',
      triggeredAt: new Date('2017-08-28T18:32:00.000Z'),
      data: Buffer.alloc(0),
      protocolData: [],
    });
    const pos = good.indexOf('20170828');
    const bad = Buffer.from(good);
    bad.write('13', pos + 4, 'latin1');
    const err = caught(() => decodeBtp(bad));
    expect(err.code).toBe('ILPD_CODEC_INVALID_VALUE');
    expect(err.field).toBe('btp.error.triggeredAt');
  });

  it('accepts GeneralizedTime with a shorter or no fraction', () => {
    const contents = (ts: string): Buffer =>
      Buffer.concat([
        Buffer.from('T00'),
        Buffer.from([1]),
        Buffer.from('x'),
        Buffer.from([ts.length]),
        Buffer.from(ts),
        Buffer.from([0, 1, 0]),
      ]);
    for (const [ts, iso] of [
      ['20170828183200Z', '2017-08-28T18:32:00.000Z'],
      ['20170828183200.5Z', '2017-08-28T18:32:00.500Z'],
      ['20170828183200.25Z', '2017-08-28T18:32:00.250Z'],
    ]) {
      const c = contents(ts);
      const frame = Buffer.concat([Buffer.from([2, 0, 0, 0, 9, c.length]), c]);
      const decoded = decodeBtp(frame);
      expect(decoded.type === BtpPacketType.Error && decoded.triggeredAt.toISOString()).toBe(iso);
    }
  });

  it('validates encoder input', () => {
    expect(
      caught(() =>
        encodeBtp({
          type: BtpPacketType.Message,
          requestId: 1,
          protocolData: [{ protocolName: 'é', contentType: 0, data: Buffer.alloc(0) }],
        }),
      ).field,
    ).toBe('btp.protocolData[0].protocolName');
    expect(
      caught(() =>
        encodeBtp({
          type: BtpPacketType.Message,
          requestId: 1,
          protocolData: [{ protocolName: 'a', contentType: 256, data: Buffer.alloc(0) }],
        }),
      ).code,
    ).toBe('ILPD_CODEC_TOO_LARGE');
    expect(
      caught(() => encodeBtp({ type: 9, requestId: 1, protocolData: [] } as unknown as BtpPacket)).field,
    ).toBe('btp.type');
  });
});
