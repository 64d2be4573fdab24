/** What the settlement subsystem reports to metrics (telemetry/settlement-metrics.ts implements it). */
export type SettlementDirection = 'paid' | 'received';

/**
 * ok: the claim is booked (and, paid, acknowledged by the peer); refused: the peer refused ours, or we
 * refused the peer's; failed: it could not be done now (chain or peer unreachable) and is retried.
 */
export type SettlementResult = 'ok' | 'refused' | 'failed';

export interface SettlementObserver {
  settled(peerId: string, direction: SettlementDirection, result: SettlementResult, seconds: number): void;
  verified(ok: boolean, seconds: number): void;
  chainTransaction(chain: string, action: string, result: 'ok' | 'failed'): void;
}

export const silentSettlementObserver: SettlementObserver = {
  settled: () => undefined,
  verified: () => undefined,
  chainTransaction: () => undefined,
};
