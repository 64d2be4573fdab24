import type { Ledger } from './types';

/** Posted balance of one of an asset's own accounts (liquidity or settlement). */
export interface AssetAccountBalance {
  readonly assetCode: string;
  readonly assetScale: number;
  /** Positive = owed to us (debit balance). */
  readonly balance: bigint;
}

/**
 * Posted balance of an asset's liquidity account: the connector's own side of every packet leg. Per
 * asset it equals minus the sum of the peers' and the settlement account's posted balances.
 */
export type LiquidityBalance = AssetAccountBalance;

/**
 * Posted balance of an asset's settlement account: the other side of every claim booked (a paid claim
 * lowers it, a received one raises it), so it is what settlement moved in total, from our side.
 */
export type SettlementBalance = AssetAccountBalance;

/**
 * What both backends offer beyond the Ledger contract, for audits and the conformance suite: with the
 * liquidity and settlement accounts, every asset's posted balances sum to zero (double entry).
 */
export interface InspectableLedger extends Ledger {
  liquidityBalances(): Promise<LiquidityBalance[]>;
  settlementBalances(): Promise<SettlementBalance[]>;
}
