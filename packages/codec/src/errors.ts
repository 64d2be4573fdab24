/** Stable codes for every failure of the codec; callers branch on `code`, never on the class. */
export type CodecErrorCode =
  | 'ILPD_CODEC_TRUNCATED' // input ended before a field was complete
  | 'ILPD_CODEC_INVALID_LENGTH' // length prefix malformed / too long / non-canonical / exceeds input
  | 'ILPD_CODEC_INVALID_VALUE' // field value not allowed (bad timestamp, non-IA5 address, uint > 64 bits…)
  | 'ILPD_CODEC_UNKNOWN_TYPE' // packet type byte not recognised
  | 'ILPD_CODEC_TRAILING_BYTES' // bytes left after a complete structure
  | 'ILPD_CODEC_TOO_LARGE'; // value does not fit (encoder side), or ILP data above RFC 27's 32,767 bytes

const CODEC_CODE_PREFIX = 'ILPD_CODEC_';

/**
 * The only error any codec function throws. `field` names the structure member being read or written
 * (e.g. `prepare.destination`); `offset` is the absolute byte offset in the input buffer (encoders
 * report -1 because no input bytes are involved).
 */
export class CodecError extends Error {
  readonly code: CodecErrorCode;
  readonly field: string;
  readonly offset: number;

  constructor(code: CodecErrorCode, field: string, offset: number, detail: string) {
    super(offset >= 0 ? `${field} at offset ${offset}: ${detail}` : `${field}: ${detail}`);
    this.name = 'CodecError';
    this.code = code;
    this.field = field;
    this.offset = offset;
  }
}

/** True for codec errors, also after a worker boundary stripped the class (checks the code prefix). */
export function isCodecError(e: unknown): e is CodecError {
  if (typeof e !== 'object' || e === null) return false;
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith(CODEC_CODE_PREFIX);
}

export function truncated(field: string, offset: number, needed: number, available: number): CodecError {
  return new CodecError(
    'ILPD_CODEC_TRUNCATED',
    field,
    offset,
    `needs ${needed} byte(s) but only ${Math.max(0, available)} remain`,
  );
}

export function invalidValue(field: string, offset: number, detail: string): CodecError {
  return new CodecError('ILPD_CODEC_INVALID_VALUE', field, offset, detail);
}

export function invalidLength(field: string, offset: number, detail: string): CodecError {
  return new CodecError('ILPD_CODEC_INVALID_LENGTH', field, offset, detail);
}

/** Encoder-side failure: the value cannot be represented. */
export function tooLarge(field: string, detail: string): CodecError {
  return new CodecError('ILPD_CODEC_TOO_LARGE', field, -1, detail);
}

/** Encoder-side failure: the value is of the wrong shape (not a Buffer, not ASCII, not a valid date…). */
export function badInput(field: string, detail: string): CodecError {
  return new CodecError('ILPD_CODEC_INVALID_VALUE', field, -1, detail);
}
