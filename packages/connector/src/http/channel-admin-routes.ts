import { DaemonError } from '../errors';
import type { ChannelState, TxOutcome } from '../settlement/channel-engine';
import type { ChannelView } from '../settlement/settlement-service';
import type { AdminApiServer, AdminCall } from './admin-api';

/** What the channel routes ask of the daemon (the SettlementService). */
export interface ChannelAdministration {
  open(peerId: string, deposit: bigint): Promise<ChannelState>;
  deposit(peerId: string, amount: bigint): Promise<ChannelState>;
  close(peerId: string): Promise<TxOutcome[]>;
  settle(peerId: string): Promise<TxOutcome[]>;
}

/**
 * The admin API's channel routes (`ilpd channels …`): on-chain actions with a peer's payment channels,
 * run by the daemon that owns the keys, the nonces and the claims. Amounts are decimal strings in the
 * peer's asset units. Each answers once the transaction is confirmed (or fails), with what it did.
 *
 *   POST /admin/channels/:peer/open     { "deposit": "…" }   our channel to the peer
 *   POST /admin/channels/:peer/deposit  { "amount": "…" }    top ours up
 *   POST /admin/channels/:peer/close                         close ours; redeem and close the peer's
 *   POST /admin/channels/:peer/settle                        redeem the peer's best claims now
 */
export function registerChannelAdminRoutes(api: AdminApiServer, channels: ChannelAdministration): void {
  api
    .route('POST', '/admin/channels/:peer/open', async (call) => ({
      status: 200,
      body: { channel: channelJson(await channels.open(call.params.peer, amountOf(call, 'deposit'))) },
    }))
    .route('POST', '/admin/channels/:peer/deposit', async (call) => ({
      status: 200,
      body: { channel: channelJson(await channels.deposit(call.params.peer, amountOf(call, 'amount'))) },
    }))
    .route('POST', '/admin/channels/:peer/close', async (call) => ({
      status: 200,
      body: { transactions: (await channels.close(call.params.peer)).map(txJson) },
    }))
    .route('POST', '/admin/channels/:peer/settle', async (call) => ({
      status: 200,
      body: { transactions: (await channels.settle(call.params.peer)).map(txJson) },
    }));
}

/** A channel as JSON: amounts as decimal strings (they exceed 2^53), times as ISO dates. */
export function channelViewJson(view: ChannelView): Record<string, unknown> {
  return {
    peerId: view.peerId,
    direction: view.direction,
    chain: view.chain,
    channelId: view.channelId,
    status: view.status ?? 'unknown',
    deposit: view.deposit?.toString(),
    claimed: view.claimed.toString(),
    acknowledged: view.acknowledged?.toString(),
    paidOut: view.paidOut?.toString(),
    closesAt: view.closesAtMs === undefined ? undefined : new Date(view.closesAtMs).toISOString(),
  };
}

function channelJson(channel: ChannelState): Record<string, unknown> {
  return {
    chain: channel.chain,
    channelId: channel.channelId,
    sender: channel.sender,
    receiver: channel.receiver,
    deposit: channel.deposit.toString(),
    paidOut: channel.paidOut.toString(),
    status: channel.status,
    closesAt: channel.closesAtMs === undefined ? undefined : new Date(channel.closesAtMs).toISOString(),
  };
}

function txJson(tx: TxOutcome): Record<string, unknown> {
  return { hash: tx.hash, fee: tx.fee.toString() };
}

function amountOf(call: AdminCall, key: string): bigint {
  const body = call.body as Record<string, unknown> | null;
  const value = typeof body === 'object' && body !== null ? body[key] : undefined;
  if (typeof value !== 'string' || !/^[1-9][0-9]*$/.test(value)) {
    throw new DaemonError(
      'ILPD_ERR_ADMIN_BAD_REQUEST',
      `${key}: expected a positive decimal string in the peer's asset units (e.g. "1000000000"), got ${JSON.stringify(value)}`,
    );
  }
  return BigInt(value);
}
