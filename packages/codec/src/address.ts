/** ILP addresses (RFC 15): `scheme(.segment)+`, at most 1023 characters, segments of [a-zA-Z0-9_~-]. */
export const ILP_ADDRESS_MAX_LENGTH = 1023;

const ILP_ADDRESS_REGEX = /^(g|private|example|peer|self|test[1-3]?|local)([.][a-zA-Z0-9_~-]+)+$/;

const SEGMENT_BYTE = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const ch = String.fromCharCode(c);
  SEGMENT_BYTE[c] = /[a-zA-Z0-9_~-]/.test(ch) ? 1 : 0;
}

const SCHEMES = ['g', 'private', 'example', 'peer', 'self', 'test', 'test1', 'test2', 'test3', 'local'].map(
  (s) => Buffer.from(s, 'latin1'),
);

export function isValidIlpAddress(s: unknown): s is string {
  return typeof s === 'string' && s.length <= ILP_ADDRESS_MAX_LENGTH && ILP_ADDRESS_REGEX.test(s);
}

function schemeMatches(buf: Buffer, start: number, dot: number): boolean {
  const len = dot - start;
  for (const scheme of SCHEMES) {
    if (scheme.length !== len) continue;
    let i = 0;
    while (i < len && buf[start + i] === scheme[i]) i++;
    if (i === len) return true;
  }
  return false;
}

/**
 * Byte-level twin of `isValidIlpAddress` for buf[start, end): one pass, no string allocation, so the
 * hot path can validate a destination before anyone asks for it as a string.
 */
export function isValidIlpAddressBytes(buf: Buffer, start: number, end: number): boolean {
  const len = end - start;
  if (len < 3 || len > ILP_ADDRESS_MAX_LENGTH) return false;
  let dot = start;
  while (dot < end && buf[dot] !== 0x2e) dot++;
  if (dot >= end - 1 || !schemeMatches(buf, start, dot)) return false;
  let segmentLength = 0;
  for (let i = dot + 1; i < end; i++) {
    const b = buf[i];
    if (b === 0x2e) {
      if (segmentLength === 0) return false;
      segmentLength = 0;
    } else if (SEGMENT_BYTE[b] === 1) {
      segmentLength++;
    } else {
      return false;
    }
  }
  return segmentLength > 0;
}
