import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * XRPL payment channel claims: the signing payload, signing and verification with native `node:crypto`.
 * Pure and worker-safe: no sockets, no logger, inputs and outputs are strings, bigints and byte arrays.
 *
 * A claim authorises the channel's destination to receive `drops` in total (cumulative) from a channel.
 * rippled checks it in PaymentChannelClaim's preflight (`verify(pk, msg, sig, canonical = true)`):
 *  - the message is "CLM\0" ‖ channel id (32 bytes) ‖ drops (uint64, big endian), as `encodeForSigningClaim`;
 *  - a channel's PublicKey is 33 bytes: 0xED ‖ ed25519 key, or a compressed secp256k1 key (0x02 / 0x03).
 *    Any other key can never sign a redeemable claim, so verification refuses it;
 *  - ed25519: RFC 8032 over the message itself, with S < L (OpenSSL enforces the same);
 *  - secp256k1: ECDSA over SHA-512Half(message) (the first 32 bytes of SHA-512, which is exactly what
 *    ECDSA with SHA-512 uses on a 256-bit curve), the signature strict DER and *fully canonical*
 *    (low S: S <= n - S). A high-S twin of a valid signature is refused, as rippled refuses it.
 */
export type ClaimKeyType = 'ed25519' | 'secp256k1';

/** The largest amount a claim can carry: all XRP that exists (10^17 drops); rippled refuses more. */
export const MAX_CLAIM_DROPS = 100_000_000_000_000_000n;

const CLAIM_PREFIX = Buffer.from('434c4d00', 'hex'); // "CLM\0"
const PAYLOAD_LENGTH = 4 + 32 + 8;
const HEX = /^[0-9a-fA-F]*$/;

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SECP256K1_SPKI_PREFIX = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex');
const SECP256K1_SEC1_PREFIX = Buffer.from('302e0201010420', 'hex');
const SECP256K1_SEC1_SUFFIX = Buffer.from('a00706052b8104000a', 'hex');
/** Order of the secp256k1 group. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** The 44 signed bytes of a claim; undefined when the channel id or amount cannot be encoded. */
export function claimPayload(channelId: string, drops: bigint): Buffer | undefined {
  if (channelId.length !== 64 || !HEX.test(channelId)) return undefined;
  if (drops < 0n || drops > MAX_CLAIM_DROPS) return undefined;
  const payload = Buffer.allocUnsafe(PAYLOAD_LENGTH);
  CLAIM_PREFIX.copy(payload, 0);
  payload.write(channelId, 4, 32, 'hex');
  payload.writeBigUInt64BE(drops, 36);
  return payload;
}

/** The key type of a channel PublicKey (hex), or undefined when rippled would not accept it. */
export function claimKeyType(publicKey: string): ClaimKeyType | undefined {
  if (publicKey.length !== 66 || !HEX.test(publicKey)) return undefined;
  const prefix = publicKey.slice(0, 2).toUpperCase();
  if (prefix === 'ED') return 'ed25519';
  if (prefix === '02' || prefix === '03') return 'secp256k1';
  return undefined;
}

/** Signs claims with one key: the key is parsed once (a KeyObject), then each claim costs one signature. */
export type ClaimSigner = (channelId: string, drops: bigint) => string;

/**
 * A signer for an XRPL private key as xrpl.js holds it ("ED" ‖ 32-byte seed for ed25519, "00" ‖ 32-byte
 * scalar or the bare scalar for secp256k1). Signatures are upper-case hex: 64 bytes for ed25519
 * (deterministic, identical to xrpl.js), strict low-S DER for secp256k1 (random nonce, so not
 * byte-equal to xrpl.js's RFC 6979 signature, but valid wherever that one is).
 */
export function createClaimSigner(privateKey: string): ClaimSigner {
  const key = privateKeyObject(privateKey);
  return (channelId, drops) => {
    const payload = claimPayload(channelId, drops);
    if (payload === undefined) {
      throw new RangeError(`cannot sign a claim for channel ${channelId} and ${drops} drops`);
    }
    if (key.type === 'ed25519') return sign(null, payload, key.object).toString('hex').toUpperCase();
    const der = sign('sha512', payload, { key: key.object, dsaEncoding: 'der' });
    return lowSDer(der).toString('hex').toUpperCase();
  };
}

/** Signs one claim (parsing the key each time: keep a `createClaimSigner` to sign many). */
export function signClaim(channelId: string, drops: bigint, privateKey: string): string {
  return createClaimSigner(privateKey)(channelId, drops);
}

/**
 * Whether `signature` (hex) is a claim for `drops` on `channelId` that rippled would accept from the
 * holder of `publicKey` (hex). Malformed input of any kind is simply not a valid claim: never throws.
 */
export function verifyClaimSignature(
  channelId: string,
  drops: bigint,
  signature: string,
  publicKey: string,
): boolean {
  const payload = claimPayload(channelId, drops);
  if (payload === undefined) return false;
  const key = publicKeyObject(publicKey);
  if (key === undefined) return false;
  if (signature.length % 2 !== 0 || !HEX.test(signature)) return false;
  const sig = Buffer.from(signature, 'hex');
  try {
    if (key.asymmetricKeyType === 'ed25519') {
      return sig.length === 64 && verify(null, payload, key, sig);
    }
    if (!isFullyCanonicalDer(sig)) return false;
    return verify('sha512', payload, { key, dsaEncoding: 'der' }, sig);
  } catch {
    return false;
  }
}

// Building a KeyObject costs about as much as a verification; a settling peer uses the same channel
// key for every claim, so the objects of recent keys are kept (bounded: a hostile peer sending claims
// under ever new keys only evicts entries).
const KEY_CACHE_LIMIT = 1024;
const publicKeys = new Map<string, KeyObject | null>();

function publicKeyObject(publicKey: string): KeyObject | undefined {
  const cached = publicKeys.get(publicKey);
  if (cached !== undefined) return cached ?? undefined;
  const type = claimKeyType(publicKey);
  let object: KeyObject | null = null;
  if (type !== undefined) {
    const raw = Buffer.from(publicKey, 'hex');
    const der =
      type === 'ed25519'
        ? Buffer.concat([ED25519_SPKI_PREFIX, raw.subarray(1)])
        : Buffer.concat([SECP256K1_SPKI_PREFIX, raw]);
    try {
      object = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      object = null; // not a point on the curve
    }
  }
  if (publicKeys.size >= KEY_CACHE_LIMIT) publicKeys.delete(publicKeys.keys().next().value as string);
  publicKeys.set(publicKey, object);
  return object ?? undefined;
}

function privateKeyObject(privateKey: string): { type: ClaimKeyType; object: KeyObject } {
  if (!HEX.test(privateKey)) throw new RangeError('the claim signing key is not hex');
  const upper = privateKey.toUpperCase();
  if (upper.length === 66 && upper.startsWith('ED')) {
    const der = Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(upper.slice(2), 'hex')]);
    return { type: 'ed25519', object: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }) };
  }
  const scalar = upper.length === 66 && upper.startsWith('00') ? upper.slice(2) : upper;
  if (scalar.length !== 64) throw new RangeError('the claim signing key is neither ed25519 nor secp256k1');
  const der = Buffer.concat([SECP256K1_SEC1_PREFIX, Buffer.from(scalar, 'hex'), SECP256K1_SEC1_SUFFIX]);
  return { type: 'secp256k1', object: createPrivateKey({ key: der, format: 'der', type: 'sec1' }) };
}

/**
 * rippled's `ecdsaCanonicality(sig) == fullyCanonical`: 30 len (02 lenR R) (02 lenS S), nothing
 * after, each integer 1..33 bytes, positive, not zero, minimally encoded, R and S below n, S <= n - S.
 */
export function isFullyCanonicalDer(sig: Uint8Array): boolean {
  const parts = parseDer(sig);
  return parts !== undefined && parts.s <= SECP256K1_HALF_N;
}

function parseDer(sig: Uint8Array): { r: bigint; s: bigint } | undefined {
  if (sig.length < 8 || sig.length > 72 || sig[0] !== 0x30 || sig[1] !== sig.length - 2) return undefined;
  const r = derInteger(sig, 2);
  if (r === undefined) return undefined;
  const s = derInteger(sig, r.end);
  if (s === undefined || s.end !== sig.length) return undefined;
  if (r.value >= SECP256K1_N || s.value >= SECP256K1_N) return undefined;
  return { r: r.value, s: s.value };
}

function derInteger(buf: Uint8Array, at: number): { value: bigint; end: number } | undefined {
  if (buf.length - at < 3 || buf[at] !== 0x02) return undefined;
  const len = buf[at + 1];
  const start = at + 2;
  if (len < 1 || len > 33 || len > buf.length - start) return undefined;
  if ((buf[start] & 0x80) !== 0) return undefined; // negative
  if (buf[start] === 0 && (len === 1 || (buf[start + 1] & 0x80) === 0)) return undefined; // zero or padded
  let value = 0n;
  for (let i = start; i < start + len; i++) value = (value << 8n) | BigInt(buf[i]);
  return { value, end: start + len };
}

/** OpenSSL signs with either S; rippled takes only the low one, so a high S becomes n - S. */
function lowSDer(der: Buffer): Buffer {
  const parts = parseDer(der);
  if (parts === undefined) throw new Error('OpenSSL produced a signature that is not strict DER');
  if (parts.s <= SECP256K1_HALF_N) return der;
  const r = derIntegerBytes(parts.r);
  const s = derIntegerBytes(SECP256K1_N - parts.s);
  return Buffer.concat([Buffer.from([0x30, r.length + s.length]), r, s]);
}

function derIntegerBytes(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2 !== 0) hex = `0${hex}`;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Buffer.concat([Buffer.from([0x02, body.length]), body]);
}
