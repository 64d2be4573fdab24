import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer-token authorisation (RFC 6750 header form) for every HTTP endpoint that changes the daemon:
 * the admin write API's peer changes and reloads, and any command added beside them (settlement's
 * channel commands reuse this). The expected token is read on every request, so a rotated
 * `admin.token` applies from the next request on.
 */
export type BearerCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'not_configured' | 'missing' | 'malformed' | 'invalid' };

export function checkBearerToken(
  authorization: string | undefined,
  expected: string | undefined,
): BearerCheck {
  if (expected === undefined || expected === '') return { ok: false, reason: 'not_configured' };
  if (authorization === undefined || authorization === '') return { ok: false, reason: 'missing' };
  const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization);
  if (match === null) return { ok: false, reason: 'malformed' };
  // Digests first: timingSafeEqual needs equal lengths, and comparing digests reveals neither the
  // token's length nor how much of it matched.
  const given = createHash('sha256').update(match[1], 'utf8').digest();
  const wanted = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(given, wanted) ? { ok: true } : { ok: false, reason: 'invalid' };
}
