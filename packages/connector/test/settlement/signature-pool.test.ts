import { randomBytes } from 'node:crypto';
import { Wallet as EvmWallet } from 'ethers';
import { ECDSA, Wallet } from 'xrpl';
import { publicKeyOf, signClaim as signEvmClaim } from '../../src/settlement/evm/claim-signature';
import type { SignatureCheck } from '../../src/settlement/signature-check';
import { inlineSignatureVerifier, PooledSignatureVerifier } from '../../src/settlement/signature-pool';
import { signClaim as signXrplClaim } from '../../src/settlement/xrpl/claim-signature';

/** Valid checks of both chains, and each with one thing changed (then invalid). */
function checks(): { check: SignatureCheck; valid: boolean }[] {
  const xrplWallet = Wallet.generate(ECDSA.ed25519);
  const channelId = randomBytes(32).toString('hex').toUpperCase();
  const xrpl: SignatureCheck = {
    chain: 'xrpl',
    channelId,
    drops: 5000n,
    signature: signXrplClaim(channelId, 5000n, xrplWallet.privateKey),
    publicKey: xrplWallet.publicKey,
  };
  const evmWallet = EvmWallet.createRandom();
  const claim = {
    chainId: 31337n,
    contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
    channelId: `0x${randomBytes(32).toString('hex')}`,
    cumulative: 123n,
  };
  const evm: SignatureCheck = {
    chain: 'evm',
    claim,
    signature: signEvmClaim(evmWallet.privateKey, claim),
    publicKey: publicKeyOf(evmWallet.privateKey),
  };
  return [
    { check: xrpl, valid: true },
    { check: { ...xrpl, drops: 5001n }, valid: false },
    { check: evm, valid: true },
    { check: { ...evm, claim: { ...claim, cumulative: 124n } }, valid: false },
    { check: { ...evm, signature: '0x1234' }, valid: false },
  ];
}

describe('signature pool', () => {
  it('answers every check in worker threads exactly as inline', async () => {
    const pool = new PooledSignatureVerifier(2);
    try {
      const cases = checks();
      const pooled = await Promise.all(cases.map((c) => pool.verify(c.check)));
      const inline = await Promise.all(cases.map((c) => inlineSignatureVerifier.verify(c.check)));
      expect(pooled).toEqual(cases.map((c) => c.valid));
      expect(inline).toEqual(pooled);
    } finally {
      await pool.close();
    }
  });

  it('signs EVM claims in a worker thread exactly as inline (deterministic signatures)', async () => {
    const pool = new PooledSignatureVerifier(1);
    try {
      const wallet = EvmWallet.createRandom();
      const claim = {
        chainId: 31337n,
        contract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
        channelId: `0x${randomBytes(32).toString('hex')}`,
        cumulative: 42n,
      };
      const signing = { privateKey: wallet.privateKey, claim };
      const pooled = await pool.signEvm(signing);
      expect(pooled).toBe(await inlineSignatureVerifier.signEvm(signing));
      expect(
        await pool.verify({
          chain: 'evm',
          claim,
          signature: pooled,
          publicKey: publicKeyOf(wallet.privateKey),
        }),
      ).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
