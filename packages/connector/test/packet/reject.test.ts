import { decodeReject } from '@ilpd/codec';
import { DaemonError } from '../../src/errors';
import { encodeOwnReject, rejectFromError } from '../../src/packet/reject';
import { OUR_ADDRESS } from './factories';

describe('reject boundary', () => {
  it('maps a DaemonError to its ILP code, message and data with our address as triggeredBy', () => {
    const err = new DaemonError('ILPD_ERR_AMOUNT_TOO_LARGE', 'too big', { ilpData: Buffer.from('abc') });
    const reject = decodeReject(rejectFromError(err, OUR_ADDRESS));
    expect(reject).toMatchObject({ code: 'F08', triggeredBy: OUR_ADDRESS, message: 'too big' });
    expect(reject.data).toEqual(Buffer.from('abc'));
  });

  it('maps a plain object carrying a known code (an error that crossed a worker boundary)', () => {
    const reject = decodeReject(
      rejectFromError({ code: 'ILPD_ERR_RATE_LIMITED', message: 'slow down' }, OUR_ADDRESS),
    );
    expect(reject).toMatchObject({ code: 'T05', message: 'slow down' });
  });

  it('turns unknown errors into T00 without leaking their message', () => {
    const reject = decodeReject(rejectFromError(new Error('/secret/path exploded'), OUR_ADDRESS));
    expect(reject.code).toBe('T00');
    expect(reject.message).toBe('an unexpected internal error');
  });

  it('turns non-error throws into T00', () => {
    expect(decodeReject(rejectFromError(undefined, OUR_ADDRESS)).code).toBe('T00');
  });

  it('caps long messages', () => {
    const reject = decodeReject(encodeOwnReject('F02', 'x'.repeat(5000), OUR_ADDRESS));
    expect(reject.message.length).toBe(200);
  });

  it('allows an empty triggeredBy while our address is unknown', () => {
    expect(decodeReject(encodeOwnReject('T00', 'starting', '')).triggeredBy).toBe('');
  });
});
