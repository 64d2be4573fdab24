import fc from 'fast-check';
import * as IlpPacket from 'ilp-packet';
import {
  decodeFulfill,
  decodeIlpPacket,
  decodePrepare,
  decodeReject,
  encodeFulfill,
  encodePrepare,
  encodeReject,
  forwardPrepare,
} from '@ilpd/codec';
import { fulfill, interledgerDate, prepare, reject, uint64 } from '../arbitraries';

/** Differential tests: the reference ilp-packet is the oracle for byte layouts and decoded values. */
const RUNS = 2000;

describe('ILPv4 codec vs ilp-packet', () => {
  it('Prepare: identical bytes, and each side decodes the other', () => {
    fc.assert(
      fc.property(prepare, (p) => {
        const ours = encodePrepare(p);
        const theirs = IlpPacket.serializeIlpPrepare({ ...p, amount: p.amount.toString() });
        expect(ours.equals(theirs)).toBe(true);
        const view = decodePrepare(theirs);
        expect(view.amount).toBe(p.amount);
        expect(view.expiresAt.getTime()).toBe(p.expiresAt.getTime());
        expect(view.executionCondition.equals(p.executionCondition)).toBe(true);
        expect(view.destination).toBe(p.destination);
        expect(view.data.equals(p.data)).toBe(true);
        const back = IlpPacket.deserializeIlpPrepare(ours);
        expect(back.amount).toBe(p.amount.toString());
        expect(back.expiresAt.getTime()).toBe(p.expiresAt.getTime());
        expect(back.destination).toBe(p.destination);
        expect(back.data.equals(p.data)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('forwardPrepare equals re-serialising with the new amount and expiry', () => {
    fc.assert(
      fc.property(prepare, uint64, interledgerDate, (p, amount, expiresAt) => {
        const out = forwardPrepare(decodePrepare(encodePrepare(p)), amount, expiresAt.getTime());
        const theirs = IlpPacket.serializeIlpPrepare({ ...p, amount: amount.toString(), expiresAt });
        expect(out.equals(theirs)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('Fulfill: identical bytes, and each side decodes the other', () => {
    fc.assert(
      fc.property(fulfill, (f) => {
        const ours = encodeFulfill(f);
        expect(ours.equals(IlpPacket.serializeIlpFulfill(f))).toBe(true);
        const view = decodeFulfill(ours);
        expect(view.fulfillment.equals(f.fulfillment) && view.data.equals(f.data)).toBe(true);
        const back = IlpPacket.deserializeIlpFulfill(ours);
        expect(back.fulfillment.equals(f.fulfillment) && back.data.equals(f.data)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('Reject: identical bytes, and each side decodes the other', () => {
    fc.assert(
      fc.property(reject, (r) => {
        const ours = encodeReject(r);
        expect(ours.equals(IlpPacket.serializeIlpReject(r))).toBe(true);
        const view = decodeReject(ours);
        expect([view.code, view.triggeredBy, view.message]).toEqual([r.code, r.triggeredBy, r.message]);
        expect(view.data.equals(r.data)).toBe(true);
        const back = IlpPacket.deserializeIlpReject(ours);
        expect([back.code, back.triggeredBy, back.message]).toEqual([r.code, r.triggeredBy, r.message]);
      }),
      { numRuns: RUNS },
    );
  });

  it('decodeIlpPacket agrees with deserializeIlpPacket on the type', () => {
    const anyPacket = fc.oneof(
      prepare.map(encodePrepare),
      fulfill.map(encodeFulfill),
      reject.map(encodeReject),
    );
    fc.assert(
      fc.property(anyPacket, (buf) => {
        expect(decodeIlpPacket(buf).type).toBe(IlpPacket.deserializeIlpPacket(buf).type);
      }),
      { numRuns: 500 },
    );
  });
});
