/**
 * ECDSA secp256k1 verification against a known public key, with fixed-base tables for both the
 * generator and the key: u1·G + u2·Q becomes ~75 point additions and no doublings, several times faster
 * than recovering the key from every signature (what `ecrecover`-style checks in JS cost).
 *
 * Why not node:crypto: Node 20's `crypto.verify` always hashes its input (with SHA-256 when the
 * algorithm is null, OpenSSL 3.0's default digest for EC keys) and has no way to verify a precomputed
 * digest (nodejs/node#60263), while EIP-712 signs a keccak-256 digest. Everything here handles public
 * data only (signatures, digests, public keys), so variable-time arithmetic leaks nothing.
 *
 * `verifyWithKnownKey` accepts exactly what `ecrecover(digest, 27 + recovery, r, s) == key` accepts,
 * for r in [1, n) and s in [1, n) (callers apply the low-s rule on top): the point u1·G + u2·Q must
 * have x == r exactly and a y whose parity is `recovery`. The differential tests hold it to ethers'
 * recovery over thousands of random and tampered signatures.
 *
 * Pure and synchronous, no I/O: safe in worker threads. Tables are cached per thread.
 */

const P = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const GX = 0x79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798n;
const GY = 0x483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8n;

/** Wider windows are faster but cost memory: 2^w - 1 points per window of w bits. */
const GENERATOR_WINDOW = 8; // 32 × 255 points, built once per thread
const KEY_WINDOW = 6; // 43 × 63 points, ~0.33 MB of heap per cached key
/** Public keys whose tables stay cached (least recently used evicted first). */
export const KEY_TABLE_CACHE_SIZE = 32;

/** A point in Jacobian coordinates (x = X/Z², y = Y/Z³); Z = 0 is the point at infinity. */
interface Jacobian {
  X: bigint;
  Y: bigint;
  Z: bigint;
}

/** j · 2^(w·i) · P for every window i and digit j ≥ 1, affine, flattened row by row. */
interface FixedBaseTable {
  readonly window: number;
  readonly xs: bigint[];
  readonly ys: bigint[];
}

const mulP = (a: bigint, b: bigint): bigint => (a * b) % P;
const subP = (a: bigint, b: bigint): bigint => (a >= b ? a - b : a - b + P);
const addP = (a: bigint, b: bigint): bigint => {
  const sum = a + b;
  return sum >= P ? sum - P : sum;
};

/** a⁻¹ mod m for 0 < a < m, m prime (extended Euclid). */
function invert(a: bigint, m: bigint): bigint {
  let r0 = a;
  let r1 = m;
  let s0 = 1n;
  let s1 = 0n;
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  const inverse = s0 % m;
  return inverse < 0n ? inverse + m : inverse;
}

/** Doubling (dbl-2009-l, a = 0). */
function double(p: Jacobian): Jacobian {
  if (p.Z === 0n || p.Y === 0n) return { X: 1n, Y: 1n, Z: 0n };
  const A = mulP(p.X, p.X);
  const B = mulP(p.Y, p.Y);
  const C = mulP(B, B);
  const xb = addP(p.X, B);
  const D = (2n * subP(subP(mulP(xb, xb), A), C)) % P;
  const E = (3n * A) % P;
  const F = mulP(E, E);
  const X3 = subP(F, (2n * D) % P);
  const Y3 = subP(mulP(E, subP(D, X3)), (8n * C) % P);
  const Z3 = (2n * mulP(p.Y, p.Z)) % P;
  return { X: X3, Y: Y3, Z: Z3 };
}

/** acc + (x2, y2) in place, the second point affine (madd-2007-bl), with every special case. */
function addAffineInPlace(acc: Jacobian, x2: bigint, y2: bigint): void {
  if (acc.Z === 0n) {
    acc.X = x2;
    acc.Y = y2;
    acc.Z = 1n;
    return;
  }
  const Z1Z1 = mulP(acc.Z, acc.Z);
  const U2 = mulP(x2, Z1Z1);
  const S2 = mulP(mulP(y2, acc.Z), Z1Z1);
  const H = subP(U2, acc.X);
  const rHalf = subP(S2, acc.Y);
  if (H === 0n) {
    if (rHalf === 0n) {
      const doubled = double(acc);
      acc.X = doubled.X;
      acc.Y = doubled.Y;
      acc.Z = doubled.Z;
    } else {
      acc.Z = 0n; // P + (-P)
    }
    return;
  }
  const HH = mulP(H, H);
  const I = (4n * HH) % P;
  const J = mulP(H, I);
  const r = (2n * rHalf) % P;
  const V = mulP(acc.X, I);
  const X3 = subP(subP(mulP(r, r), J), (2n * V) % P);
  const Y3 = subP(mulP(r, subP(V, X3)), (2n * mulP(acc.Y, J)) % P);
  const zh = addP(acc.Z, H);
  const Z3 = subP(subP(mulP(zh, zh), Z1Z1), HH);
  acc.X = X3;
  acc.Y = Y3;
  acc.Z = Z3;
}

/** Converts points to affine with one inversion for all of them (Montgomery's trick). */
function toAffineBatch(points: Jacobian[]): { xs: bigint[]; ys: bigint[] } {
  const prefix: bigint[] = new Array<bigint>(points.length);
  let running = 1n;
  for (let i = 0; i < points.length; i++) {
    if (points[i].Z === 0n) throw new Error('secp256k1 table: unexpected point at infinity');
    prefix[i] = running;
    running = mulP(running, points[i].Z);
  }
  let inverse = invert(running, P);
  const xs = new Array<bigint>(points.length);
  const ys = new Array<bigint>(points.length);
  for (let i = points.length - 1; i >= 0; i--) {
    const zInv = mulP(inverse, prefix[i]);
    inverse = mulP(inverse, points[i].Z);
    const zInv2 = mulP(zInv, zInv);
    xs[i] = mulP(points[i].X, zInv2);
    ys[i] = mulP(points[i].Y, mulP(zInv2, zInv));
  }
  return { xs, ys };
}

function buildTable(x: bigint, y: bigint, window: number): FixedBaseTable {
  const rows = Math.ceil(256 / window);
  const size = (1 << window) - 1;
  const xs: bigint[] = [];
  const ys: bigint[] = [];
  let baseX = x;
  let baseY = y;
  for (let row = 0; row < rows; row++) {
    const multiples: Jacobian[] = [];
    const acc: Jacobian = { X: 1n, Y: 1n, Z: 0n };
    for (let j = 1; j <= size; j++) {
      addAffineInPlace(acc, baseX, baseY);
      multiples.push({ ...acc });
    }
    addAffineInPlace(acc, baseX, baseY); // 2^w · base: the next row's base
    multiples.push({ ...acc });
    const affine = toAffineBatch(multiples);
    xs.push(...affine.xs.slice(0, size));
    ys.push(...affine.ys.slice(0, size));
    baseX = affine.xs[size];
    baseY = affine.ys[size];
  }
  return { window, xs, ys };
}

/** acc += k · (the table's point), one affine addition per non-zero window digit of k. */
function addMultiple(acc: Jacobian, table: FixedBaseTable, k: bigint): void {
  const mask = BigInt((1 << table.window) - 1);
  const shift = BigInt(table.window);
  const size = (1 << table.window) - 1;
  let rest = k;
  for (let row = 0; rest > 0n; row++, rest >>= shift) {
    const digit = Number(rest & mask);
    if (digit !== 0) {
      const at = row * size + digit - 1;
      addAffineInPlace(acc, table.xs[at], table.ys[at]);
    }
  }
}

let generatorTable: FixedBaseTable | undefined;
const keyTables = new Map<string, FixedBaseTable>();

function tableOfKey(publicKey: Uint8Array, cacheKey: string): FixedBaseTable | undefined {
  const cached = keyTables.get(cacheKey);
  if (cached !== undefined) {
    keyTables.delete(cacheKey); // re-inserted below: Map order is the LRU order
    keyTables.set(cacheKey, cached);
    return cached;
  }
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) return undefined;
  const x = bytesToBigInt(publicKey.subarray(1, 33));
  const y = bytesToBigInt(publicKey.subarray(33, 65));
  if (x >= P || y >= P || mulP(y, y) !== addP(mulP(mulP(x, x), x), 7n)) return undefined;
  const table = buildTable(x, y, KEY_WINDOW);
  keyTables.set(cacheKey, table);
  if (keyTables.size > KEY_TABLE_CACHE_SIZE) {
    keyTables.delete(keyTables.keys().next().value as string);
  }
  return table;
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0
    ? 0n
    : BigInt(`0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex')}`);
}

/** The curve order n. */
export const SECP256K1_ORDER = N;

/**
 * True iff `ecrecover(digest, 27 + recovery, r, s)` would return `publicKey` (65 bytes, 0x04 || x || y).
 * False for r or s outside [1, n), a malformed or off-curve key, or any other mismatch.
 */
export function verifyWithKnownKey(
  digest: Uint8Array,
  r: bigint,
  s: bigint,
  recovery: 0 | 1,
  publicKey: Uint8Array,
): boolean {
  if (digest.length !== 32 || r <= 0n || r >= N || s <= 0n || s >= N) return false;
  const keyTable = tableOfKey(publicKey, Buffer.from(publicKey).toString('hex'));
  if (keyTable === undefined) return false;
  generatorTable ??= buildTable(GX, GY, GENERATOR_WINDOW);
  const e = bytesToBigInt(digest) % N;
  const w = invert(s, N);
  const acc: Jacobian = { X: 1n, Y: 1n, Z: 0n };
  addMultiple(acc, generatorTable, (e * w) % N);
  addMultiple(acc, keyTable, (r * w) % N);
  if (acc.Z === 0n) return false;
  const zInv = invert(acc.Z, P);
  const zInv2 = mulP(zInv, zInv);
  const x = mulP(acc.X, zInv2);
  const y = mulP(acc.Y, mulP(zInv2, zInv));
  return x === r && Number(y & 1n) === recovery;
}
