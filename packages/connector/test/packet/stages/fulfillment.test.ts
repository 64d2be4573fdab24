import { checkResponse } from '../../../src/packet/stages/fulfillment';
import { conditionPair, makeFulfill, makePrepare, makeReject } from '../factories';

describe('fulfillment check stage', () => {
  const { fulfillment, condition } = conditionPair();

  it('accepts a Fulfill whose fulfillment hashes to the condition', () => {
    expect(checkResponse(makeFulfill(fulfillment), condition)).toBeUndefined();
  });

  it('rejects F05 for a Fulfill with the wrong fulfillment', () => {
    expect(() => checkResponse(makeFulfill(Buffer.alloc(32, 7)), condition)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_WRONG_CONDITION' }),
    );
  });

  it('returns the code of a downstream Reject', () => {
    expect(checkResponse(makeReject('F99', 'test.bob'), condition)).toBe('F99');
  });

  it('treats a malformed Reject as an invalid response', () => {
    const reject = makeReject('T00', 'test.bob');
    expect(() => checkResponse(reject.subarray(0, reject.length - 1), condition)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_RESPONSE' }),
    );
  });

  it('treats a Prepare as an answer as an invalid response', () => {
    expect(() => checkResponse(makePrepare(), condition)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INVALID_RESPONSE',
        message: expect.stringContaining('type 12'),
      }),
    );
  });
});
