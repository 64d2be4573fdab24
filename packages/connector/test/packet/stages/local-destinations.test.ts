import {
  CcpMode,
  decodeFulfill,
  decodeIldcpResponse,
  decodePrepare,
  encodeIldcpRequest,
  encodePrepare,
  encodeRouteControlRequest,
  encodeRouteUpdateRequest,
  CCP_CONDITION,
  CCP_FULFILLMENT,
  type CcpRouteControlRequest,
  type CcpRouteUpdateRequest,
} from '@ilpd/codec';
import { IldcpHost } from '../../../src/ildcp/ildcp-host';
import { SettableNodeIdentity } from '../../../src/node-identity';
import { answerPeerProtocol, isPeerProtocolDestination } from '../../../src/packet/stages/local-destinations';
import type { CcpMessageHandler } from '../../../src/ports';
import { makePeer, OUR_ADDRESS } from '../factories';

class RecordingCcp implements CcpMessageHandler {
  controls: Array<[string, CcpRouteControlRequest]> = [];
  updates: Array<[string, CcpRouteUpdateRequest]> = [];
  handleRouteControl(fromPeer: string, request: CcpRouteControlRequest): void {
    this.controls.push([fromPeer, request]);
  }
  handleRouteUpdate(fromPeer: string, update: CcpRouteUpdateRequest): void {
    this.updates.push([fromPeer, update]);
  }
}

const TABLE_ID = '3b7b6a2e-6d3e-4b8f-9f0e-2a1c5d4e6f70';

describe('local destinations stage', () => {
  const host = new IldcpHost({
    peers: [makePeer('alice', { assetCode: 'EUR', assetScale: 6 }), makePeer('carol', { relation: 'peer' })],
    identity: new SettableNodeIdentity(OUR_ADDRESS),
  });

  it('recognises every peer.* destination as local', () => {
    expect(isPeerProtocolDestination('peer.config')).toBe(true);
    expect(isPeerProtocolDestination('peer.route.update')).toBe(true);
    expect(isPeerProtocolDestination('test.peer.config')).toBe(false);
  });

  it('answers peer.config from a child with its address and asset', () => {
    const fulfill = answerPeerProtocol(
      'alice',
      decodePrepare(encodeIldcpRequest()),
      host,
      new RecordingCcp(),
    );
    expect(decodeIldcpResponse(fulfill)).toEqual({
      clientAddress: `${OUR_ADDRESS}.alice`,
      assetCode: 'EUR',
      assetScale: 6,
    });
  });

  it('rejects F00 for peer.config from a non-child', () => {
    expect(() =>
      answerPeerProtocol('carol', decodePrepare(encodeIldcpRequest()), host, new RecordingCcp()),
    ).toThrow(expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }));
  });

  it('hands route control to the CCP handler and fulfills with the peer-protocol fulfillment', () => {
    const ccp = new RecordingCcp();
    const request = {
      mode: CcpMode.Sync,
      lastKnownRoutingTableId: TABLE_ID,
      lastKnownEpoch: 7,
      features: [],
    };
    const fulfill = answerPeerProtocol('carol', decodePrepare(encodeRouteControlRequest(request)), host, ccp);
    expect(decodeFulfill(fulfill).fulfillment).toEqual(CCP_FULFILLMENT);
    expect(ccp.controls).toEqual([['carol', request]]);
  });

  it('hands route updates to the CCP handler', () => {
    const ccp = new RecordingCcp();
    const update: CcpRouteUpdateRequest = {
      speaker: 'test.carol',
      routingTableId: TABLE_ID,
      holdDownTime: 45_000,
      currentEpochIndex: 1,
      fromEpochIndex: 0,
      toEpochIndex: 1,
      newRoutes: [{ prefix: 'test.carol', path: ['test.carol'], auth: Buffer.alloc(32, 1), props: [] }],
      withdrawnRoutes: [],
    };
    answerPeerProtocol('carol', decodePrepare(encodeRouteUpdateRequest(update)), host, ccp);
    expect(ccp.updates[0][1]).toMatchObject({ speaker: 'test.carol', toEpochIndex: 1 });
  });

  it('rejects F02 for any other peer.* destination', () => {
    const prepare = decodePrepare(
      encodePrepare({
        amount: 0n,
        expiresAt: new Date(Date.now() + 10_000),
        executionCondition: CCP_CONDITION,
        destination: 'peer.unknown',
        data: Buffer.alloc(0),
      }),
    );
    expect(() => answerPeerProtocol('carol', prepare, host, new RecordingCcp())).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_UNREACHABLE' }),
    );
  });

  it('rejects F01 for a peer protocol request with another condition', () => {
    const prepare = decodePrepare(
      encodePrepare({
        amount: 0n,
        expiresAt: new Date(Date.now() + 10_000),
        executionCondition: Buffer.alloc(32, 9),
        destination: 'peer.config',
        data: Buffer.alloc(0),
      }),
    );
    expect(() => answerPeerProtocol('alice', prepare, host, new RecordingCcp())).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_PACKET' }),
    );
  });

  it('rejects F01 for a malformed CCP payload', () => {
    const prepare = decodePrepare(
      encodePrepare({
        amount: 0n,
        expiresAt: new Date(Date.now() + 10_000),
        executionCondition: CCP_CONDITION,
        destination: 'peer.route.control',
        data: Buffer.from([1, 2, 3]),
      }),
    );
    expect(() => answerPeerProtocol('carol', prepare, host, new RecordingCcp())).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INVALID_PACKET',
        message: expect.stringContaining('peer.route.control'),
      }),
    );
  });
});
