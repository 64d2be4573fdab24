import { encodeReject } from '@ilpd/codec';
import { ERROR_CODES, ilpCodeOf, isDaemonErrorCode, type IlpErrorCode } from '../errors';

/** Longest message we put in a Reject: enough to diagnose, small enough to never bloat the packet. */
const MAX_MESSAGE_LENGTH = 200;
const EMPTY = Buffer.alloc(0);

/**
 * The one boundary that turns a thrown value into an ILP Reject we generate ourselves. DaemonErrors keep
 * their message and ILP data; anything else becomes T00 with a generic message, so internals (stack
 * traces, file paths) never leave the process.
 */
export function rejectFromError(err: unknown, triggeredBy: string): Buffer {
  return encodeOwnReject(ilpCodeOf(err), messageOf(err), triggeredBy, ilpDataOf(err));
}

export function encodeOwnReject(
  code: IlpErrorCode,
  message: string,
  triggeredBy: string,
  data: Buffer = EMPTY,
): Buffer {
  return encodeReject({
    code,
    triggeredBy,
    message: message.length > MAX_MESSAGE_LENGTH ? message.slice(0, MAX_MESSAGE_LENGTH) : message,
    data,
  });
}

function messageOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (isDaemonErrorCode(code)) {
    const message = (err as { message?: unknown }).message;
    return typeof message === 'string' && message !== '' ? message : ERROR_CODES[code].description;
  }
  return ERROR_CODES.ILPD_ERR_INTERNAL.description;
}

function ilpDataOf(err: unknown): Buffer {
  const data = (err as { ilpData?: unknown } | null)?.ilpData;
  return Buffer.isBuffer(data) ? data : EMPTY;
}
