import { createHash, createHmac } from 'node:crypto';

/**
 * Prepare data written by the sender and read by the receiver:
 *   "ldg1" | flags (UInt8; bit 0 = please reject) | nonce (8 bytes) | padding
 * The receiver recomputes the preimage from the shared secret, so no per-packet state crosses between
 * sender and receiver: fulfillment = HMAC-SHA256(secret, destination ‖ data), condition = SHA-256(fulfillment).
 */
export const PAYLOAD_MAGIC = Buffer.from('ldg1', 'ascii');
export const PAYLOAD_HEADER_BYTES = PAYLOAD_MAGIC.length + 1 + 8;
export const FLAG_REJECT = 0x01;

export function encodePayload(nonce: Buffer, reject: boolean, paddingBytes: number): Buffer {
  if (nonce.length !== 8) throw new RangeError(`nonce: expected 8 bytes, got ${nonce.length}`);
  const out = Buffer.alloc(PAYLOAD_HEADER_BYTES + paddingBytes);
  PAYLOAD_MAGIC.copy(out, 0);
  out[PAYLOAD_MAGIC.length] = reject ? FLAG_REJECT : 0;
  nonce.copy(out, PAYLOAD_MAGIC.length + 1);
  return out;
}

/** Flags of a loadgen payload, or -1 when the data is not one (a packet we never sent). */
export function payloadFlags(data: Buffer): number {
  if (data.length < PAYLOAD_HEADER_BYTES) return -1;
  for (let i = 0; i < PAYLOAD_MAGIC.length; i++) if (data[i] !== PAYLOAD_MAGIC[i]) return -1;
  return data[PAYLOAD_MAGIC.length];
}

export function deriveFulfillment(secret: Buffer, destination: Buffer, data: Buffer): Buffer {
  return createHmac('sha256', secret).update(destination).update(data).digest();
}

export function conditionOf(fulfillment: Buffer): Buffer {
  return createHash('sha256').update(fulfillment).digest();
}
