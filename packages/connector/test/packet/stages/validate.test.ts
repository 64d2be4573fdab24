import { encodeFulfill } from '@ilpd/codec';
import { decodeIncomingPrepare } from '../../../src/packet/stages/validate';
import { makePrepare, OUR_ADDRESS } from '../factories';

describe('validate stage', () => {
  it('decodes a well-formed Prepare into a lazy view', () => {
    const prepare = decodeIncomingPrepare(makePrepare({ amount: 42n, destination: `${OUR_ADDRESS}.bob` }));
    expect(prepare.amount).toBe(42n);
    expect(prepare.destination).toBe(`${OUR_ADDRESS}.bob`);
  });

  it('rejects a Fulfill sent as a request with F01', () => {
    const fulfill = encodeFulfill({ fulfillment: Buffer.alloc(32), data: Buffer.alloc(0) });
    expect(() => decodeIncomingPrepare(fulfill)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INVALID_PACKET',
        message: expect.stringContaining('type 13'),
      }),
    );
  });

  it('rejects an empty packet with F01', () => {
    expect(() => decodeIncomingPrepare(Buffer.alloc(0))).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_PACKET' }),
    );
  });

  it('rejects a truncated Prepare with F01 naming the field', () => {
    const truncated = makePrepare().subarray(0, 30);
    expect(() => decodeIncomingPrepare(truncated)).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_INVALID_PACKET',
        message: expect.stringContaining('prepare'),
      }),
    );
  });

  it('rejects a destination that is not an ILP address with F01', () => {
    const bytes = makePrepare({ destination: 'test.ilpd.bob' });
    const at = bytes.indexOf(Buffer.from('test.ilpd.bob'));
    bytes[at + 4] = 0x20; // a space inside the address
    expect(() => decodeIncomingPrepare(bytes)).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_INVALID_PACKET' }),
    );
  });
});
