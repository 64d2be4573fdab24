import type { ChannelState, ChannelStatus } from '../channel-engine';

/**
 * PayChannel ledger objects as ilpd sees them: rippled's fields (drops as decimal strings, times in
 * seconds since the XRPL epoch) to a `ChannelState`, and the channel's node in a transaction's metadata.
 */

/** Seconds from the Unix epoch to the XRPL epoch (2000-01-01T00:00:00Z). */
export const RIPPLE_EPOCH_OFFSET_SECONDS = 946_684_800;

export function rippleTimeToMs(seconds: number): number {
  return (seconds + RIPPLE_EPOCH_OFFSET_SECONDS) * 1000;
}

export function msToRippleTime(ms: number): number {
  return Math.floor(ms / 1000) - RIPPLE_EPOCH_OFFSET_SECONDS;
}

/** PayChannel fields as `ledger_entry` or a metadata node gives them. */
export interface PayChannelFields {
  readonly Account?: unknown;
  readonly Destination?: unknown;
  readonly Amount?: unknown;
  readonly Balance?: unknown;
  readonly PublicKey?: unknown;
  readonly SettleDelay?: unknown;
  readonly Expiration?: unknown;
  readonly CancelAfter?: unknown;
}

/**
 * The channel's state. Status: `closed` once the earlier of Expiration and CancelAfter has passed (it
 * may still be in the ledger, but the next transaction touching it removes it and no claim can be
 * redeemed); `closing` when the source asked to close (Expiration set); `open` otherwise, including a
 * channel whose CancelAfter is still ahead (`cancelAfterMs` says when it ends).
 */
export function channelState(channelId: string, fields: PayChannelFields, nowMs: number): ChannelState {
  const expiration = optionalNumber(fields.Expiration);
  const cancelAfter = optionalNumber(fields.CancelAfter);
  const ends = [expiration, cancelAfter].filter((t): t is number => t !== undefined);
  const closesAt = ends.length === 0 ? undefined : rippleTimeToMs(Math.min(...ends));
  let status: ChannelStatus = 'open';
  if (closesAt !== undefined && closesAt <= nowMs) status = 'closed';
  else if (expiration !== undefined) status = 'closing';
  return {
    chain: 'xrpl',
    channelId: channelId.toUpperCase(),
    sender: String(fields.Account),
    receiver: String(fields.Destination),
    deposit: BigInt(String(fields.Amount ?? '0')),
    paidOut: BigInt(String(fields.Balance ?? '0')),
    status,
    closesAtMs: closesAt,
    publicKey: fields.PublicKey === undefined ? undefined : String(fields.PublicKey).toUpperCase(),
    settleDelaySeconds: Number(fields.SettleDelay ?? 0),
    cancelAfterMs: cancelAfter === undefined ? undefined : rippleTimeToMs(cancelAfter),
  };
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}

export type ChannelNodeChange = 'created' | 'modified' | 'deleted';

/** How a transaction changed a channel, and the channel's fields after it (before, when deleted). */
export function channelNode(
  meta: { readonly AffectedNodes: readonly Record<string, unknown>[] },
  channelId?: string,
): { change: ChannelNodeChange; id: string; fields: PayChannelFields } | undefined {
  for (const wrapper of meta.AffectedNodes) {
    for (const [kind, change] of [
      ['CreatedNode', 'created'],
      ['ModifiedNode', 'modified'],
      ['DeletedNode', 'deleted'],
    ] as const) {
      const node = wrapper[kind] as
        | {
            LedgerEntryType: string;
            LedgerIndex: string;
            NewFields?: PayChannelFields;
            FinalFields?: PayChannelFields;
          }
        | undefined;
      if (node === undefined || node.LedgerEntryType !== 'PayChannel') continue;
      if (channelId !== undefined && node.LedgerIndex.toUpperCase() !== channelId.toUpperCase()) continue;
      return { change, id: node.LedgerIndex.toUpperCase(), fields: node.NewFields ?? node.FinalFields ?? {} };
    }
  }
  return undefined;
}
