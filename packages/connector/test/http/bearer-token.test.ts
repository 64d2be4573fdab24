import { checkBearerToken } from '../../src/http/bearer-token';

describe('checkBearerToken', () => {
  const token = 'c0ffee-c0ffee-c0ffee';

  it('accepts the configured token (scheme case-insensitive)', () => {
    expect(checkBearerToken(`Bearer ${token}`, token)).toEqual({ ok: true });
    expect(checkBearerToken(`bearer ${token}`, token)).toEqual({ ok: true });
  });

  it('refuses a missing, malformed or wrong token, and everything when none is configured', () => {
    expect(checkBearerToken(undefined, token)).toEqual({ ok: false, reason: 'missing' });
    expect(checkBearerToken(`Basic ${token}`, token)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkBearerToken('Bearer ', token)).toEqual({ ok: false, reason: 'malformed' });
    expect(checkBearerToken(`Bearer ${token}x`, token)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkBearerToken(`Bearer ${token.slice(1)}`, token)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkBearerToken(`Bearer ${token}`, undefined)).toEqual({ ok: false, reason: 'not_configured' });
  });
});
