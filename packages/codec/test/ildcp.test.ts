import { createHash } from 'crypto';
import {
  ILDCP_CONDITION,
  ILDCP_DESTINATION,
  ILDCP_FULFILLMENT,
  decodeFulfill,
  decodeIldcpResponse,
  decodePrepare,
  encodeFulfill,
  encodeIldcpRequest,
  encodeIldcpResponse,
  encodePrepare,
  isCodecError,
  isIldcpRequest,
} from '@ilpd/codec';

describe('ILDCP', () => {
  it('uses sha256 of 32 zero bytes as the condition', () => {
    expect(ILDCP_FULFILLMENT.equals(Buffer.alloc(32))).toBe(true);
    expect(createHash('sha256').update(ILDCP_FULFILLMENT).digest().equals(ILDCP_CONDITION)).toBe(true);
  });

  it('builds a zero-amount request to peer.config expiring in 60 s by default', () => {
    const before = Date.now();
    const view = decodePrepare(encodeIldcpRequest());
    expect(view.destination).toBe(ILDCP_DESTINATION);
    expect(view.amount).toBe(0n);
    expect(view.data.length).toBe(0);
    expect(view.expiresAtMs).toBeGreaterThanOrEqual(before + 59_000);
    expect(isIldcpRequest(view)).toBe(true);
    const fixed = new Date('2030-01-01T00:00:00.000Z');
    expect(decodePrepare(encodeIldcpRequest(fixed)).expiresAt).toEqual(fixed);
  });

  it('does not mistake other Prepares for ILDCP requests', () => {
    const base = {
      amount: 0n,
      expiresAt: new Date(),
      executionCondition: ILDCP_CONDITION,
      destination: 'peer.config',
      data: Buffer.alloc(0),
    };
    expect(isIldcpRequest(decodePrepare(encodePrepare({ ...base, destination: 'peer.configx' })))).toBe(
      false,
    );
    expect(
      isIldcpRequest(decodePrepare(encodePrepare({ ...base, executionCondition: Buffer.alloc(32) }))),
    ).toBe(false);
  });

  it('round-trips a response from a Buffer and from a view', () => {
    const response = { clientAddress: 'g.parent.child', assetScale: 9, assetCode: 'XRP' };
    const buf = encodeIldcpResponse(response);
    expect(decodeIldcpResponse(buf)).toEqual(response);
    expect(decodeIldcpResponse(decodeFulfill(buf))).toEqual(response);
  });

  it('rejects a response with the wrong fulfillment or a bad address', () => {
    const wrong = encodeFulfill({
      fulfillment: Buffer.alloc(32, 1),
      data: Buffer.from([5, 0x67, 0x2e, 0x61, 0x62, 0x63, 9, 0]),
    });
    expect(() => decodeIldcpResponse(wrong)).toThrow(expect.objectContaining({ field: 'ildcp.fulfillment' }));
    const badAddress = encodeFulfill({
      fulfillment: Buffer.alloc(32),
      data: Buffer.from([3, 0x61, 0x62, 0x63, 9, 0]),
    });
    expect(() => decodeIldcpResponse(badAddress)).toThrow(
      expect.objectContaining({ field: 'ildcp.clientAddress' }),
    );
    expect(() => encodeIldcpResponse({ clientAddress: 'nope', assetScale: 1, assetCode: 'X' })).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_INVALID_VALUE' }),
    );
    expect(() => encodeIldcpResponse({ clientAddress: 'g.a', assetScale: 256, assetCode: 'X' })).toThrow(
      expect.objectContaining({ code: 'ILPD_CODEC_TOO_LARGE' }),
    );
  });

  it('reports truncated response data as a codec error', () => {
    const truncated = encodeFulfill({
      fulfillment: Buffer.alloc(32),
      data: Buffer.from([3, 0x67, 0x2e, 0x61]),
    });
    try {
      decodeIldcpResponse(truncated);
      throw new Error('expected failure');
    } catch (e) {
      expect(isCodecError(e)).toBe(true);
    }
  });
});
