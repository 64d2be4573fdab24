import { createHash } from 'crypto';
import {
  CCP_CONDITION,
  CCP_CONTROL_DESTINATION,
  CCP_FULFILLMENT,
  CCP_UPDATE_DESTINATION,
  CcpMode,
  CcpRouteUpdateRequest,
  decodeFulfill,
  decodePrepare,
  decodeRouteControlRequest,
  decodeRouteUpdateRequest,
  encodeCcpResponse,
  encodeRouteControlRequest,
  encodeRouteUpdateRequest,
} from '@ilpd/codec';

const update: CcpRouteUpdateRequest = {
  speaker: 'g.alice',
  routingTableId: '3b069822-a754-4e44-8a60-0f9f7084144d',
  holdDownTime: 45000,
  currentEpochIndex: 5,
  fromEpochIndex: 0,
  toEpochIndex: 5,
  newRoutes: [
    {
      prefix: 'g.alice.bob',
      path: ['g.alice'],
      auth: Buffer.alloc(32, 1),
      props: [
        { isOptional: false, isTransitive: true, isPartial: false, id: 9, isUtf8: true, value: 'hello' },
        {
          isOptional: true,
          isTransitive: true,
          isPartial: true,
          id: 1,
          isUtf8: false,
          value: Buffer.from([1, 2]),
        },
      ],
    },
  ],
  withdrawnRoutes: ['g.carol'],
};

describe('CCP', () => {
  it('shares the peer-protocol condition and fulfillment', () => {
    expect(createHash('sha256').update(CCP_FULFILLMENT).digest().equals(CCP_CONDITION)).toBe(true);
    const response = decodeFulfill(encodeCcpResponse());
    expect(response.fulfillment.equals(CCP_FULFILLMENT)).toBe(true);
    expect(response.data.length).toBe(0);
  });

  it('round-trips a route control request inside a Prepare', () => {
    const control = {
      mode: CcpMode.Sync,
      lastKnownRoutingTableId: '3b069822-a754-4e44-8a60-0f9f7084144d',
      lastKnownEpoch: 32,
      features: ['foo', 'bär'],
    };
    const view = decodePrepare(encodeRouteControlRequest(control, new Date('2030-01-01T00:00:00Z')));
    expect(view.destination).toBe(CCP_CONTROL_DESTINATION);
    expect(view.executionCondition.equals(CCP_CONDITION)).toBe(true);
    expect(view.amount).toBe(0n);
    expect(decodeRouteControlRequest(view.data)).toEqual(control);
  });

  it('round-trips a route update request inside a Prepare', () => {
    const view = decodePrepare(encodeRouteUpdateRequest(update));
    expect(view.destination).toBe(CCP_UPDATE_DESTINATION);
    expect(decodeRouteUpdateRequest(view.data)).toEqual(update);
  });

  it('normalises route prop meta bits like ilp-protocol-ccp', () => {
    const odd: CcpRouteUpdateRequest = {
      ...update,
      newRoutes: [
        {
          ...update.newRoutes[0],
          props: [
            {
              isOptional: false,
              isTransitive: false,
              isPartial: true,
              id: 1,
              isUtf8: false,
              value: Buffer.alloc(0),
            },
            {
              isOptional: true,
              isTransitive: false,
              isPartial: true,
              id: 2,
              isUtf8: false,
              value: Buffer.alloc(0),
            },
          ],
        },
      ],
    };
    const props = decodeRouteUpdateRequest(decodePrepare(encodeRouteUpdateRequest(odd)).data).newRoutes[0]
      .props;
    expect(props.map((p) => [p.isOptional, p.isTransitive, p.isPartial])).toEqual([
      [false, true, false],
      [true, false, false],
    ]);
  });

  it('rejects an unknown mode, a bad uuid and trailing bytes', () => {
    const control = {
      mode: CcpMode.Idle,
      lastKnownRoutingTableId: '3b069822-a754-4e44-8a60-0f9f7084144d',
      lastKnownEpoch: 0,
      features: [],
    };
    const data = decodePrepare(encodeRouteControlRequest(control)).data;
    const badMode = Buffer.from(data);
    badMode[0] = 2;
    expect(() => decodeRouteControlRequest(badMode)).toThrow(
      expect.objectContaining({ field: 'ccp.control.mode' }),
    );
    expect(() => decodeRouteControlRequest(Buffer.concat([data, Buffer.from([0])]))).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_TRAILING_BYTES' }),
    );
    expect(() => encodeRouteControlRequest({ ...control, lastKnownRoutingTableId: 'xyz' })).toThrow(
      expect.objectContaining({ field: 'ccp.control.lastKnownRoutingTableId' }),
    );
  });

  it('fails fast on a route count the input cannot hold', () => {
    const data = decodePrepare(
      encodeRouteUpdateRequest({ ...update, newRoutes: [], withdrawnRoutes: [] }),
    ).data;
    const countPos = 16 + 16 + 1 + update.speaker.length;
    const forged = Buffer.concat([
      data.subarray(0, countPos),
      Buffer.from([4, 0x7f, 0xff, 0xff, 0xff, 1, 0]),
    ]);
    expect(() => decodeRouteUpdateRequest(forged)).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_INVALID_LENGTH', field: 'ccp.update.newRoutes.count' }),
    );
  });
});
