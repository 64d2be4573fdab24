import fc from 'fast-check';
import * as Btp from 'btp-packet';
import {
  BtpPacket,
  BtpPacketType,
  decodeBtp,
  encodeBtp,
  encodeBtpIlpFrame,
  findBtpIlpData,
} from '@ilpd/codec';
import { btpPacket, bytes, plain } from '../arbitraries';

/** Differential tests against the reference btp-packet. */
const RUNS = 2000;

/** Our packet in btp-packet's `{ type, requestId, data }` shape. */
function toReference(p: BtpPacket): Btp.BtpPacket {
  switch (p.type) {
    case BtpPacketType.Transfer:
      return {
        type: Btp.Type.TYPE_TRANSFER,
        requestId: p.requestId,
        data: { amount: p.amount.toString(), protocolData: p.protocolData },
      };
    case BtpPacketType.Error:
      return {
        type: Btp.Type.TYPE_ERROR,
        requestId: p.requestId,
        data: {
          code: p.code,
          name: p.name,
          triggeredAt: p.triggeredAt,
          data: p.data as unknown as string,
          protocolData: p.protocolData,
        },
      } as Btp.BtpPacket;
    case BtpPacketType.Message:
      return { type: Btp.Type.TYPE_MESSAGE, requestId: p.requestId, data: { protocolData: p.protocolData } };
    default:
      return { type: Btp.Type.TYPE_RESPONSE, requestId: p.requestId, data: { protocolData: p.protocolData } };
  }
}

describe('BTP codec vs btp-packet', () => {
  it('encodes identical bytes and decodes to equal values both ways', () => {
    fc.assert(
      fc.property(btpPacket, (p) => {
        const ours = encodeBtp(p);
        const theirs = Btp.serialize(toReference(p));
        expect(ours.equals(theirs)).toBe(true);
        expect(plain(decodeBtp(theirs))).toEqual(plain(p));
        const back = Btp.deserialize(ours);
        expect(back.type).toBe(p.type);
        expect(back.requestId).toBe(p.requestId);
        const data = back.data as unknown as Record<string, unknown>;
        expect(plain(data.protocolData)).toEqual(plain(p.protocolData));
        if (p.type === BtpPacketType.Transfer) expect(data.amount).toBe(p.amount.toString());
        if (p.type === BtpPacketType.Error) {
          expect([data.code, data.name, (data.triggeredAt as Date).getTime(), data.data]).toEqual([
            p.code,
            p.name,
            p.triggeredAt.getTime(),
            p.data.toString('utf8'),
          ]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the hot-path ilp frame matches btp-packet and findBtpIlpData finds what it wrote', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BtpPacketType.Message as const, BtpPacketType.Response as const),
        fc.integer({ min: 0, max: 0xffffffff }),
        bytes(2000),
        (type, requestId, ilp) => {
          const ours = encodeBtpIlpFrame(type, requestId, ilp);
          const protocolData = [{ protocolName: 'ilp', contentType: 0, data: ilp }];
          const theirs =
            type === BtpPacketType.Message
              ? Btp.serializeMessage(requestId, protocolData)
              : Btp.serializeResponse(requestId, protocolData);
          expect(ours.equals(theirs)).toBe(true);
          expect(findBtpIlpData(theirs)?.equals(ilp)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('findBtpIlpData agrees with a full decode', () => {
    fc.assert(
      fc.property(btpPacket, (p) => {
        const buf = encodeBtp(p);
        const expected = p.protocolData.find((e) => e.protocolName === 'ilp')?.data;
        const found = findBtpIlpData(buf);
        if (expected === undefined) expect(found).toBeUndefined();
        else expect(found?.equals(expected)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});
