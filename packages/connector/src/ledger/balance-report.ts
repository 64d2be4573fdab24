import type { LedgerConfig } from '../config/types';
import type { InspectableLedger, LiquidityBalance, SettlementBalance } from './inspect';
import type { PeerBalance } from './types';

/**
 * What an operator reads about balances, the same from the running daemon (`GET /admin/balances`) and
 * from the store (`ilpd ledger balances --json`): every peer account, and per asset the connector's
 * own liquidity account (its side of every packet leg, where the spread accrues) and its settlement
 * account (coins paid and received over payment channels). With all three, each asset's balances sum
 * to zero, so a report that leaves out any cannot be checked.
 */
export interface BalanceReport {
  readonly backend: LedgerConfig['backend'];
  readonly balances: readonly PeerBalance[];
  readonly liquidity: readonly LiquidityBalance[];
  readonly settlement: readonly SettlementBalance[];
}

export interface BalanceReportJson {
  readonly backend: LedgerConfig['backend'];
  readonly balances: readonly {
    readonly peerId: string;
    readonly assetCode: string;
    readonly assetScale: number;
    readonly balance: string;
    readonly pendingIncoming: string;
    readonly pendingOutgoing: string;
  }[];
  readonly liquidity: readonly AssetAccountJson[];
  readonly settlement: readonly AssetAccountJson[];
}

interface AssetAccountJson {
  readonly assetCode: string;
  readonly assetScale: number;
  readonly balance: string;
}

/** The live ledger's report (peer accounts and liquidity accounts read after one flush each). */
export async function readBalanceReport(ledger: InspectableLedger): Promise<BalanceReport> {
  const [balances, liquidity, settlement] = await Promise.all([
    ledger.balances(),
    ledger.liquidityBalances(),
    ledger.settlementBalances(),
  ]);
  return sortedReport({ backend: ledger.backend, balances, liquidity, settlement });
}

/** Peers by id then asset, liquidity by asset: the order both outputs print in. */
export function sortedReport(report: BalanceReport): BalanceReport {
  return {
    backend: report.backend,
    balances: [...report.balances].sort(
      (x, y) =>
        compare(x.peerId, y.peerId) || compare(x.assetCode, y.assetCode) || x.assetScale - y.assetScale,
    ),
    liquidity: [...report.liquidity].sort(byAsset),
    settlement: [...report.settlement].sort(byAsset),
  };
}

/** Amounts as decimal strings in base units: JSON numbers lose precision above 2^53. */
export function balanceReportJson(report: BalanceReport): BalanceReportJson {
  return {
    backend: report.backend,
    balances: report.balances.map((p) => ({
      peerId: p.peerId,
      assetCode: p.assetCode,
      assetScale: p.assetScale,
      balance: p.balance.toString(),
      pendingIncoming: p.pendingIncoming.toString(),
      pendingOutgoing: p.pendingOutgoing.toString(),
    })),
    liquidity: report.liquidity.map(assetAccountJson),
    settlement: report.settlement.map(assetAccountJson),
  };
}

function assetAccountJson(a: { assetCode: string; assetScale: number; balance: bigint }): AssetAccountJson {
  return { assetCode: a.assetCode, assetScale: a.assetScale, balance: a.balance.toString() };
}

function byAsset(
  x: { assetCode: string; assetScale: number },
  y: { assetCode: string; assetScale: number },
): number {
  return compare(x.assetCode, y.assetCode) || x.assetScale - y.assetScale;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
