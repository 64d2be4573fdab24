import * as Btp from 'btp-packet';
import { decodeBtpAuth, encodeBtp, encodeBtpAuth, parseBtpUrl, BtpPacketType } from '@ilpd/codec';

describe('BTP auth', () => {
  it('encodes the auth Message byte for byte as btp-packet serializes the reference plugin’s', () => {
    const reference = Btp.serialize({
      type: Btp.TYPE_MESSAGE,
      requestId: 7,
      data: {
        protocolData: [
          { protocolName: 'auth', contentType: Btp.MIME_APPLICATION_OCTET_STREAM, data: Buffer.alloc(0) },
          {
            protocolName: 'auth_username',
            contentType: Btp.MIME_TEXT_PLAIN_UTF8,
            data: Buffer.from('alice'),
          },
          { protocolName: 'auth_token', contentType: Btp.MIME_TEXT_PLAIN_UTF8, data: Buffer.from('s3cret') },
        ],
      },
    });
    expect(encodeBtpAuth(7, 'alice', 's3cret')).toEqual(reference);
  });

  it('reads back what it encodes, and an empty username when none is sent', () => {
    expect(decodeBtpAuth(encodeBtpAuth(1, 'alice', 'tok'))).toEqual({
      ok: true,
      auth: { requestId: 1, username: 'alice', token: Buffer.from('tok') },
    });
    const tokenOnly = encodeBtp({
      type: BtpPacketType.Message,
      requestId: 2,
      protocolData: [
        { protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) },
        { protocolName: 'auth_token', contentType: 1, data: Buffer.from('tok') },
      ],
    });
    expect(decodeBtpAuth(tokenOnly)).toMatchObject({ ok: true, auth: { username: '' } });
  });

  it('names what is wrong with a frame that is not an auth Message, without throwing', () => {
    const notAuth = encodeBtp({
      type: BtpPacketType.Message,
      requestId: 3,
      protocolData: [{ protocolName: 'ilp', contentType: 0, data: Buffer.alloc(1) }],
    });
    expect(decodeBtpAuth(notAuth)).toEqual({
      ok: false,
      requestId: 3,
      message: 'the first protocol data entry must be "auth"',
    });
    const noToken = encodeBtp({
      type: BtpPacketType.Message,
      requestId: 4,
      protocolData: [{ protocolName: 'auth', contentType: 0, data: Buffer.alloc(0) }],
    });
    expect(decodeBtpAuth(noToken)).toMatchObject({ ok: false, message: 'auth_token is required' });
    expect(decodeBtpAuth(Buffer.from([6, 0, 0, 0, 9, 1]))).toMatchObject({ ok: false, requestId: 9 });
    expect(decodeBtpAuth(Buffer.alloc(0))).toMatchObject({ ok: false, requestId: undefined });
  });
});

describe('BTP URLs', () => {
  it('maps btp+ws(s) to ws(s), strips and decodes the credentials', () => {
    expect(parseBtpUrl('btp+ws://alice:s%40cret@127.0.0.1:7768/path?x=1')).toEqual({
      wsUrl: 'ws://127.0.0.1:7768/path?x=1',
      username: 'alice',
      token: 's@cret',
    });
    expect(parseBtpUrl('btp+wss://h.example')).toEqual({ wsUrl: 'wss://h.example', username: '', token: '' });
    expect(parseBtpUrl('ws://127.0.0.1:1').wsUrl).toBe('ws://127.0.0.1:1');
  });

  it('refuses other schemes and non-URLs, naming the URL', () => {
    expect(() => parseBtpUrl('http://x')).toThrow('http://x: unsupported scheme "http"');
    expect(() => parseBtpUrl('nope')).toThrow('nope: expected btp+ws://host:port');
  });
});
