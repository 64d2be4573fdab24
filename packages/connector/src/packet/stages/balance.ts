import type { Ledger, PacketHandle } from '../../ledger/types';

/**
 * Balance stage: reserves the packet's value as pending transfers (the incoming peer will owe us
 * `incomingAmount`, we will owe the next hop `outgoingAmount`), with both peers' limits enforced
 * atomically by the ledger (T04 / T03 / T00 from its DaemonErrors). A zero-value packet changes no
 * balance and cannot move a limit, so it skips the ledger (undefined handle).
 */
export function reserveOnPrepare(
  ledger: Ledger,
  fromPeer: string,
  incomingAmount: bigint,
  toPeer: string,
  outgoingAmount: bigint,
  expiresAtMs: number,
): Promise<PacketHandle> | undefined {
  if (incomingAmount === 0n && outgoingAmount === 0n) return undefined;
  return ledger.reserve({
    incoming: { peerId: fromPeer, amount: incomingAmount },
    outgoing: { peerId: toPeer, amount: outgoingAmount },
    expiresAtMs,
  });
}
