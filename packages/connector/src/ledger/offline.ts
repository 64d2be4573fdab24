import { existsSync } from 'node:fs';
import type { DaemonConfig } from '../config/types';
import { SqliteLedgerStore } from './embedded/sqlite-store';
import { embeddedPath } from './index';
import type { AssetAccountBalance, InspectableLedger, LiquidityBalance, SettlementBalance } from './inspect';
import { readTigerBeetleBalances } from './tigerbeetle/read-balances';
import type { PeerBalance } from './types';

/**
 * The ledger's balances report, one shape wherever it is shown (`ilpd ledger balances`, and read from
 * a running ledger with readBalances): per peer, and per asset its liquidity and settlement accounts.
 */
export interface OfflineBalances {
  readonly backend: DaemonConfig['ledger']['backend'];
  /** Sorted by peer id, then asset code. */
  readonly peers: PeerBalance[];
  readonly liquidity: LiquidityBalance[];
  /** The assets' settlement accounts (absent until an asset's first peer registers). */
  readonly settlement: SettlementBalance[];
}

/**
 * Balances read without starting a ledger (the report `ilpd ledger balances` prints): per peer, and
 * per asset its liquidity and settlement accounts, which with the peers sum to zero per asset. No
 * recovery, no writes, no lock, so it works beside a
 * running daemon and after a crash. embedded: the SQLite file read-only (pending rows a crashed daemon
 * left show as pending until its next start voids them). tigerbeetle: the configured peers' accounts
 * looked up on the cluster (ids are derived from peer and asset). Throws when the store is missing or
 * the cluster does not answer within ledger.tigerbeetle.requestTimeoutMs.
 */
export async function readBalancesOffline(config: DaemonConfig): Promise<OfflineBalances> {
  if (config.ledger.backend === 'tigerbeetle') {
    const read = await readTigerBeetleBalances(
      config.ledger.tigerbeetle,
      config.peers.map((p) => ({ peerId: p.id, assetCode: p.assetCode, assetScale: p.assetScale })),
    );
    return {
      backend: 'tigerbeetle',
      peers: sortPeers(read.peers),
      liquidity: read.liquidity,
      settlement: read.settlement,
    };
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
  return { backend: 'embedded', peers: sortPeers(peers), liquidity, settlement };
}

/** The same report from a running ledger (what an admin endpoint shows). */
export async function readBalances(ledger: InspectableLedger): Promise<OfflineBalances> {
  return {
    backend: ledger.backend,
    peers: sortPeers(await ledger.balances()),
    liquidity: await ledger.liquidityBalances(),
    settlement: await ledger.settlementBalances(),
  };
}

/** The report as JSON-ready data: amounts as decimal strings in base units. */
export function balancesDocument(b: OfflineBalances) {
  const asset = (a: AssetAccountBalance) => ({
    assetCode: a.assetCode,
    assetScale: a.assetScale,
    balance: a.balance.toString(),
  });
  return {
    backend: b.backend,
    peers: b.peers.map((p) => ({
      peerId: p.peerId,
      assetCode: p.assetCode,
      assetScale: p.assetScale,
      balance: p.balance.toString(),
      pendingIncoming: p.pendingIncoming.toString(),
      pendingOutgoing: p.pendingOutgoing.toString(),
    })),
    liquidity: b.liquidity.map(asset),
    settlement: b.settlement.map(asset),
  };
}

function sortPeers(peers: PeerBalance[]): PeerBalance[] {
  return peers.sort((x, y) => x.peerId.localeCompare(y.peerId) || x.assetCode.localeCompare(y.assetCode));
}
