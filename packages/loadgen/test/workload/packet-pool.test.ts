import { createHash } from 'node:crypto';
import { BtpPacketType, decodeBtp, decodePrepare, findBtpIlpData } from '@ilpd/codec';
import { buildPacketPool, formatIlpTimestamp, seededRandom } from '../../src/workload/packet-pool';
import { FLAG_REJECT, deriveFulfillment, encodePayload, payloadFlags } from '../../src/workload/payload';

const secret = Buffer.alloc(32, 7);
const options = {
  receiverAddress: 'test.ilpd.bob',
  secret,
  size: 500,
  amountMin: 10,
  amountMax: 20,
  rejectFraction: 0.2,
  accounts: 5,
  paddingBytes: 3,
  seed: 42,
};

describe('packet pool', () => {
  const pool = buildPacketPool(options);

  it('holds BTP Message frames with one ilp entry carrying a Prepare under the receiver address', () => {
    const frame = decodeBtp(pool.frames[0]);
    expect(frame.type).toBe(BtpPacketType.Message);
    expect(frame.protocolData.map((p) => p.protocolName)).toEqual(['ilp']);
    const prepare = decodePrepare(frame.protocolData[0].data);
    expect(prepare.destination).toMatch(/^test\.ilpd\.bob\.u[0-4]\.[0-9a-f]{12}$/);
    expect(prepare.data).toHaveLength(13 + 3);
  });

  it('uses real conditions: sha256 of the preimage the receiver derives from the shared secret', () => {
    for (const frame of pool.frames.slice(0, 20)) {
      const prepare = decodePrepare(findBtpIlpData(frame) as Buffer);
      const fulfillment = deriveFulfillment(secret, prepare.destinationBytes, prepare.data);
      expect(createHash('sha256').update(fulfillment).digest()).toEqual(prepare.executionCondition);
    }
  });

  it('varies amounts within bounds and destinations across accounts', () => {
    const amounts = new Set(pool.amounts);
    expect(Math.min(...amounts)).toBeGreaterThanOrEqual(10);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(20);
    expect(amounts.size).toBeGreaterThan(5);
    const prefixes = new Set(
      pool.frames.map((f) =>
        decodePrepare(findBtpIlpData(f) as Buffer)
          .destination.split('.')
          .slice(0, 4)
          .join('.'),
      ),
    );
    expect(prefixes.size).toBe(5);
    pool.frames.forEach((f, i) => {
      expect(decodePrepare(findBtpIlpData(f) as Buffer).amount).toBe(BigInt(pool.amounts[i]));
    });
  });

  it('flags about the configured fraction for rejection, consistently in data and bookkeeping', () => {
    const flagged = pool.expectReject.reduce((a, b) => a + b, 0);
    expect(flagged).toBeGreaterThan(50);
    expect(flagged).toBeLessThan(150);
    pool.frames.forEach((f, i) => {
      const flags = payloadFlags(decodePrepare(findBtpIlpData(f) as Buffer).data);
      expect((flags & FLAG_REJECT) !== 0).toBe(pool.expectReject[i] === 1);
    });
  });

  it('lets the sender patch the request id and expiry in place', () => {
    const frame = pool.frames[3];
    frame.writeUInt32BE(0xdeadbeef, 1);
    const expiry = Date.UTC(2030, 5, 7, 8, 9, 10, 123);
    frame.write(formatIlpTimestamp(expiry), pool.expiryOffsets[3], 'ascii');
    const decoded = decodeBtp(frame);
    expect(decoded.requestId).toBe(0xdeadbeef);
    expect(decodePrepare(decoded.protocolData[0].data).expiresAt.getTime()).toBe(expiry);
  });

  it('is reproducible in everything but the nonces for a given seed', () => {
    const again = buildPacketPool(options);
    expect(Array.from(again.amounts)).toEqual(Array.from(pool.amounts));
    expect(Array.from(again.expectReject)).toEqual(Array.from(pool.expectReject));
  });

  it('names the bad workload option', () => {
    expect(() => buildPacketPool({ ...options, amountMax: 5 })).toThrow(
      '--amount-max: expected an integer ≥ --amount-min',
    );
    expect(() => buildPacketPool({ ...options, rejectFraction: 2 })).toThrow(
      '--reject-fraction: expected 0..1',
    );
  });
});

describe('payload and timestamps', () => {
  it('formats ILP timestamps as 17 digits in UTC', () => {
    expect(formatIlpTimestamp(Date.UTC(2026, 10, 22, 4, 5, 6, 7))).toBe('20261122040506007');
  });

  it('recognises only loadgen payloads', () => {
    expect(payloadFlags(encodePayload(Buffer.alloc(8), true, 0))).toBe(FLAG_REJECT);
    expect(payloadFlags(encodePayload(Buffer.alloc(8), false, 10))).toBe(0);
    expect(payloadFlags(Buffer.from('hello world, not ours'))).toBe(-1);
    expect(payloadFlags(Buffer.alloc(0))).toBe(-1);
  });

  it('has a deterministic seeded generator in [0, 1)', () => {
    const a = seededRandom(9);
    const b = seededRandom(9);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});
