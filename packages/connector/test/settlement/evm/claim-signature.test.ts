import {
  Signature,
  TypedDataEncoder,
  Wallet,
  getBytes,
  hexlify,
  recoverAddress,
  verifyTypedData,
  type Contract,
} from 'ethers';
import fc from 'fast-check';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CLAIM_TYPES,
  claimDigest,
  claimDomain,
  parseClaimSignature,
  publicKeyOf,
  recoverClaimSigner,
  signClaim,
  verifyClaimSignature,
  type ChannelClaim,
} from '../../../src/settlement/evm/claim-signature';
import { SECP256K1_ORDER, verifyWithKnownKey } from '../../../src/settlement/evm/secp256k1-known-key';
import { deployChannels, startChain, stopChain, type Chain } from './support';

/**
 * Claim signatures, held to two independent oracles: ethers (EIP-712 encoding and key recovery) plus the
 * contract's encoding rules, and the deployed contract itself (`recoverClaimSigner`, the very check
 * `claim` and `closeByReceiver` apply).
 */
const SIGNERS = Array.from(
  { length: 6 },
  (_, i) => new Wallet(`0x${(i + 1).toString(16).padStart(64, '7')}`),
);
/** Property runs are CPU-bound pure-JS crypto: on a CI machine whose 2 cores are shared they take a while. */
const CPU_BOUND_TIMEOUT_MS = 180_000;
const PUBLIC_KEYS = new Map(SIGNERS.map((w) => [w.address, publicKeyOf(w.privateKey)]));
const HALF_ORDER = SECP256K1_ORDER >> 1n;
const UINT256_MAX = (1n << 256n) - 1n;

function typed(claim: ChannelClaim) {
  return {
    domain: claimDomain(claim.chainId, claim.contract),
    types: { Claim: [...CLAIM_TYPES.Claim] },
    value: { channelId: claim.channelId, cumulativeAmount: claim.cumulative },
  };
}

/** ethers' answer with the contract's encoding rules on top (65 bytes, v 27/28, s ≤ n/2). */
function oracleAccepts(claim: ChannelClaim, signature: string, signer: string): boolean {
  const bytes = getBytes(signature);
  if (bytes.length !== 65 || (bytes[64] !== 27 && bytes[64] !== 28)) return false;
  if (BigInt(hexlify(bytes.subarray(32, 64))) > HALF_ORDER) return false;
  try {
    const { domain, types, value } = typed(claim);
    return recoverAddress(TypedDataEncoder.hash(domain, types, value), signature) === signer;
  } catch {
    return false; // no key recovers from this signature
  }
}

/** The malleable twin: s → n − s and the parity flipped. Plain ecrecover accepts it; the contract does not. */
function highS(signature: string): string {
  const sig = Signature.from(signature);
  const bytes = getBytes(signature);
  bytes.set(getBytes(`0x${(SECP256K1_ORDER - BigInt(sig.s)).toString(16).padStart(64, '0')}`), 32);
  bytes[64] = sig.v === 27 ? 28 : 27;
  return hexlify(bytes);
}

const MUTATIONS = [
  'none',
  'amount',
  'channel',
  'chain',
  'contract',
  'wrong-signer',
  'high-s',
  'flip-v',
  'v-0',
  'r-bit',
  's-bit',
  'r-zero',
  'r-order',
  'truncated',
] as const;
type Mutation = (typeof MUTATIONS)[number];

interface Case {
  /** The claim presented for verification. */
  readonly presented: ChannelClaim;
  readonly signature: string;
  /** The key the verifier believes is the channel sender's. */
  readonly expected: Wallet;
  readonly mutation: Mutation;
}

const hex32 = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b));
const address = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b));
const amount = fc.oneof(
  fc.bigInt({ min: 0n, max: 10n ** 24n }),
  fc.bigInt({ min: 0n, max: UINT256_MAX }),
  fc.constantFrom(0n, 1n, UINT256_MAX),
);
const chainId = fc.oneof(fc.constantFrom(1n, 31337n, 8453n), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }));
const claimArbitrary = fc.record({ chainId, contract: address, channelId: hex32, cumulative: amount });

const caseParameters = fc.record({
  signerIndex: fc.nat({ max: SIGNERS.length - 1 }),
  otherIndex: fc.nat({ max: SIGNERS.length - 2 }),
  claim: claimArbitrary,
  mutation: fc.constantFrom(...MUTATIONS),
  bit: fc.nat({ max: 255 }),
  other: fc.record({ channelId: hex32, contract: address, cumulative: amount }),
});
type CaseParameters = typeof caseParameters extends fc.Arbitrary<infer T> ? T : never;

/** A claim presented for verification, and a signature that is valid or tampered as `mutation` says. */
function buildCase({ signerIndex, otherIndex, claim, mutation, bit, other }: CaseParameters): Case {
  const signer = SIGNERS[signerIndex];
  const wrong = SIGNERS[otherIndex >= signerIndex ? otherIndex + 1 : otherIndex];
  const signedFor = (changed: Partial<ChannelClaim>) =>
    signClaim(signer.privateKey, { ...claim, ...changed });
  // The amount/channel/chain/contract cases sign a different claim instead of this one.
  const signature = ['amount', 'channel', 'chain', 'contract'].includes(mutation) ? '' : signedFor({});
  const bytes = signature === '' ? new Uint8Array(65) : getBytes(signature);
  const flipBit = (offset: number) => {
    const copy = new Uint8Array(bytes);
    copy[offset + (bit >> 3)] ^= 1 << (bit & 7);
    return hexlify(copy);
  };
  const base: Case = { presented: claim, signature, expected: signer, mutation };
  switch (mutation) {
    case 'none':
      return base;
    // Signed for another amount, channel, chain or contract than the one presented.
    case 'amount':
      return {
        ...base,
        signature: signedFor({
          cumulative: other.cumulative === claim.cumulative ? claim.cumulative ^ 1n : other.cumulative,
        }),
      };
    case 'channel':
      return { ...base, signature: signedFor({ channelId: other.channelId }) };
    case 'chain':
      return { ...base, signature: signedFor({ chainId: claim.chainId + 1n }) };
    case 'contract':
      return { ...base, signature: signedFor({ contract: other.contract }) };
    case 'wrong-signer':
      return { ...base, expected: wrong };
    case 'high-s':
      return { ...base, signature: highS(signature) };
    case 'flip-v':
      return { ...base, signature: `${signature.slice(0, 130)}${bytes[64] === 27 ? '1c' : '1b'}` };
    case 'v-0':
      return { ...base, signature: `${signature.slice(0, 130)}0${bytes[64] - 27}` };
    case 'r-bit':
      return { ...base, signature: flipBit(0) };
    case 's-bit':
      return { ...base, signature: flipBit(32) };
    case 'r-zero':
      return { ...base, signature: `0x${'00'.repeat(32)}${signature.slice(66)}` };
    case 'r-order':
      return { ...base, signature: `0x${SECP256K1_ORDER.toString(16)}${signature.slice(66)}` };
    case 'truncated':
      return { ...base, signature: signature.slice(0, 2 + 2 * (bit % 65)) };
  }
}

const caseArbitrary = caseParameters.map(buildCase);

describe('claimDigest', () => {
  it(
    'is the EIP-712 hash ethers computes for the same typed data',
    () => {
      fc.assert(
        fc.property(
          fc.record({ chainId, contract: address, channelId: hex32, cumulative: amount }),
          (claim) => {
            const { domain, types, value } = typed(claim);
            expect(hexlify(claimDigest(claim))).toBe(TypedDataEncoder.hash(domain, types, value));
          },
        ),
        { numRuns: 500 },
      );
    },
    CPU_BOUND_TIMEOUT_MS,
  );

  it('refuses what the contract could not encode', () => {
    const claim: ChannelClaim = {
      chainId: 1n,
      contract: SIGNERS[0].address,
      channelId: `0x${'11'.repeat(32)}`,
      cumulative: 1n,
    };
    expect(() => claimDigest({ ...claim, cumulative: -1n })).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_SETTLEMENT_INVALID_INPUT' }),
    );
    expect(() => claimDigest({ ...claim, cumulative: UINT256_MAX + 1n })).toThrow('not a uint256');
    expect(() => claimDigest({ ...claim, channelId: '0x1234' })).toThrow('not a channel id');
    expect(() => claimDigest({ ...claim, chainId: 0n })).toThrow('not a chain id');
  });
});

describe('signClaim', () => {
  it(
    'makes 65-byte low-s signatures with v 27 or 28 that ethers attributes to the signer',
    () => {
      fc.assert(
        fc.property(
          fc.nat({ max: SIGNERS.length - 1 }),
          fc.record({ chainId, contract: address, channelId: hex32, cumulative: amount }),
          (i, claim) => {
            const signature = signClaim(SIGNERS[i].privateKey, claim);
            const parsed = parseClaimSignature(signature);
            expect(parsed).toBeDefined();
            expect(parsed?.s).toBeLessThanOrEqual(HALF_ORDER);
            const { domain, types, value } = typed(claim);
            expect(verifyTypedData(domain, types, value, signature)).toBe(SIGNERS[i].address);
          },
        ),
        { numRuns: 300 },
      );
    },
    CPU_BOUND_TIMEOUT_MS,
  );
});

describe('verifyClaimSignature and recoverClaimSigner (differential)', () => {
  it(
    'accept exactly what ethers plus the contract rules accept, over thousands of valid and tampered claims',
    () => {
      const seen = new Map<Mutation, { accepted: number; refused: number }>();
      fc.assert(
        fc.property(caseArbitrary, (c) => {
          const expected = oracleAccepts(c.presented, c.signature, c.expected.address);
          expect(
            verifyClaimSignature(c.presented, c.signature, PUBLIC_KEYS.get(c.expected.address) as string),
          ).toBe(expected);
          const recovered = recoverClaimSigner(c.presented, c.signature);
          expect(recovered?.address === c.expected.address).toBe(expected);
          const tally = seen.get(c.mutation) ?? { accepted: 0, refused: 0 };
          tally[expected ? 'accepted' : 'refused']++;
          seen.set(c.mutation, tally);
        }),
        { numRuns: 2000 },
      );
      // The run really covered both outcomes: untampered claims pass, tampered ones fail.
      expect(seen.get('none')?.refused).toBe(0);
      expect(seen.get('none')?.accepted).toBeGreaterThan(50);
      for (const mutation of MUTATIONS.filter((m) => m !== 'none')) {
        expect(seen.get(mutation)?.refused).toBeGreaterThan(50);
      }
    },
    CPU_BOUND_TIMEOUT_MS,
  );

  it('accepts, for whatever key recovery names from a signature, that key', () => {
    // Tampered signatures recover random keys: each costs a table build, so fewer runs.
    fc.assert(
      fc.property(caseArbitrary, (c) => {
        const recovered = recoverClaimSigner(c.presented, c.signature);
        if (recovered !== undefined) {
          expect(verifyClaimSignature(c.presented, c.signature, recovered.publicKey)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('refuses keys that are not on the curve or not uncompressed', () => {
    const claim: ChannelClaim = {
      chainId: 1n,
      contract: SIGNERS[0].address,
      channelId: `0x${'22'.repeat(32)}`,
      cumulative: 5n,
    };
    const signature = signClaim(SIGNERS[0].privateKey, claim);
    const key = publicKeyOf(SIGNERS[0].privateKey);
    expect(verifyClaimSignature(claim, signature, key)).toBe(true);
    expect(
      verifyClaimSignature(claim, signature, `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`),
    ).toBe(false);
    expect(verifyClaimSignature(claim, signature, `0x02${key.slice(4, 68)}`)).toBe(false);
    expect(verifyClaimSignature(claim, signature, 'not hex')).toBe(false);
    expect(verifyClaimSignature(claim, 'not hex', key)).toBe(false);
  });

  it('agrees with the point arithmetic on edge scalars (digest ≡ 0 mod n, digest ≥ n)', () => {
    // u1 = 0 and a digest larger than the order both reduce mod n; recovery and the tables must agree.
    const key = SIGNERS[1].signingKey;
    for (const digest of [
      new Uint8Array(32),
      getBytes(`0x${SECP256K1_ORDER.toString(16)}`),
      new Uint8Array(32).fill(0xff),
    ]) {
      const signature = key.sign(digest);
      const recovered = recoverAddress(digest, signature);
      expect(recovered).toBe(SIGNERS[1].address);
      const ok = verifyWithKnownKey(
        digest,
        BigInt(signature.r),
        BigInt(signature.s),
        signature.yParity,
        getBytes(key.publicKey),
      );
      expect(ok).toBe(true);
      expect(
        verifyWithKnownKey(
          digest,
          BigInt(signature.r),
          BigInt(signature.s),
          signature.yParity === 0 ? 1 : 0,
          getBytes(key.publicKey),
        ),
      ).toBe(false);
    }
  });
});

describe('in a worker thread', () => {
  it('signs and verifies with nothing but structured-cloneable values crossing the boundary', async () => {
    const claim: ChannelClaim = {
      chainId: 31337n,
      contract: SIGNERS[3].address,
      channelId: `0x${'5a'.repeat(32)}`,
      cumulative: 12_345_678_901_234_567_890n,
    };
    const source = join(__dirname, '../../../src/settlement/evm/claim-signature.ts');
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       require(workerData.register);
       const claims = require(workerData.source);
       parentPort.on('message', ({ claim, privateKey, publicKey, tampered }) => {
         const signature = claims.signClaim(privateKey, claim);
         parentPort.postMessage({
           signature,
           digest: claims.claimDigest(claim),
           valid: claims.verifyClaimSignature(claim, signature, publicKey),
           tampered: claims.verifyClaimSignature(tampered, signature, publicKey),
         });
       });`,
      {
        eval: true,
        workerData: { register: join(__dirname, '../../../../../test/helpers/register-ts.cjs'), source },
      },
    );
    try {
      const answer = new Promise<{
        signature: string;
        digest: Uint8Array;
        valid: boolean;
        tampered: boolean;
      }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage({
        claim,
        privateKey: SIGNERS[3].privateKey,
        publicKey: publicKeyOf(SIGNERS[3].privateKey),
        tampered: { ...claim, cumulative: claim.cumulative + 1n },
      });
      const { signature, digest, valid, tampered } = await answer;
      expect([valid, tampered]).toEqual([true, false]);
      expect(digest).toEqual(claimDigest(claim));
      expect(signature).toBe(signClaim(SIGNERS[3].privateKey, claim));
    } finally {
      await worker.terminate();
    }
  });
});

describe('against the deployed contract', () => {
  let chain: Chain;
  let channels: Contract;
  let contractAddress: string;

  beforeAll(async () => {
    chain = await startChain();
    channels = await deployChannels(chain.wallets[0]);
    contractAddress = await channels.getAddress();
  }, 60_000);

  afterAll(() => stopChain(chain));

  /** The contract's verdict: its recoverClaimSigner reverts on a bad encoding and returns the signer. */
  async function contractAccepts(claim: ChannelClaim, signature: string, signer: string): Promise<boolean> {
    try {
      return (await channels.recoverClaimSigner(claim.channelId, claim.cumulative, signature)) === signer;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'CALL_EXCEPTION') throw err;
      return false;
    }
  }

  it(
    'accepts exactly the signatures verifyClaimSignature accepts, for this chain and contract',
    async () => {
      const here = { chainId: 31337n, contract: contractAddress };
      const cases = fc
        .sample(caseParameters, { numRuns: 300, seed: 4242 })
        .map((p) => buildCase({ ...p, claim: { ...p.claim, ...here } }));
      let accepted = 0;
      for (const c of cases) {
        const ours = verifyClaimSignature(
          c.presented,
          c.signature,
          PUBLIC_KEYS.get(c.expected.address) as string,
        );
        expect(await contractAccepts(c.presented, c.signature, c.expected.address)).toBe(ours);
        if (ours) accepted++;
      }
      expect(accepted).toBeGreaterThan(10);
      expect(accepted).toBeLessThan(cases.length / 2);
    },
    CPU_BOUND_TIMEOUT_MS,
  );
});
