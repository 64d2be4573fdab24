/**
 * XRPL claim verification benchmark, on one core (the main thread; no workers): how many payment
 * channel claims per second native `node:crypto` verifies (claim-signature.ts), for ed25519 and
 * secp256k1 channel keys, against xrpl.js's `verifyPaymentChannelClaim` (pure JS, noble-curves) on the
 * same claims. Also native signing (one key, parsed once). Every claim is distinct (its own channel and amount) and valid;
 * the keys are a handful, as in a connector verifying its peers' claims (KeyObjects are cached).
 * Prints one JSON line.
 *
 *   npm run bench:xrpl-claims   (env: BENCH_XRPL_SECONDS=2 per measurement, BENCH_XRPL_CLAIMS=2000)
 */
import { randomBytes } from 'node:crypto';
import { ECDSA, Wallet, verifyPaymentChannelClaim } from 'xrpl';
import { createClaimSigner, signClaim, verifyClaimSignature } from '../settlement/xrpl/claim-signature';

const SECONDS = Number(process.env.BENCH_XRPL_SECONDS ?? 2);
const CLAIMS = Number(process.env.BENCH_XRPL_CLAIMS ?? 2000);

interface Claim {
  readonly channel: string;
  readonly drops: bigint;
  readonly xrp: string;
  readonly signature: string;
  readonly publicKey: string;
}

function claims(algorithm: ECDSA): Claim[] {
  const wallets = Array.from({ length: 4 }, () => Wallet.generate(algorithm));
  return Array.from({ length: CLAIMS }, (_, i) => {
    const wallet = wallets[i % wallets.length];
    const channel = randomBytes(32).toString('hex').toUpperCase();
    const drops = randomBytes(6).readUIntBE(0, 6) + 1;
    return {
      channel,
      drops: BigInt(drops),
      xrp: `${Math.floor(drops / 1e6)}.${String(drops % 1e6).padStart(6, '0')}`,
      signature: signClaim(channel, BigInt(drops), wallet.privateKey),
      publicKey: wallet.publicKey,
    };
  });
}

/** Runs `op` over the claims round robin for SECONDS; every call must return true. */
function perSecond(list: readonly Claim[], op: (claim: Claim) => boolean): number {
  for (let i = 0; i < Math.min(200, list.length); i++) op(list[i]); // warm-up (JIT, key cache)
  let count = 0;
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(SECONDS * 1e9));
  let now = started;
  while (now < until) {
    for (let j = 0; j < 50; j++) {
      if (!op(list[count % list.length])) throw new Error('a valid claim did not verify');
      count++;
    }
    now = process.hrtime.bigint();
  }
  return Math.round(count / (Number(now - started) / 1e9));
}

function main(): void {
  const ed = claims(ECDSA.ed25519);
  const k1 = claims(ECDSA.secp256k1);
  const nativeVerify = (c: Claim) => verifyClaimSignature(c.channel, c.drops, c.signature, c.publicKey);
  const xrplJsVerify = (c: Claim) => verifyPaymentChannelClaim(c.channel, c.xrp, c.signature, c.publicKey);
  const edSigner = createClaimSigner(Wallet.generate(ECDSA.ed25519).privateKey);
  const k1Signer = createClaimSigner(Wallet.generate(ECDSA.secp256k1).privateKey);
  const result = {
    bench: 'xrpl-claims',
    node: process.version,
    cores: 1,
    secondsPerMeasurement: SECONDS,
    claims: CLAIMS,
    verifyPerSecond: {
      nativeEd25519: perSecond(ed, nativeVerify),
      nativeSecp256k1: perSecond(k1, nativeVerify),
      xrplJsEd25519: perSecond(ed, xrplJsVerify),
      xrplJsSecp256k1: perSecond(k1, xrplJsVerify),
    },
    signPerSecond: {
      nativeEd25519: perSecond(ed, (c) => edSigner(c.channel, c.drops).length === 128),
      nativeSecp256k1: perSecond(k1, (c) => k1Signer(c.channel, c.drops).length > 0),
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main();
