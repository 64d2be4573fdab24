import { randomBytes } from 'node:crypto';
import { Wallet as EvmWallet } from 'ethers';
import { ECDSA, Wallet } from 'xrpl';
import { publicKeyOf, signClaim as signEvmClaim } from '../settlement/evm/claim-signature';
import type { SignatureCheck } from '../settlement/signature-check';
import { signClaim as signXrplClaim } from '../settlement/xrpl/claim-signature';

/**
 * Valid claim checks for benchmarks: `count` claims, each on its own channel and amount, signed by one
 * key (a settling peer's): XRPL with an ed25519 channel key, EVM against the sender's known key.
 */
export function signatureChecks(chain: 'evm' | 'xrpl', count: number): SignatureCheck[] {
  if (chain === 'xrpl') {
    const wallet = Wallet.generate(ECDSA.ed25519);
    return Array.from({ length: count }, (_, i) => {
      const channelId = randomBytes(32).toString('hex').toUpperCase();
      const drops = BigInt(1000 + i);
      return {
        chain: 'xrpl',
        channelId,
        drops,
        signature: signXrplClaim(channelId, drops, wallet.privateKey),
        publicKey: wallet.publicKey,
      };
    });
  }
  const wallet = EvmWallet.createRandom();
  const publicKey = publicKeyOf(wallet.privateKey);
  return Array.from({ length: count }, (_, i) => {
    const claim = {
      chainId: 31337n,
      contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
      channelId: `0x${randomBytes(32).toString('hex')}`,
      cumulative: BigInt(1_000_000 + i),
    };
    return { chain: 'evm', claim, signature: signEvmClaim(wallet.privateKey, claim), publicKey };
  });
}
