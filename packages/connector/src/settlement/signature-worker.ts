import { runEvmSigning, runSignatureCheck, type SignatureTask } from './signature-check';

/** Piscina task of the signature pool: a claim signature check, or an EVM claim to sign (signature-pool.ts). */
export default function signatureTask(task: SignatureTask): boolean | string {
  return task.op === 'check' ? runSignatureCheck(task.check) : runEvmSigning(task.signing);
}
