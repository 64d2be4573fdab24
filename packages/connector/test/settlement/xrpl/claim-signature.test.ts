import { createHash, createPublicKey } from 'node:crypto';
import {
  ECDSA,
  Wallet,
  encodeForSigningClaim,
  signPaymentChannelClaim,
  verifyPaymentChannelClaim,
  type PaymentChannelClaim,
} from 'xrpl';
import {
  MAX_CLAIM_DROPS,
  claimKeyType,
  claimPayload,
  isFullyCanonicalDer,
  signClaim,
  verifyClaimSignature,
} from '../../../src/settlement/xrpl/claim-signature';

/** A seeded generator (sha256 in counter mode), so a failing case can be replayed. */
function randomSource(seed: string) {
  let counter = 0;
  const bytes = (n: number): Buffer => {
    const out: Buffer[] = [];
    for (let have = 0; have < n; have += 32) {
      out.push(createHash('sha256').update(`${seed}:${counter++}`).digest());
    }
    return Buffer.concat(out).subarray(0, n);
  };
  return {
    bytes,
    int: (n: number) => bytes(4).readUInt32BE(0) % n,
    drops: () => bytes(8).readBigUInt64BE(0) % (MAX_CLAIM_DROPS + 1n),
  };
}

/** xrpl.js takes XRP, not drops: an exact decimal string (a float would round above 2^53 drops). */
function dropsToXrpString(drops: bigint): string {
  return `${drops / 1_000_000n}.${(drops % 1_000_000n).toString().padStart(6, '0')}`;
}

/** xrpl.js's verdict, with its exceptions (malformed input) counted as "not valid". */
function xrplJsVerify(channel: string, drops: bigint, signature: string, publicKey: string): boolean {
  try {
    return verifyPaymentChannelClaim(channel, dropsToXrpString(drops), signature, publicKey);
  } catch {
    return false;
  }
}

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same (r, s) with s replaced by n - s: valid ECDSA, but not fully canonical. */
function highSTwin(signature: string): string {
  const der = Buffer.from(signature, 'hex');
  const rLength = der[3];
  const r = der.subarray(4, 4 + rLength);
  const sLength = der[5 + rLength];
  const s = BigInt(`0x${der.subarray(6 + rLength, 6 + rLength + sLength).toString('hex')}`);
  let sHex = (SECP256K1_N - s).toString(16);
  if (sHex.length % 2) sHex = `0${sHex}`;
  if (parseInt(sHex.slice(0, 2), 16) & 0x80) sHex = `00${sHex}`;
  const sBytes = Buffer.from(sHex, 'hex');
  const body = Buffer.concat([Buffer.from([0x02, rLength]), r, Buffer.from([0x02, sBytes.length]), sBytes]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body])
    .toString('hex')
    .toUpperCase();
}

type Variant = 'valid' | 'tampered-amount' | 'tampered-channel' | 'wrong-key' | 'malformed-signature';
const VARIANTS: readonly Variant[] = [
  'valid',
  'tampered-amount',
  'tampered-channel',
  'wrong-key',
  'malformed-signature',
];

function malform(signature: string, rnd: ReturnType<typeof randomSource>): string {
  switch (rnd.int(6)) {
    case 0: {
      const i = rnd.int(signature.length / 2);
      const bytes = Buffer.from(signature, 'hex');
      bytes[i] ^= 1 << rnd.int(8);
      return bytes.toString('hex').toUpperCase();
    }
    case 1:
      return signature.slice(0, signature.length - 2 * (1 + rnd.int(4)));
    case 2:
      return `${signature}${rnd
        .bytes(1 + rnd.int(3))
        .toString('hex')
        .toUpperCase()}`;
    case 3:
      return rnd
        .bytes(1 + rnd.int(80))
        .toString('hex')
        .toUpperCase();
    case 4:
      return '';
    default:
      return `${signature.slice(0, -1)}Z`;
  }
}

describe('XRPL claim signatures', () => {
  it('builds the payload rippled signs: "CLM\\0", the channel id and the drops, as encodeForSigningClaim', () => {
    const rnd = randomSource('payload');
    for (let i = 0; i < 500; i++) {
      const channel = rnd.bytes(32).toString('hex').toUpperCase();
      const drops = i === 0 ? 0n : i === 1 ? MAX_CLAIM_DROPS : rnd.drops();
      const payload = claimPayload(i % 2 ? channel.toLowerCase() : channel, drops);
      expect(payload?.toString('hex').toUpperCase()).toBe(
        // xrpl.js types the argument as a PaymentChannelClaim; its codec reads { channel, amount }.
        encodeForSigningClaim({ channel, amount: drops.toString() } as unknown as PaymentChannelClaim),
      );
    }
  });

  it('has no payload for a malformed channel id or an amount outside 0 to 10^17 drops', () => {
    const channel = 'AB'.repeat(32);
    expect(claimPayload(channel.slice(2), 1n)).toBeUndefined();
    expect(claimPayload(`${channel.slice(2)}ZZ`, 1n)).toBeUndefined();
    expect(claimPayload(channel, -1n)).toBeUndefined();
    expect(claimPayload(channel, MAX_CLAIM_DROPS + 1n)).toBeUndefined();
    expect(() => signClaim(channel, -1n, Wallet.generate().privateKey)).toThrow(RangeError);
  });

  it('knows the key types rippled accepts for a channel: ED-prefixed ed25519 and compressed secp256k1', () => {
    const ed = Wallet.generate(ECDSA.ed25519);
    const k1 = Wallet.generate(ECDSA.secp256k1);
    expect(claimKeyType(ed.publicKey)).toBe('ed25519');
    expect(claimKeyType(k1.publicKey)).toBe('secp256k1');
    expect(claimKeyType(`04${'11'.repeat(64)}`)).toBeUndefined(); // uncompressed: rippled's temMALFORMED
    expect(claimKeyType('00'.repeat(33))).toBeUndefined();
  });

  it('signs ed25519 claims byte for byte as xrpl.js does', () => {
    const rnd = randomSource('ed25519-signing');
    const wallet = Wallet.fromEntropy(rnd.bytes(16), { algorithm: ECDSA.ed25519 });
    for (let i = 0; i < 200; i++) {
      const channel = rnd.bytes(32).toString('hex').toUpperCase();
      const drops = rnd.drops();
      expect(signClaim(channel, drops, wallet.privateKey)).toBe(
        signPaymentChannelClaim(channel, dropsToXrpString(drops), wallet.privateKey),
      );
    }
  });

  it('signs secp256k1 claims as strict low-S DER that xrpl.js accepts', () => {
    const rnd = randomSource('secp256k1-signing');
    const wallet = Wallet.fromEntropy(rnd.bytes(16), { algorithm: ECDSA.secp256k1 });
    for (let i = 0; i < 300; i++) {
      const channel = rnd.bytes(32).toString('hex').toUpperCase();
      const drops = rnd.drops();
      const signature = signClaim(channel, drops, wallet.privateKey);
      expect(isFullyCanonicalDer(Buffer.from(signature, 'hex'))).toBe(true);
      expect(xrplJsVerify(channel, drops, signature, wallet.publicKey)).toBe(true);
    }
  });

  for (const algorithm of [ECDSA.ed25519, ECDSA.secp256k1]) {
    it(`agrees with xrpl.js verifyPaymentChannelClaim on 2,000 random ${algorithm} claims of every kind`, () => {
      const rnd = randomSource(`differential-${algorithm}`);
      const wallets = Array.from({ length: 8 }, () => Wallet.fromEntropy(rnd.bytes(16), { algorithm }));
      const counts: Record<Variant, { cases: number; accepted: number }> = {
        valid: { cases: 0, accepted: 0 },
        'tampered-amount': { cases: 0, accepted: 0 },
        'tampered-channel': { cases: 0, accepted: 0 },
        'wrong-key': { cases: 0, accepted: 0 },
        'malformed-signature': { cases: 0, accepted: 0 },
      };
      const disagreements: string[] = [];
      for (let i = 0; i < 2000; i++) {
        const wallet = wallets[rnd.int(wallets.length)];
        let channel = rnd.bytes(32).toString('hex').toUpperCase();
        let drops = rnd.drops();
        // Half the signatures come from xrpl.js, half from our signer: both must verify the same way.
        let signature =
          i % 2 === 0
            ? signPaymentChannelClaim(channel, dropsToXrpString(drops), wallet.privateKey)
            : signClaim(channel, drops, wallet.privateKey);
        let publicKey = wallet.publicKey;
        const variant = VARIANTS[i % VARIANTS.length];
        if (variant === 'tampered-amount') drops = drops === 0n ? 1n : drops - 1n - (rnd.drops() % drops);
        if (variant === 'tampered-channel') {
          const bytes = Buffer.from(channel, 'hex');
          bytes[rnd.int(32)] ^= 1 << rnd.int(8);
          channel = bytes.toString('hex').toUpperCase();
        }
        if (variant === 'wrong-key')
          publicKey = wallets[(wallets.indexOf(wallet) + 1) % wallets.length].publicKey;
        if (variant === 'malformed-signature') signature = malform(signature, rnd);
        const native = verifyClaimSignature(channel, drops, signature, publicKey);
        const reference = xrplJsVerify(channel, drops, signature, publicKey);
        if (native !== reference)
          disagreements.push(`${variant}: ${channel} ${drops} ${signature} ${publicKey}`);
        counts[variant].cases++;
        if (native) counts[variant].accepted++;
      }
      expect(disagreements).toEqual([]);
      expect(counts.valid).toEqual({ cases: 400, accepted: 400 });
      for (const variant of VARIANTS.slice(1)) expect(counts[variant]).toEqual({ cases: 400, accepted: 0 });
    });
  }

  it("refuses a secp256k1 signature's high-S twin, as rippled and xrpl.js do (claims must be fully canonical)", () => {
    const rnd = randomSource('high-s');
    const wallet = Wallet.fromEntropy(rnd.bytes(16), { algorithm: ECDSA.secp256k1 });
    for (let i = 0; i < 50; i++) {
      const channel = rnd.bytes(32).toString('hex').toUpperCase();
      const drops = rnd.drops();
      const signature = signClaim(channel, drops, wallet.privateKey);
      const twin = highSTwin(signature);
      expect(verifyClaimSignature(channel, drops, signature, wallet.publicKey)).toBe(true);
      expect(verifyClaimSignature(channel, drops, twin, wallet.publicKey)).toBe(false);
      expect(xrplJsVerify(channel, drops, twin, wallet.publicKey)).toBe(false);
    }
  });

  it('refuses secp256k1 DER that is not minimal (a padded integer), which rippled refuses too', () => {
    const wallet = Wallet.generate(ECDSA.secp256k1);
    const channel = 'CD'.repeat(32);
    const signature = Buffer.from(signClaim(channel, 5n, wallet.privateKey), 'hex');
    const rLength = signature[3];
    const r = signature.subarray(4, 4 + rLength);
    const rest = signature.subarray(4 + rLength);
    const padded = Buffer.concat([Buffer.from([0x30, signature[1] + 1, 0x02, rLength + 1, 0x00]), r, rest]);
    expect(isFullyCanonicalDer(padded)).toBe(false);
    expect(verifyClaimSignature(channel, 5n, padded.toString('hex'), wallet.publicKey)).toBe(false);
  });

  it('refuses claims under an uncompressed secp256k1 key: no channel can carry one (xrpl.js would accept it)', () => {
    const wallet = Wallet.generate(ECDSA.secp256k1);
    const channel = 'EF'.repeat(32);
    const signature = signClaim(channel, 7n, wallet.privateKey);
    const spki = createPublicKey({
      key: Buffer.concat([
        Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex'),
        Buffer.from(wallet.publicKey, 'hex'),
      ]),
      format: 'der',
      type: 'spki',
    });
    const jwk = spki.export({ format: 'jwk' }) as { x: string; y: string };
    const uncompressed = `04${Buffer.from(jwk.x, 'base64url').toString('hex')}${Buffer.from(jwk.y, 'base64url').toString('hex')}`;
    expect(xrplJsVerify(channel, 7n, signature, uncompressed)).toBe(true);
    expect(verifyClaimSignature(channel, 7n, signature, uncompressed)).toBe(false);
  });
});
