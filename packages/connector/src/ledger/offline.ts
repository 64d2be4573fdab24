import { existsSync } from 'node:fs';
import type { DaemonConfig } from '../config/types';
import { SqliteLedgerStore } from './embedded/sqlite-store';
import { embeddedPath } from './index';
import { sortedReport, type BalanceReport } from './balance-report';
import type { LiquidityBalance, SettlementBalance } from './inspect';
import { readTigerBeetleBalances } from './tigerbeetle/read-balances';
import type { PeerBalance } from './types';

/**
 * Balances read without starting a ledger (the report `ilpd ledger balances` prints): per peer, and
 * per asset its liquidity and settlement accounts, which with the peers sum to zero per asset. No
 * recovery, no writes, no lock, so it works beside a
 * running daemon and after a crash. embedded: the SQLite file read-only (pending rows a crashed daemon
 * left show as pending until its next start voids them). tigerbeetle: the configured peers' accounts
 * looked up on the cluster (ids are derived from peer and asset). Throws when the store is missing or
 * the cluster does not answer within ledger.tigerbeetle.requestTimeoutMs.
 */
export async function readBalancesOffline(config: DaemonConfig): Promise<BalanceReport> {
  if (config.ledger.backend === 'tigerbeetle') {
    const read = await readTigerBeetleBalances(
      config.ledger.tigerbeetle,
      config.peers.map((p) => ({ peerId: p.id, assetCode: p.assetCode, assetScale: p.assetScale })),
    );
    return sortedReport({
      backend: 'tigerbeetle',
      balances: read.peers,
      liquidity: read.liquidity,
      settlement: read.settlement,
    });
  }
  const path = embeddedPath(config.ledger, config.configDir);
  if (!existsSync(path)) {
    throw new Error(
      `no ledger store at ${path} (ledger.embedded.path); the daemon creates it on first start`,
    );
  }
  const snapshot = SqliteLedgerStore.readSnapshot(path);
  const peers: PeerBalance[] = [];
  const liquidity: LiquidityBalance[] = [];
  const settlement: SettlementBalance[] = [];
  for (const a of snapshot.accounts) {
    if (a.kind !== 'peer') {
      const own = a.kind === 'liquidity' ? liquidity : settlement;
      own.push({ assetCode: a.assetCode, assetScale: a.assetScale, balance: a.balance });
      continue;
    }
    peers.push({
      peerId: a.peerId,
      assetCode: a.assetCode,
      assetScale: a.assetScale,
      balance: a.balance,
      pendingIncoming: snapshot.pendingIn.get(a.id) ?? 0n,
      pendingOutgoing: snapshot.pendingOut.get(a.id) ?? 0n,
    });
  }
  return sortedReport({ backend: 'embedded', balances: peers, liquidity, settlement });
}
