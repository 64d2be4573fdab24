import type { Account } from 'tigerbeetle-node';
import type { LedgerConfig } from '../../config/types';
import { assetKey } from '../guards';
import type { LiquidityBalance, SettlementBalance } from '../inspect';
import type { PeerBalance } from '../types';
import { TigerBeetleConnection } from './connection';
import { accountId, debitBalance } from './model';
import { RequestLimits, TRANSFERS_PER_REQUEST_DEVELOPMENT } from './request-limits';

export interface PeerAsset {
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
}

/**
 * Reads balances straight from the cluster, without starting a ledger (no recovery, no writes): account
 * ids are derived from peer and asset, so the configured peers are all it needs. Peers whose accounts do
 * not exist yet are left out. Rejects with ILPD_ERR_LEDGER_UNAVAILABLE when the cluster does not answer
 * within requestTimeoutMs.
 */
export async function readTigerBeetleBalances(
  config: LedgerConfig['tigerbeetle'],
  peers: readonly PeerAsset[],
): Promise<{ peers: PeerBalance[]; liquidity: LiquidityBalance[]; settlement: SettlementBalance[] }> {
  const connection = new TigerBeetleConnection(config);
  try {
    const assets = new Map<string, PeerAsset>();
    for (const p of peers) assets.set(assetKey(p.assetCode, p.assetScale), p);
    const peerIds = peers.map((p) => accountId('Peer', p.peerId, p.assetCode, p.assetScale));
    const liquidityIds = [...assets.values()].map((a) =>
      accountId('Liquidity', '', a.assetCode, a.assetScale),
    );
    const settlementIds = [...assets.values()].map((a) =>
      accountId('Settlement', '', a.assetCode, a.assetScale),
    );
    const ids = [...peerIds, ...liquidityIds, ...settlementIds];
    const found = new Map<bigint, Account>();
    // Sized for any cluster (a --development one takes the fewest ids); a CLI read needs no more.
    const perRequest = new RequestLimits(TRANSFERS_PER_REQUEST_DEVELOPMENT).ids;
    for (let i = 0; i < ids.length; i += perRequest) {
      const slice = ids.slice(i, i + perRequest);
      for (const account of await connection.read('lookup_accounts', (c) => c.lookupAccounts(slice))) {
        found.set(account.id, account);
      }
    }
    const peerBalances = peers.flatMap((p, i) => {
      const account = found.get(peerIds[i]);
      if (account === undefined) return [];
      return [
        {
          peerId: p.peerId,
          assetCode: p.assetCode,
          assetScale: p.assetScale,
          balance: debitBalance(account),
          pendingIncoming: account.debits_pending,
          pendingOutgoing: account.credits_pending,
        },
      ];
    });
    const assetBalances = (accountIds: bigint[]) =>
      [...assets.values()].flatMap((a, i) => {
        const account = found.get(accountIds[i]);
        return account === undefined
          ? []
          : [{ assetCode: a.assetCode, assetScale: a.assetScale, balance: debitBalance(account) }];
      });
    return {
      peers: peerBalances,
      liquidity: assetBalances(liquidityIds),
      settlement: assetBalances(settlementIds),
    };
  } finally {
    connection.destroy();
  }
}
