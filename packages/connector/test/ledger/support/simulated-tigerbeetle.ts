import {
  AccountFlags,
  CreateAccountStatus,
  CreateTransferStatus,
  TransferFlags,
  amount_max,
  type Account,
  type Client,
  type CreateAccountResult,
  type CreateTransferResult,
  type QueryFilter,
  type Transfer,
} from 'tigerbeetle-node';

const S = CreateTransferStatus;
type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

/**
 * An in-memory model of the part of TigerBeetle's state machine ilpd relies on, written from its
 * reference docs and state_machine.zig: account limit flags, pending/post/void with timeouts (expired
 * lazily, as TigerBeetle's best-effort expiry allows), linked chains (all or nothing, the others
 * reporting linked_event_failed), "exists" checked before the pending's status, query by code and
 * timestamp. It lets the conformance suite exercise the tigerbeetle backend's own logic (ids, chains,
 * result handling, recovery) where no cluster can run; the real-cluster run stays the authority.
 */
export class SimulatedTigerBeetle {
  private readonly accounts = new Map<bigint, Account>();
  private readonly transfers = new Map<bigint, Transfer>();
  private readonly pendingStatus = new Map<bigint, PendingStatus>();
  private lastTimestamp = 0n;
  clientsCreated = 0;
  clientsDestroyed = 0;

  client(): Client {
    this.clientsCreated++;
    let open = true;
    const call = <T>(fn: () => T): Promise<T> =>
      new Promise((resolve, reject) =>
        setImmediate(() => {
          if (!open) return reject(new Error('Client was closed.'));
          try {
            resolve(fn());
          } catch (err) {
            reject(err);
          }
        }),
      );
    return {
      createAccounts: (batch) => call(() => batch.map((a) => this.createAccount(a))),
      createTransfers: (batch) => call(() => this.createTransfers(batch)),
      lookupAccounts: (ids) => call(() => this.lookupAccounts(ids)),
      lookupTransfers: (ids) => call(() => ids.flatMap((id) => this.copyOf(this.transfers.get(id)))),
      queryTransfers: (filter) => call(() => this.queryTransfers(filter)),
      getAccountTransfers: () => Promise.reject(new Error('not simulated')),
      getAccountBalances: () => Promise.reject(new Error('not simulated')),
      queryAccounts: () => Promise.reject(new Error('not simulated')),
      destroy: () => {
        if (open) this.clientsDestroyed++;
        open = false;
      },
    };
  }

  private now(): bigint {
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.lastTimestamp = wall > this.lastTimestamp ? wall : this.lastTimestamp + 1n;
    return this.lastTimestamp;
  }

  private copyOf<T extends object>(value: T | undefined): T[] {
    return value === undefined ? [] : [{ ...value }];
  }

  private createAccount(a: Account): CreateAccountResult {
    const existing = this.accounts.get(a.id);
    if (existing !== undefined) {
      const same = existing.flags === a.flags && existing.ledger === a.ledger && existing.code === a.code;
      return {
        timestamp: existing.timestamp,
        status: same ? CreateAccountStatus.exists : CreateAccountStatus.exists_with_different_flags,
      };
    }
    const timestamp = this.now();
    this.accounts.set(a.id, { ...a, timestamp });
    return { timestamp, status: CreateAccountStatus.created };
  }

  private lookupAccounts(ids: bigint[]): Account[] {
    this.expire();
    return ids.flatMap((id) => this.copyOf(this.accounts.get(id)));
  }

  private queryTransfers(filter: QueryFilter): Transfer[] {
    return [...this.transfers.values()]
      .filter(
        (t) =>
          (filter.code === 0 || t.code === filter.code) &&
          (filter.ledger === 0 || t.ledger === filter.ledger) &&
          t.timestamp >= filter.timestamp_min &&
          (filter.timestamp_max === 0n || t.timestamp <= filter.timestamp_max),
      )
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1))
      .slice(0, filter.limit)
      .map((t) => ({ ...t }));
  }

  /** Releases pending balances whose timeout has passed. */
  private expire(): void {
    const now = this.now();
    for (const [id, status] of this.pendingStatus) {
      const p = this.transfers.get(id) as Transfer;
      if (status !== 'pending' || p.timeout === 0 || p.timestamp + BigInt(p.timeout) * 1_000_000_000n > now)
        continue;
      this.pendingStatus.set(id, 'expired');
      (this.accounts.get(p.debit_account_id) as Account).debits_pending -= p.amount;
      (this.accounts.get(p.credit_account_id) as Account).credits_pending -= p.amount;
    }
  }

  private createTransfers(batch: Transfer[]): CreateTransferResult[] {
    this.expire();
    const results: CreateTransferResult[] = [];
    let start = 0;
    while (start < batch.length) {
      let end = start;
      while (end < batch.length - 1 && (batch[end].flags & TransferFlags.linked) !== 0) end++;
      const chain = batch.slice(start, end + 1);
      const undo: (() => void)[] = [];
      const statuses: number[] = [];
      let failedAt = -1;
      for (const [i, t] of chain.entries()) {
        const open = i === chain.length - 1 && (t.flags & TransferFlags.linked) !== 0;
        const status = open ? S.linked_event_chain_open : this.apply(t, undo);
        statuses.push(status);
        if (status !== S.created) {
          failedAt = i;
          break;
        }
      }
      if (failedAt >= 0) {
        for (const u of undo.reverse()) u();
        for (let i = 0; i < chain.length; i++) {
          results.push({ timestamp: 0n, status: i === failedAt ? statuses[i] : S.linked_event_failed });
        }
      } else {
        for (const status of statuses) results.push({ timestamp: this.lastTimestamp, status });
      }
      start = end + 1;
    }
    return results;
  }

  private apply(t: Transfer, undo: (() => void)[]): CreateTransferStatus {
    if (t.id === 0n || t.id === amount_max) return S.id_must_not_be_zero;
    if ((t.flags & (TransferFlags.post_pending_transfer | TransferFlags.void_pending_transfer)) !== 0) {
      return this.postOrVoid(t, undo);
    }
    const dr = this.accounts.get(t.debit_account_id);
    const cr = this.accounts.get(t.credit_account_id);
    if (dr === undefined) return S.debit_account_not_found;
    if (cr === undefined) return S.credit_account_not_found;
    if (dr.id === cr.id) return S.accounts_must_be_different;
    if (dr.ledger !== cr.ledger) return S.accounts_must_have_the_same_ledger;
    if (t.ledger !== dr.ledger) return S.transfer_must_have_the_same_ledger_as_accounts;
    if (t.code === 0) return S.code_must_not_be_zero;
    const existing = this.transfers.get(t.id);
    if (existing !== undefined) {
      if (existing.flags !== t.flags) return S.exists_with_different_flags;
      if (existing.debit_account_id !== t.debit_account_id) return S.exists_with_different_debit_account_id;
      if (existing.credit_account_id !== t.credit_account_id)
        return S.exists_with_different_credit_account_id;
      if (existing.amount !== t.amount) return S.exists_with_different_amount;
      return S.exists;
    }
    if (t.amount === 0n) throw new Error(`transfer ${t.id} moves nothing: ilpd must leave zero legs out`);
    const pending = (t.flags & TransferFlags.pending) !== 0;
    if ((dr.flags & AccountFlags.debits_must_not_exceed_credits) !== 0) {
      if (dr.debits_pending + dr.debits_posted + t.amount > dr.credits_posted) return S.exceeds_credits;
    }
    if ((cr.flags & AccountFlags.credits_must_not_exceed_debits) !== 0) {
      if (cr.credits_pending + cr.credits_posted + t.amount > cr.debits_posted) return S.exceeds_debits;
    }
    const stored = { ...t, timestamp: this.now() };
    this.transfers.set(t.id, stored);
    undo.push(() => this.transfers.delete(t.id));
    if (pending) {
      this.pendingStatus.set(t.id, 'pending');
      undo.push(() => this.pendingStatus.delete(t.id));
      this.move(dr, 'debits_pending', t.amount, undo);
      this.move(cr, 'credits_pending', t.amount, undo);
    } else {
      this.move(dr, 'debits_posted', t.amount, undo);
      this.move(cr, 'credits_posted', t.amount, undo);
    }
    return S.created;
  }

  private postOrVoid(t: Transfer, undo: (() => void)[]): CreateTransferStatus {
    const post = (t.flags & TransferFlags.post_pending_transfer) !== 0;
    if (post && (t.flags & TransferFlags.void_pending_transfer) !== 0) return S.flags_are_mutually_exclusive;
    if (t.pending_id === 0n) return S.pending_id_must_not_be_zero;
    const p = this.transfers.get(t.pending_id);
    if (p === undefined) return S.pending_transfer_not_found;
    if ((p.flags & TransferFlags.pending) === 0) return S.pending_transfer_not_pending;
    if (t.debit_account_id !== 0n && t.debit_account_id !== p.debit_account_id) {
      return S.pending_transfer_has_different_debit_account_id;
    }
    if (t.credit_account_id !== 0n && t.credit_account_id !== p.credit_account_id) {
      return S.pending_transfer_has_different_credit_account_id;
    }
    if (t.ledger !== 0 && t.ledger !== p.ledger) return S.pending_transfer_has_different_ledger;
    if (t.code !== 0 && t.code !== p.code) return S.pending_transfer_has_different_code;
    const amount = t.amount === 0n || t.amount === amount_max ? p.amount : t.amount;
    if (amount > p.amount) return S.exceeds_pending_transfer_amount;
    if (!post && amount < p.amount) return S.pending_transfer_has_different_amount;
    const existing = this.transfers.get(t.id);
    if (existing !== undefined) {
      if (existing.flags !== t.flags) return S.exists_with_different_flags;
      return existing.amount === amount ? S.exists : S.exists_with_different_amount;
    }
    const status = this.pendingStatus.get(p.id);
    if (status === 'posted') return S.pending_transfer_already_posted;
    if (status === 'voided') return S.pending_transfer_already_voided;
    const now = this.now();
    if (status === 'expired' || (p.timeout > 0 && p.timestamp + BigInt(p.timeout) * 1_000_000_000n <= now)) {
      return S.pending_transfer_expired;
    }
    this.transfers.set(t.id, { ...t, amount, timestamp: now });
    undo.push(() => this.transfers.delete(t.id));
    this.pendingStatus.set(p.id, post ? 'posted' : 'voided');
    undo.push(() => this.pendingStatus.set(p.id, 'pending'));
    const dr = this.accounts.get(p.debit_account_id) as Account;
    const cr = this.accounts.get(p.credit_account_id) as Account;
    this.move(dr, 'debits_pending', -p.amount, undo);
    this.move(cr, 'credits_pending', -p.amount, undo);
    if (post) {
      this.move(dr, 'debits_posted', amount, undo);
      this.move(cr, 'credits_posted', amount, undo);
    }
    return S.created;
  }

  private move(
    account: Account,
    field: 'debits_pending' | 'debits_posted' | 'credits_pending' | 'credits_posted',
    amount: bigint,
    undo: (() => void)[],
  ): void {
    account[field] += amount;
    undo.push(() => (account[field] -= amount));
  }
}
