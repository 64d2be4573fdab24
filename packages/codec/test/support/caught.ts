import { isCodecError, type CodecError } from '@ilpd/codec';

/** The CodecError `fn` throws; fails the test when it throws nothing or something else. */
export function caught(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (e) {
    if (isCodecError(e)) return e;
    throw e;
  }
  throw new Error('expected a CodecError');
}
