import fc from 'fast-check';
import * as Ildcp from 'ilp-protocol-ildcp';
import * as Ccp from 'ilp-protocol-ccp';
import * as IlpPacket from 'ilp-packet';
import {
  CCP_CONDITION,
  ILDCP_CONDITION,
  decodeIldcpResponse,
  decodePrepare,
  decodeRouteControlRequest,
  decodeRouteUpdateRequest,
  encodeCcpResponse,
  encodeIldcpRequest,
  encodeIldcpResponse,
  encodeRouteControlRequest,
  encodeRouteControlRequestData,
  encodeRouteUpdateRequest,
  encodeRouteUpdateRequestData,
} from '@ilpd/codec';
import { ildcpResponse, plain, routeControl, routeUpdate } from '../arbitraries';

/** Differential tests against ilp-protocol-ildcp and ilp-protocol-ccp. */
const RUNS = 1500;

describe('ILDCP vs ilp-protocol-ildcp', () => {
  it('uses the same peer-protocol condition', () => {
    const theirs = IlpPacket.deserializeIlpPrepare(Ildcp.serializeIldcpRequest({}));
    expect(theirs.executionCondition.equals(ILDCP_CONDITION)).toBe(true);
    expect(theirs.destination).toBe('peer.config');
  });

  it('encodes the same request bytes for the same expiry and the reference accepts ours', () => {
    const expiresAt = new Date(Date.now() + 30_000);
    const ours = encodeIldcpRequest(expiresAt);
    expect(ours.equals(Ildcp.serializeIldcpRequest({ expiresAt }))).toBe(true);
    expect(Ildcp.deserializeIldcpRequest(ours).expiresAt.getTime()).toBe(expiresAt.getTime());
  });

  it('responses: identical bytes and equal values both ways', () => {
    fc.assert(
      fc.property(ildcpResponse, (r) => {
        const ours = encodeIldcpResponse(r);
        const theirs = Ildcp.serializeIldcpResponse(r);
        expect(ours.equals(theirs)).toBe(true);
        expect(decodeIldcpResponse(theirs)).toEqual(r);
        expect(Ildcp.deserializeIldcpResponse(ours)).toEqual(r);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('CCP vs ilp-protocol-ccp', () => {
  it('uses the same condition and response', () => {
    expect(Ccp.PEER_PROTOCOL_CONDITION.equals(CCP_CONDITION)).toBe(true);
    expect(encodeCcpResponse().equals(Ccp.serializeCcpResponse())).toBe(true);
  });

  it('route control: identical payload bytes and equal values both ways', () => {
    fc.assert(
      fc.property(routeControl, (r) => {
        const payload = encodeRouteControlRequestData(r);
        const reference = { ...r, mode: r.mode as number as Ccp.Mode };
        expect(payload.equals(Ccp.serializeCcpRouteControlRequestPayload(reference))).toBe(true);
        const theirPrepare = Ccp.serializeCcpRouteControlRequest(reference);
        expect(decodeRouteControlRequest(decodePrepare(theirPrepare).data)).toEqual(r);
        const ourPrepare = encodeRouteControlRequest(r);
        expect(Ccp.deserializeCcpRouteControlRequest(ourPrepare)).toEqual(r);
      }),
      { numRuns: RUNS },
    );
  });

  it('route update: identical payload bytes and equal values both ways', () => {
    fc.assert(
      fc.property(routeUpdate, (r) => {
        const payload = encodeRouteUpdateRequestData(r);
        const reference = r as unknown as Ccp.CcpRouteUpdateRequest;
        expect(payload.equals(Ccp.serializeCcpRouteUpdateRequestPayload(reference))).toBe(true);
        const theirPrepare = Ccp.serializeCcpRouteUpdateRequest(reference);
        expect(plain(decodeRouteUpdateRequest(decodePrepare(theirPrepare).data))).toEqual(plain(r));
        const ourPrepare = encodeRouteUpdateRequest(r);
        expect(plain(Ccp.deserializeCcpRouteUpdateRequest(ourPrepare))).toEqual(plain(r));
      }),
      { numRuns: RUNS },
    );
  });
});
