import type { Ledger } from './types';

/** Posted balance of an asset's liquidity account: the connector's own side of every packet leg. */
export interface LiquidityBalance {
  readonly assetCode: string;
  readonly assetScale: number;
  /** Positive = owed to us; per asset it equals minus the sum of the peers' posted balances. */
  readonly balance: bigint;
}

/**
 * What both backends offer beyond the Ledger contract, for audits and the conformance suite: with the
 * liquidity accounts, every asset's posted balances sum to zero (double entry).
 */
export interface InspectableLedger extends Ledger {
  liquidityBalances(): Promise<LiquidityBalance[]>;
}
