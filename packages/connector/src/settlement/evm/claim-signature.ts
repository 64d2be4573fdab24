import { SigningKey, computeAddress, getAddress, getBytes, hexlify, keccak256, toUtf8Bytes } from 'ethers';
import { DaemonError } from '../../errors';
import { SECP256K1_ORDER, verifyWithKnownKey } from './secp256k1-known-key';

/**
 * Claims on the EVM payment-channel contract (contracts/UnidirectionalEthChannels.sol): EIP-712 typed
 * data `Claim(bytes32 channelId,uint256 cumulativeAmount)` under the domain
 * `EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)` with name
 * "ilpd UnidirectionalEthChannels" and version "1". A claim is therefore valid on one chain, one
 * contract and one channel only. Signatures are 65 bytes r || s || v, v in {27, 28}, s ≤ n/2: the
 * contract rejects anything else, so so does `verifyClaimSignature`.
 *
 * Pure functions over structured-cloneable values (strings, bigints, Uint8Arrays), no providers and
 * no sockets: they run unchanged in worker threads.
 */
export const CLAIM_DOMAIN_NAME = 'ilpd UnidirectionalEthChannels';
export const CLAIM_DOMAIN_VERSION = '1';
export const CLAIM_TYPES = {
  Claim: [
    { name: 'channelId', type: 'bytes32' },
    { name: 'cumulativeAmount', type: 'uint256' },
  ],
} as const;

export interface ChannelClaim {
  readonly chainId: bigint;
  /** The channel contract's address. */
  readonly contract: string;
  /** 0x-prefixed 32-byte hex. */
  readonly channelId: string;
  /** The total ever paid on the channel, in wei. */
  readonly cumulative: bigint;
}

/** A claim's signer: the address the contract compares with, and its key for fast verification. */
export interface ClaimSigner {
  /** Checksummed address. */
  readonly address: string;
  /** Uncompressed public key, 0x04 || x || y as 0x-prefixed hex. */
  readonly publicKey: string;
}

const CLAIM_TYPEHASH = getBytes(keccak256(toUtf8Bytes('Claim(bytes32 channelId,uint256 cumulativeAmount)')));
const DOMAIN_TYPEHASH = getBytes(
  keccak256(
    toUtf8Bytes('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'),
  ),
);
const NAME_HASH = getBytes(keccak256(toUtf8Bytes(CLAIM_DOMAIN_NAME)));
const VERSION_HASH = getBytes(keccak256(toUtf8Bytes(CLAIM_DOMAIN_VERSION)));
const HALF_ORDER = SECP256K1_ORDER >> 1n;
const UINT256_MAX = (1n << 256n) - 1n;
const CHANNEL_ID = /^0x[0-9a-fA-F]{64}$/;

/** Domain separators by chain id and contract: a handful per process, computed once each. */
const domainSeparators = new Map<string, Uint8Array>();

/** The EIP-712 domain, in the shape ethers' `TypedDataEncoder` / `signTypedData` take. */
export function claimDomain(chainId: bigint, contract: string) {
  return {
    name: CLAIM_DOMAIN_NAME,
    version: CLAIM_DOMAIN_VERSION,
    chainId,
    verifyingContract: getAddress(contract),
  };
}

function domainSeparator(chainId: bigint, contract: string): Uint8Array {
  const key = `${chainId}:${contract.toLowerCase()}`;
  let separator = domainSeparators.get(key);
  if (separator === undefined) {
    const encoded = new Uint8Array(160);
    encoded.set(DOMAIN_TYPEHASH, 0);
    encoded.set(NAME_HASH, 32);
    encoded.set(VERSION_HASH, 64);
    encoded.set(uint256(chainId), 96);
    encoded.set(getBytes(getAddress(contract)), 140);
    separator = getBytes(keccak256(encoded));
    if (domainSeparators.size >= 256) domainSeparators.clear();
    domainSeparators.set(key, separator);
  }
  return separator;
}

/** The 32-byte digest a claim signature signs: keccak256(0x1901 || domainSeparator || hashStruct). */
export function claimDigest(claim: ChannelClaim): Uint8Array {
  if (!CHANNEL_ID.test(claim.channelId)) {
    throw new DaemonError('ILPD_ERR_SETTLEMENT_INVALID_INPUT', `not a channel id: ${claim.channelId}`);
  }
  if (claim.chainId <= 0n || claim.chainId > UINT256_MAX) {
    throw new DaemonError('ILPD_ERR_SETTLEMENT_INVALID_INPUT', `not a chain id: ${claim.chainId}`);
  }
  const struct = new Uint8Array(96);
  struct.set(CLAIM_TYPEHASH, 0);
  struct.set(getBytes(claim.channelId), 32);
  struct.set(uint256(claim.cumulative), 64);
  const message = new Uint8Array(66);
  message[0] = 0x19;
  message[1] = 0x01;
  message.set(domainSeparator(claim.chainId, claim.contract), 2);
  message.set(getBytes(keccak256(struct)), 34);
  return getBytes(keccak256(message));
}

/** Signs a claim: 65 bytes r || s || v as 0x-prefixed hex, s ≤ n/2 and v in {27, 28}. */
export function signClaim(privateKey: string, claim: ChannelClaim): string {
  const signature = new SigningKey(privateKey).sign(claimDigest(claim));
  // ethers signs with the canonical (low) s; checked because the contract rejects anything else.
  if (BigInt(signature.s) > HALF_ORDER) {
    throw new DaemonError('ILPD_ERR_INTERNAL', 'the signer produced a high-s signature');
  }
  return signature.serialized;
}

export interface ParsedClaimSignature {
  readonly r: bigint;
  readonly s: bigint;
  /** v - 27: the parity of the signature point's y. */
  readonly recovery: 0 | 1;
}

/**
 * The contract's rules for the encoding: exactly 65 bytes, v in {27, 28}, s ≤ n/2; and what ecrecover
 * requires on top: 0 < r < n, 0 < s. Undefined when any fails.
 */
export function parseClaimSignature(signature: string | Uint8Array): ParsedClaimSignature | undefined {
  let bytes: Uint8Array;
  try {
    bytes = getBytes(signature);
  } catch {
    return undefined;
  }
  if (bytes.length !== 65) return undefined;
  const v = bytes[64];
  if (v !== 27 && v !== 28) return undefined;
  const r = BigInt(hexlify(bytes.subarray(0, 32)));
  const s = BigInt(hexlify(bytes.subarray(32, 64)));
  if (r === 0n || r >= SECP256K1_ORDER || s === 0n || s > HALF_ORDER) return undefined;
  return { r, s, recovery: v === 27 ? 0 : 1 };
}

/**
 * Who signed a claim, by key recovery (ethers): learn a channel sender's public key once from a claim
 * whose recovered address is the sender's, then verify later claims with `verifyClaimSignature`.
 * Undefined for a signature the contract would reject or that recovers no key.
 */
export function recoverClaimSigner(
  claim: ChannelClaim,
  signature: string | Uint8Array,
): ClaimSigner | undefined {
  const parsed = parseClaimSignature(signature);
  if (parsed === undefined) return undefined;
  try {
    const publicKey = SigningKey.recoverPublicKey(claimDigest(claim), {
      r: toHex32(parsed.r),
      s: toHex32(parsed.s),
      v: 27 + parsed.recovery,
    });
    return { address: computeAddress(publicKey), publicKey };
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ILPD_ERR_SETTLEMENT_INVALID_INPUT') throw err;
    return undefined; // r is not the x coordinate of any curve point
  }
}

/**
 * Whether `signature` is a valid claim signature by the holder of `signerPublicKey` (65-byte uncompressed
 * key as hex): exactly what the contract accepts from that signer. No key recovery: fixed-base tables
 * of the known key (secp256k1-known-key.ts).
 */
export function verifyClaimSignature(
  claim: ChannelClaim,
  signature: string | Uint8Array,
  signerPublicKey: string,
): boolean {
  const parsed = parseClaimSignature(signature);
  if (parsed === undefined) return false;
  let key: Uint8Array;
  try {
    key = getBytes(signerPublicKey);
  } catch {
    return false;
  }
  return verifyWithKnownKey(claimDigest(claim), parsed.r, parsed.s, parsed.recovery, key);
}

/** The uncompressed public key of a private key (0x04 || x || y, hex). */
export function publicKeyOf(privateKey: string): string {
  return new SigningKey(privateKey).publicKey;
}

function uint256(value: bigint): Uint8Array {
  if (value < 0n || value > UINT256_MAX) {
    throw new DaemonError('ILPD_ERR_SETTLEMENT_INVALID_INPUT', `not a uint256: ${value}`);
  }
  return getBytes(toHex32(value));
}

function toHex32(value: bigint): string {
  return `0x${value.toString(16).padStart(64, '0')}`;
}
