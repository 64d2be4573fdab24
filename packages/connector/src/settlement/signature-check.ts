import {
  signClaim as signEvmClaim,
  verifyClaimSignature as verifyEvmClaim,
  type ChannelClaim,
} from './evm/claim-signature';
import { verifyClaimSignature as verifyXrplClaim } from './xrpl/claim-signature';

/**
 * One claim signature to check against a known signer key: plain data (strings and bigints), so it
 * crosses to a worker thread by structured clone. The check itself is pure and never throws.
 */
export type SignatureCheck =
  | {
      readonly chain: 'evm';
      readonly claim: ChannelClaim;
      readonly signature: string;
      /** The channel sender's uncompressed secp256k1 key (0x04…), learned from its first claim. */
      readonly publicKey: string;
    }
  | {
      readonly chain: 'xrpl';
      readonly channelId: string;
      readonly drops: bigint;
      readonly signature: string;
      /** The channel's PublicKey (ED… or 02/03…). */
      readonly publicKey: string;
    };

export function runSignatureCheck(check: SignatureCheck): boolean {
  return check.chain === 'evm'
    ? verifyEvmClaim(check.claim, check.signature, check.publicKey)
    : verifyXrplClaim(check.channelId, check.drops, check.signature, check.publicKey);
}

/**
 * One EVM claim to sign (pure JS secp256k1: the costly half of paying over EVM). Signing runs where
 * checks run, so it spends its CPU and garbage beside the packet path's event loop.
 */
export interface EvmSigning {
  readonly privateKey: string;
  readonly claim: ChannelClaim;
}

export function runEvmSigning(signing: EvmSigning): string {
  return signEvmClaim(signing.privateKey, signing.claim);
}

/** A task of the signature pool. */
export type SignatureTask =
  | { readonly op: 'check'; readonly check: SignatureCheck }
  | { readonly op: 'sign-evm'; readonly signing: EvmSigning };
