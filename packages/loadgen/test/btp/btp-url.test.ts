import { parseBtpUrl, parseCredentials } from '../../src/btp/btp-url';

describe('BTP URLs', () => {
  it('maps btp+ws to ws and strips credentials', () => {
    expect(parseBtpUrl('btp+ws://alice:s%40cret@127.0.0.1:7768/path')).toEqual({
      wsUrl: 'ws://127.0.0.1:7768/path',
      username: 'alice',
      token: 's@cret',
    });
    expect(parseBtpUrl('btp+wss://h.example').wsUrl).toBe('wss://h.example');
    expect(parseBtpUrl('ws://127.0.0.1:1').wsUrl).toBe('ws://127.0.0.1:1');
  });

  it('rejects other schemes and garbage', () => {
    expect(() => parseBtpUrl('http://x')).toThrow('unsupported scheme "http"');
    expect(() => parseBtpUrl('nope')).toThrow('expected btp+ws://host:port');
  });

  it('parses account:secret, keeping colons in the secret', () => {
    expect(parseCredentials('alice:a:b', '--sender')).toEqual({ username: 'alice', token: 'a:b' });
    expect(() => parseCredentials('alice', '--sender')).toThrow('--sender: expected "account:secret"');
  });
});
