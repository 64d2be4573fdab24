import type { LedgerConfig } from '../config/types';
import type { InspectableLedger, LiquidityBalance } from './inspect';
import type { PeerBalance } from './types';

/**
 * What an operator reads about balances, the same from the running daemon (`GET /admin/balances`) and
 * from the store (`ilpd ledger balances --json`): every peer account, and the connector's own
 * liquidity account per asset (its side of every packet leg, where the spread accrues). With both,
 * each asset's balances sum to zero, so a report that leaves out either cannot be checked.
 */
export interface BalanceReport {
  readonly backend: LedgerConfig['backend'];
  readonly balances: readonly PeerBalance[];
  readonly liquidity: readonly LiquidityBalance[];
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
  readonly liquidity: readonly {
    readonly assetCode: string;
    readonly assetScale: number;
    readonly balance: string;
  }[];
}

/** The live ledger's report (peer accounts and liquidity accounts read after one flush each). */
export async function readBalanceReport(ledger: InspectableLedger): Promise<BalanceReport> {
  const [balances, liquidity] = await Promise.all([ledger.balances(), ledger.liquidityBalances()]);
  return sortedReport({ backend: ledger.backend, balances, liquidity });
}

/** Peers by id then asset, liquidity by asset: the order both outputs print in. */
export function sortedReport(report: BalanceReport): BalanceReport {
  return {
    backend: report.backend,
    balances: [...report.balances].sort(
      (x, y) =>
        compare(x.peerId, y.peerId) || compare(x.assetCode, y.assetCode) || x.assetScale - y.assetScale,
    ),
    liquidity: [...report.liquidity].sort(
      (x, y) => compare(x.assetCode, y.assetCode) || x.assetScale - y.assetScale,
    ),
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
    liquidity: report.liquidity.map((l) => ({
      assetCode: l.assetCode,
      assetScale: l.assetScale,
      balance: l.balance.toString(),
    })),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
