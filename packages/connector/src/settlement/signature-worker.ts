import { runSignatureCheck, type SignatureCheck } from './signature-check';

/** Piscina task of the signature pool: one claim signature check (see signature-pool.ts). */
export default function checkSignature(check: SignatureCheck): boolean {
  return runSignatureCheck(check);
}
