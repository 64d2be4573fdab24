import fc from 'fast-check';
import btpVectors from './vectors/btp.json';
import prepareExample from './vectors/ilp_prepare_example01.json';
import {
  BtpPacketType,
  encodeBtp,
  encodeBtpIlpFrame,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  packetFromJson,
  packetToJson,
} from '@ilpd/codec';
import { caught } from './support/caught';
import { btpPacket, fulfill, prepare, reject } from './arbitraries';

const prepareBytes = Buffer.from(prepareExample.binary, 'hex');

describe('packetToJson', () => {
  it('prints a Prepare in the ilp-packet fixture style', () => {
    expect(packetToJson(prepareBytes)).toEqual({ type: 'prepare', ...prepareExample.json });
  });

  it('prints BTP frames with base64 protocol data', () => {
    const json = packetToJson(Buffer.from(btpVectors.vectors[3].hex, 'hex'));
    expect(json).toEqual({
      type: 'btp.transfer',
      requestId: 1,
      amount: '100',
      protocolData: [
        { protocolName: 'ilp', contentType: 0, data: '' },
        { protocolName: 'foo', contentType: 0, data: 'YmFy' },
        { protocolName: 'beep', contentType: 1, data: 'Ym9vcA==' },
        { protocolName: 'json', contentType: 2, data: 'e30=' },
      ],
    });
  });

  it('decodes the ILP packet inside ilp protocol data', () => {
    const json = packetToJson(encodeBtpIlpFrame(BtpPacketType.Message, 9, prepareBytes));
    expect(json).toEqual({
      type: 'btp.message',
      requestId: 9,
      protocolData: [
        {
          protocolName: 'ilp',
          contentType: 0,
          data: prepareBytes.toString('base64'),
          ilp: { type: 'prepare', ...prepareExample.json },
        },
      ],
    });
  });

  it('shows undecodable ilp data as base64 only', () => {
    const json = packetToJson(encodeBtpIlpFrame(BtpPacketType.Response, 1, Buffer.from([12, 1])));
    expect(json.protocolData).toEqual([{ protocolName: 'ilp', contentType: 0, data: 'DAE=' }]);
  });

  it('rejects unknown types and empty input', () => {
    expect(caught(() => packetToJson(Buffer.from([99]))).code).toBe('ILPD_CODEC_UNKNOWN_TYPE');
    expect(caught(() => packetToJson(Buffer.alloc(0))).code).toBe('ILPD_CODEC_TRUNCATED');
  });
});

describe('packetFromJson', () => {
  it('accepts everything packetToJson prints (ILP and BTP)', () => {
    const anyPacket = fc.oneof(
      prepare.map(encodePrepare),
      fulfill.map(encodeFulfill),
      reject.map(encodeReject),
      btpPacket.map(encodeBtp),
      prepare.map((p) => encodeBtpIlpFrame(BtpPacketType.Message, 1, encodePrepare(p))),
      reject.map((r) => encodeBtpIlpFrame(BtpPacketType.Response, 2, encodeReject(r))),
    );
    fc.assert(
      fc.property(anyPacket, (buf) => {
        const json = JSON.parse(JSON.stringify(packetToJson(buf)));
        expect(packetFromJson(json).equals(buf)).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('encodes from a hand-edited ilp field when data is removed', () => {
    const json = packetToJson(encodeBtpIlpFrame(BtpPacketType.Message, 9, prepareBytes)) as {
      protocolData: Record<string, unknown>[];
    };
    const entry = json.protocolData[0];
    delete entry.data;
    (entry.ilp as Record<string, unknown>).amount = '5';
    const out = packetToJson(packetFromJson(json)) as { protocolData: { ilp: { amount: string } }[] };
    expect(out.protocolData[0].ilp.amount).toBe('5');
  });

  it.each([
    [{ ...prepareExample.json, type: 'prepare', amount: -5 }, 'amount', 'expected a decimal string'],
    [{ ...prepareExample.json, type: 'prepare', amount: '18446744073709551616' }, 'amount', 'exceeds'],
    [{ ...prepareExample.json, type: 'prepare', expiresAt: 'tomorrow' }, 'expiresAt', 'ISO-8601'],
    [{ ...prepareExample.json, type: 'prepare', data: 'not base64!' }, 'data', 'base64'],
    [
      { ...prepareExample.json, type: 'prepare', destination: 'nowhere' },
      'prepare.destination',
      'ILP address',
    ],
    [
      { ...prepareExample.json, type: 'prepare', executionCondition: 'AAAA' },
      'prepare.executionCondition',
      '32',
    ],
    [{ ...prepareExample.json, type: 'prepare', amout: '1' }, 'amout', 'unknown field'],
    [{ ...prepareExample.json, type: 'preparee' }, 'type', 'expected one of'],
    [{ type: 'btp.message', requestId: -1, protocolData: [] }, 'requestId', 'integer'],
    [{ type: 'btp.message', requestId: 1, protocolData: {} }, 'protocolData', 'array'],
    [
      {
        type: 'btp.message',
        requestId: 1,
        protocolData: [{ protocolName: 'x', contentType: 300, data: '' }],
      },
      'protocolData[0].contentType',
      'integer in 0..255',
    ],
    [
      {
        type: 'btp.message',
        requestId: 1,
        protocolData: [{ protocolName: 'ilp', contentType: 0, ilp: { type: 'btp.message' } }],
      },
      'protocolData[0].ilp.type',
      'expected one of prepare, fulfill, reject',
    ],
    [[1, 2], 'packet', 'JSON object'],
  ])('names the bad field in %j', (json, field, text) => {
    const err = caught(() => packetFromJson(json));
    expect(err.field).toBe(field);
    expect(err.message).toContain(text);
  });
});
