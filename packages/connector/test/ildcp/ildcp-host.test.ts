import { decodeIldcpResponse, decodePrepare, encodeIldcpRequest } from '@ilpd/codec';
import * as ILDCP from 'ilp-protocol-ildcp';
import { IldcpHost } from '../../src/ildcp/ildcp-host';
import { childAddress, SettableNodeIdentity } from '../../src/node-identity';
import { makePeer } from '../packet/factories';

describe('IldcpHost', () => {
  const identity = new SettableNodeIdentity();
  const host = new IldcpHost({
    peers: [makePeer('alice', { assetCode: 'XRP', assetScale: 6 }), makePeer('up', { relation: 'parent' })],
    identity,
  });
  identity.set('test.node');

  it('assigns a child <our address>.<peer id>', () => {
    expect(childAddress('test.node', 'alice')).toBe('test.node.alice');
    const answer = decodeIldcpResponse(host.answer('alice', decodePrepare(encodeIldcpRequest())));
    expect(answer).toEqual({ clientAddress: 'test.node.alice', assetCode: 'XRP', assetScale: 6 });
  });

  it('answers in the format the reference ilp-protocol-ildcp client reads', () => {
    const answer = host.answer('alice', decodePrepare(encodeIldcpRequest()));
    expect(ILDCP.deserializeIldcpResponse(answer)).toEqual({
      clientAddress: 'test.node.alice',
      assetCode: 'XRP',
      assetScale: 6,
    });
  });

  it('refuses parents with F00', () => {
    expect(() => host.answer('up', decodePrepare(encodeIldcpRequest()))).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }),
    );
  });

  it('refuses unknown peers with F00', () => {
    expect(() => host.answer('mallory', decodePrepare(encodeIldcpRequest()))).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_BAD_REQUEST' }),
    );
  });
});
