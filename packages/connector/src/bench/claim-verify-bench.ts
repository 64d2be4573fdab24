/**
 * Claim verification benchmark, one thread (one core): how many EVM claim signatures per second each
 * way of checking them manages, on 256 distinct claims of one channel sender.
 *  - ethersVerifyTypedData: what code written against ethers alone does (encode, recover, address).
 *  - recover:              recoverClaimSigner: our digest (cached domain) and ethers key recovery; what
 *                          the engine does for a sender's first claim.
 *  - knownKey:             verifyClaimSignature: fixed-base tables of the sender's known key; what the
 *                          engine does for every later claim.
 *  - nodeCryptoSha256:     reference only, not a claim check: node:crypto's native ECDSA secp256k1 verify
 *                          over SHA-256. Node 20 cannot verify a precomputed (keccak) digest natively.
 * The checks take turns in 5 rounds (BENCH_CLAIMS_SECONDS each in all), so load from other processes
 * hits them alike; each reports its median round as checks per wall second (perSec) and per second of
 * this process's CPU time (perCpuSec: what one dedicated core does, even on a shared machine).
 * Also reports how long the first verification with a new key takes (its table) and the heap it keeps.
 * Prints one JSON line.
 *
 *   npm run bench:claims     (env: BENCH_CLAIMS_SECONDS=3)
 */
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { Wallet, getBytes, hexlify, randomBytes, verifyTypedData } from 'ethers';
import {
  CLAIM_TYPES,
  claimDomain,
  publicKeyOf,
  recoverClaimSigner,
  signClaim,
  verifyClaimSignature,
  type ChannelClaim,
} from '../settlement/evm/claim-signature';

const SECONDS = Number(process.env.BENCH_CLAIMS_SECONDS ?? 3);
const ROUNDS = 5;

interface Rate {
  /** Checks per second of wall time. */
  readonly perSec: number;
  /** Checks per second of this process's CPU time: what one dedicated core does, even on a busy machine. */
  readonly perCpuSec: number;
}

/** Runs each check in turn for ROUNDS rounds (so load changes hit all alike); the median round of each. */
function measure(checks: Record<string, (i: number) => boolean>): Record<string, Rate> {
  const rounds: Record<string, Rate[]> = {};
  for (const [name, check] of Object.entries(checks)) {
    for (let i = 0; i < 64; i++) if (!check(i)) throw new Error(`${name}: a valid claim failed to verify`);
    rounds[name] = [];
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, check] of Object.entries(checks)) {
      let done = 0;
      const cpu = process.cpuUsage();
      const started = process.hrtime.bigint();
      const deadline = Date.now() + (SECONDS * 1000) / ROUNDS;
      while (Date.now() < deadline) {
        for (let j = 0; j < 16; j++, done++)
          if (!check(done)) throw new Error(`${name}: a valid claim failed`);
      }
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = process.cpuUsage(cpu);
      const cpuSeconds = (used.user + used.system) / 1e6;
      rounds[name].push({ perSec: Math.round(done / wallSeconds), perCpuSec: Math.round(done / cpuSeconds) });
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
  return Object.fromEntries(
    Object.entries(rounds).map(([name, rates]) => [
      name,
      { perSec: median(rates.map((r) => r.perSec)), perCpuSec: median(rates.map((r) => r.perCpuSec)) },
    ]),
  );
}

function main(): void {
  const sender = Wallet.createRandom();
  const contract = hexlify(randomBytes(20));
  const channelId = hexlify(randomBytes(32));
  const claims: { claim: ChannelClaim; signature: string }[] = [];
  for (let i = 0; i < 256; i++) {
    const claim = { chainId: 8453n, contract, channelId, cumulative: 10n ** 15n * BigInt(i + 1) };
    claims.push({ claim, signature: signClaim(sender.privateKey, claim) });
  }
  const domain = claimDomain(8453n, contract);
  const types = { Claim: [...CLAIM_TYPES.Claim] };
  const publicKey = publicKeyOf(sender.privateKey);

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const firstStarted = process.hrtime.bigint();
  verifyClaimSignature(claims[0].claim, claims[0].signature, publicKey);
  const firstVerifyMs = Number(process.hrtime.bigint() - firstStarted) / 1e6;
  const secondKey = publicKeyOf(Wallet.createRandom().privateKey);
  global.gc?.(); // (with --expose-gc, as npm run bench:claims runs it)
  const heapWithTables = process.memoryUsage().heapUsed;
  const keyStarted = process.hrtime.bigint();
  verifyClaimSignature(claims[0].claim, claims[0].signature, secondKey);
  const newKeyTableMs = Number(process.hrtime.bigint() - keyStarted) / 1e6;
  global.gc?.();
  const perKeyTableBytes = process.memoryUsage().heapUsed - heapWithTables;

  const at = (i: number) => claims[i % claims.length];
  const key = getBytes(publicKey);
  const jwk = {
    kty: 'EC',
    crv: 'secp256k1',
    x: Buffer.from(key.subarray(1, 33)).toString('base64url'),
    y: Buffer.from(key.subarray(33)).toString('base64url'),
  };
  const nativePublic = createPublicKey({ key: jwk, format: 'jwk' });
  const d = Buffer.from(getBytes(sender.privateKey)).toString('base64url');
  const nativePrivate = createPrivateKey({ key: { ...jwk, d }, format: 'jwk' });
  const messages = claims.map((c) => Buffer.from(getBytes(c.signature).subarray(0, 32)));
  const nativeSignatures = messages.map((m) =>
    sign('sha256', m, { key: nativePrivate, dsaEncoding: 'ieee-p1363' }),
  );

  const rates = measure({
    ethersVerifyTypedData: (i) => {
      const { claim, signature } = at(i);
      const value = { channelId: claim.channelId, cumulativeAmount: claim.cumulative };
      return verifyTypedData(domain, types, value, signature) === sender.address;
    },
    recover: (i) => recoverClaimSigner(at(i).claim, at(i).signature)?.address === sender.address,
    knownKey: (i) => verifyClaimSignature(at(i).claim, at(i).signature, publicKey),
    nodeCryptoSha256: (i) =>
      verify(
        'sha256',
        messages[i % 256],
        { key: nativePublic, dsaEncoding: 'ieee-p1363' },
        nativeSignatures[i % 256],
      ),
  });

  const report = {
    bench: 'claim-verify',
    node: process.version,
    seconds: SECONDS,
    ethersVerifyTypedData: rates.ethersVerifyTypedData,
    recover: rates.recover,
    knownKey: rates.knownKey,
    knownKeySpeedupCpu: Number((rates.knownKey.perCpuSec / rates.ethersVerifyTypedData.perCpuSec).toFixed(1)),
    nodeCryptoSha256: rates.nodeCryptoSha256,
    firstVerifyMs: Number(firstVerifyMs.toFixed(1)),
    newKeyTableMs: Number(newKeyTableMs.toFixed(1)),
    perKeyTableBytes: global.gc === undefined ? null : perKeyTableBytes,
    /** The generator's table (once per thread) and the first key's. */
    firstTablesBytes: global.gc === undefined ? null : heapWithTables - heapBefore,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main();
