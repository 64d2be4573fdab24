import { hashes } from 'xrpl';

/**
 * The ledger objects the XRPL stand-in keeps: AccountRoot and PayChannel, in drops (bigint), with
 * their JSON forms as rippled's API v2 shows them, and the transaction metadata (AffectedNodes) made
 * by diffing the state before and after a transaction.
 */
export interface AccountRoot {
  readonly address: string;
  balance: bigint;
  sequence: number;
  ownerCount: number;
  previousTxnId: string;
  previousTxnLgrSeq: number;
}

export interface PayChannel {
  readonly id: string;
  readonly account: string;
  readonly destination: string;
  /** Total XRP ever put in the channel. */
  amount: bigint;
  /** XRP already paid out to the destination; never decreases and never exceeds `amount`. */
  balance: bigint;
  readonly settleDelay: number;
  readonly publicKey: string;
  /** Ripple-epoch seconds; set by the source's tfClose or a PaymentChannelFund. */
  expiration?: number;
  readonly cancelAfter?: number;
  readonly sourceTag?: number;
  readonly destinationTag?: number;
  previousTxnId: string;
  previousTxnLgrSeq: number;
}

/** One ledger's state: copied whole at every change, which is fine at test sizes. */
export class LedgerState {
  /**
   * Channels removed by the transaction being applied, as they were when removed (after any change
   * the same transaction made first): rippled's DeletedNode.FinalFields. Not carried by `clone`.
   */
  readonly removed = new Map<string, PayChannel>();

  constructor(
    readonly accounts = new Map<string, AccountRoot>(),
    readonly channels = new Map<string, PayChannel>(),
  ) {}

  clone(): LedgerState {
    return new LedgerState(
      new Map([...this.accounts].map(([k, v]) => [k, { ...v }])),
      new Map([...this.channels].map(([k, v]) => [k, { ...v }])),
    );
  }
}

export type LedgerEntryJson = Record<string, unknown> & { LedgerEntryType: string; index: string };

export function accountRootJson(account: AccountRoot): LedgerEntryJson {
  return {
    Account: account.address,
    Balance: account.balance.toString(),
    Flags: 0,
    LedgerEntryType: 'AccountRoot',
    OwnerCount: account.ownerCount,
    PreviousTxnID: account.previousTxnId,
    PreviousTxnLgrSeq: account.previousTxnLgrSeq,
    Sequence: account.sequence,
    index: hashes.hashAccountRoot(account.address),
  };
}

export function payChannelJson(channel: PayChannel): LedgerEntryJson {
  const json: LedgerEntryJson = {
    Account: channel.account,
    Amount: channel.amount.toString(),
    Balance: channel.balance.toString(),
    Destination: channel.destination,
    DestinationNode: '0',
    Flags: 0,
    LedgerEntryType: 'PayChannel',
    OwnerNode: '0',
    PreviousTxnID: channel.previousTxnId,
    PreviousTxnLgrSeq: channel.previousTxnLgrSeq,
    PublicKey: channel.publicKey,
    SettleDelay: channel.settleDelay,
    index: channel.id,
  };
  if (channel.expiration !== undefined) json.Expiration = channel.expiration;
  if (channel.cancelAfter !== undefined) json.CancelAfter = channel.cancelAfter;
  if (channel.sourceTag !== undefined) json.SourceTag = channel.sourceTag;
  if (channel.destinationTag !== undefined) json.DestinationTag = channel.destinationTag;
  return json;
}

/** Every object of a state by ledger index, with the live object to thread when it changes. */
function entries(
  state: LedgerState,
): Map<string, { json: LedgerEntryJson; object: AccountRoot | PayChannel }> {
  const all = new Map<string, { json: LedgerEntryJson; object: AccountRoot | PayChannel }>();
  for (const account of state.accounts.values()) {
    const json = accountRootJson(account);
    all.set(json.index, { json, object: account });
  }
  for (const channel of state.channels.values())
    all.set(channel.id, { json: payChannelJson(channel), object: channel });
  return all;
}

const THREADING_FIELDS = new Set(['PreviousTxnID', 'PreviousTxnLgrSeq', 'LedgerEntryType', 'index']);

function fieldsOf(json: LedgerEntryJson): Record<string, unknown> {
  return Object.fromEntries(Object.entries(json).filter(([k]) => !THREADING_FIELDS.has(k)));
}

/**
 * AffectedNodes from `before` to `after` (rippled's shape: CreatedNode.NewFields, ModifiedNode with
 * FinalFields and the changed PreviousFields, DeletedNode.FinalFields). Objects created or changed are
 * threaded to the transaction: their PreviousTxnID becomes `hash`.
 */
export function affectedNodes(
  before: LedgerState,
  after: LedgerState,
  hash: string,
  ledgerIndex: number,
): Record<string, unknown>[] {
  const old = entries(before);
  const nodes: Record<string, unknown>[] = [];
  for (const [index, { json, object }] of entries(after)) {
    const prior = old.get(index)?.json;
    const finalFields = fieldsOf(json);
    if (prior === undefined) {
      nodes.push({
        CreatedNode: { LedgerEntryType: json.LedgerEntryType, LedgerIndex: index, NewFields: finalFields },
      });
    } else {
      const priorFields = fieldsOf(prior);
      const changed = Object.entries(priorFields).filter(
        ([k, v]) => JSON.stringify(finalFields[k]) !== JSON.stringify(v),
      );
      const added = Object.keys(finalFields).some((k) => !(k in priorFields));
      if (changed.length === 0 && !added) continue;
      nodes.push({
        ModifiedNode: {
          FinalFields: finalFields,
          LedgerEntryType: json.LedgerEntryType,
          LedgerIndex: index,
          PreviousFields: Object.fromEntries(changed),
          PreviousTxnID: prior.PreviousTxnID,
          PreviousTxnLgrSeq: prior.PreviousTxnLgrSeq,
        },
      });
    }
    object.previousTxnId = hash;
    object.previousTxnLgrSeq = ledgerIndex;
  }
  const now = entries(after);
  for (const [index, { json }] of old) {
    if (now.has(index)) continue;
    const removed = after.removed.get(index);
    const finalFields = fieldsOf(removed === undefined ? json : payChannelJson(removed));
    const priorFields = fieldsOf(json);
    const previousFields = Object.fromEntries(
      Object.entries(priorFields).filter(([k, v]) => JSON.stringify(finalFields[k]) !== JSON.stringify(v)),
    );
    nodes.push({
      DeletedNode: {
        FinalFields: finalFields,
        LedgerEntryType: json.LedgerEntryType,
        LedgerIndex: index,
        ...(Object.keys(previousFields).length > 0 ? { PreviousFields: previousFields } : {}),
      },
    });
  }
  return nodes;
}
