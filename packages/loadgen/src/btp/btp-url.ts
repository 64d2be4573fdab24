import { parseBtpUrl as parseEndpoint, type BtpEndpoint } from '@ilpd/codec';

export class BtpUrlError extends Error {
  readonly code = 'ILPD_LOADGEN_BAD_URL';
}

/** The codec's parseBtpUrl, failing with the loadgen's BtpUrlError (a usage error of the CLI). */
export function parseBtpUrl(url: string): BtpEndpoint {
  try {
    return parseEndpoint(url);
  } catch (err) {
    throw new BtpUrlError((err as Error).message);
  }
}

/** "name:secret" as given on the command line. */
export function parseCredentials(spec: string, option: string): { username: string; token: string } {
  const i = spec.indexOf(':');
  if (i <= 0 || i === spec.length - 1) {
    throw new BtpUrlError(`${option}: expected "account:secret" (e.g. alice:alice-secret), got "${spec}"`);
  }
  return { username: spec.slice(0, i), token: spec.slice(i + 1) };
}
