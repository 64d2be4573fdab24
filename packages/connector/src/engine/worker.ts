import { move, transferableSymbol, valueSymbol } from 'piscina';
import { decodeIncomingPrepare } from '../packet/stages/validate';
import { PackedBatch, type BatchVerdicts, type PacketFault } from './batch';

/**
 * Piscina task of the packet engine: decode/validate every packet of one packed micro-batch and hand
 * the buffer back with the verdicts filled in. Pure: no sockets, no ledger, no clock.
 */
export function validateBatch(buffer: ArrayBuffer): BatchVerdicts {
  const batch = new PackedBatch(buffer);
  let faults: PacketFault[] | undefined;
  for (let i = 0; i < batch.count; i++) {
    try {
      batch.markValid(i, decodeIncomingPrepare(batch.packet(i)));
    } catch (err) {
      batch.markInvalid(i);
      (faults ??= []).push(faultOf(i, err));
    }
  }
  return move({
    [transferableSymbol]: [buffer],
    [valueSymbol]: { buffer, faults: faults ?? [] },
  }) as unknown as BatchVerdicts;
}

function faultOf(index: number, err: unknown): PacketFault {
  const message = (err as { message?: unknown } | null)?.message;
  return {
    index,
    code: codeOf(err),
    message: typeof message === 'string' ? message : String(err),
    causeCode: codeOf((err as { cause?: unknown } | null)?.cause),
  };
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export default validateBatch;
