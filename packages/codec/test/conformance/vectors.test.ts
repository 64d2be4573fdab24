import prepareExample from '../vectors/ilp_prepare_example01.json';
import fulfillExample from '../vectors/ilp_fulfill_example01.json';
import rejectExample from '../vectors/ilp_reject_example01.json';
import {
  decodeFulfill,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  forwardPrepare,
} from '@ilpd/codec';

/** The shared ILPv4 example packets (ilp-packet fixtures) decode to their JSON and re-encode exactly. */
describe('ILPv4 example vectors', () => {
  it('prepare example 1', () => {
    const buf = Buffer.from(prepareExample.binary, 'hex');
    const view = decodePrepare(buf);
    expect({
      amount: view.amount.toString(),
      executionCondition: view.executionCondition.toString('base64'),
      expiresAt: view.expiresAt.toISOString(),
      destination: view.destination,
      data: view.data.toString('base64'),
    }).toEqual(prepareExample.json);
    const json = prepareExample.json;
    const encoded = encodePrepare({
      amount: BigInt(json.amount),
      executionCondition: Buffer.from(json.executionCondition, 'base64'),
      expiresAt: new Date(json.expiresAt),
      destination: json.destination,
      data: Buffer.from(json.data, 'base64'),
    });
    expect(encoded.toString('hex')).toBe(prepareExample.binary);
    expect(forwardPrepare(view, view.amount, view.expiresAtMs).toString('hex')).toBe(prepareExample.binary);
  });

  it('fulfill example 1', () => {
    const view = decodeFulfill(Buffer.from(fulfillExample.binary, 'hex'));
    expect({ fulfillment: view.fulfillment.toString('base64'), data: view.data.toString('base64') }).toEqual(
      fulfillExample.json,
    );
    const encoded = encodeFulfill({
      fulfillment: Buffer.from(fulfillExample.json.fulfillment, 'base64'),
      data: Buffer.from(fulfillExample.json.data, 'base64'),
    });
    expect(encoded.toString('hex')).toBe(fulfillExample.binary);
  });

  it('reject example 1', () => {
    const view = decodeReject(Buffer.from(rejectExample.binary, 'hex'));
    expect({
      code: view.code,
      triggeredBy: view.triggeredBy,
      message: view.message,
      data: view.data.toString('base64'),
    }).toEqual(rejectExample.json);
    const encoded = encodeReject({
      ...rejectExample.json,
      data: Buffer.from(rejectExample.json.data, 'base64'),
    });
    expect(encoded.toString('hex')).toBe(rejectExample.binary);
  });
});
