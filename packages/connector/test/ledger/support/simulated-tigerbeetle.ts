import {
  AccountFlags,
  CreateAccountStatus,
  CreateTransferStatus,
  ErrorCodes,
  RequestError,
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

/** `tigerbeetle start --development` caps requests at 32 KiB (src/tigerbeetle/cli.zig, start_defaults_development). */
export const DEVELOPMENT_REQUEST_SIZE = 32 * 1024;
/** Without --development the request limit is the message size, 1 MiB (src/config.zig message_size_max). */
export const PRODUCTION_REQUEST_SIZE = 1024 * 1024;
const MESSAGE_SIZE_MAX = PRODUCTION_REQUEST_SIZE;
/** Every VSR message starts with a 256-byte header (src/vsr/message_header.zig). */
const HEADER_SIZE = 256;

/**
 * Sizes on the wire (src/tigerbeetle.zig): an Account or Transfer is 128 bytes, an id 16, a query filter
 * 64, a create result 16 (timestamp, status, padding in 0.17).
 */
const OPERATIONS = {
  create_accounts: { event: 128, result: 16 },
  create_transfers: { event: 128, result: 16 },
  lookup_accounts: { event: 16, result: 128 },
  lookup_transfers: { event: 16, result: 128 },
  query_transfers: { event: 64, result: 128 },
} as const;
export type SimulatedOperation = keyof typeof OPERATIONS;

/**
 * The multi-batch trailer of a one-batch request (src/vsr/multi_batch.zig): a u16 count and a u16
 * postamble, padded to a whole element.
 */
function trailerSize(elementSize: number): number {
  return Math.ceil(4 / elementSize) * elementSize;
}

/** Most events of one operation a request may carry under a request size limit. */
export function eventsPerRequest(operation: SimulatedOperation, requestSizeLimit: number): number {
  const { event } = OPERATIONS[operation];
  return Math.floor((requestSizeLimit - HEADER_SIZE - trailerSize(event)) / event);
}

/** Most results a reply may carry: replies are bounded by the message size whatever the request limit. */
export function resultsPerReply(operation: SimulatedOperation): number {
  const { result } = OPERATIONS[operation];
  return Math.floor((MESSAGE_SIZE_MAX - HEADER_SIZE - trailerSize(result)) / result);
}

/** Errors recorded against an id, so a later attempt with the same id gets id_already_failed. */
const TRANSIENT = new Set<number>([
  S.debit_account_not_found,
  S.credit_account_not_found,
  S.pending_transfer_not_found,
  S.exceeds_credits,
  S.exceeds_debits,
]);

export interface SimulatedTigerBeetleOptions {
  /** Request size limit in bytes; default DEVELOPMENT_REQUEST_SIZE (what docker-compose-dev.yml runs). */
  readonly requestSizeLimit?: number;
  /** Most pending transfers one background expiry pass releases (default 3: a packet's 4 legs split). */
  readonly expiryPassLimit?: number;
  /** Milliseconds between expiry passes (default 50). */
  readonly expiryIntervalMs?: number;
  /** The cluster's clock minus the host's, in ms: the cluster's timestamps are its own. */
  readonly clockOffsetMs?: number;
  /** Time a request takes once sent, in ms (default 0: the next turn of the event loop). */
  readonly latencyMs?: number;
}

interface QueuedRequest {
  readonly operation: SimulatedOperation;
  readonly apply: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
  /** The client's callback was cancelled by destroy(); the request may still be applied. */
  cancelled: boolean;
}

/**
 * A stand-in for a TigerBeetle 0.17 cluster behind the tigerbeetle-node client, for tests only: no
 * server can run on these machines. It models, from the client (src/clients/c/tb_client/context.zig),
 * the state machine (src/state_machine.zig) and the reference docs (requests, two-phase transfers):
 * - the request size limit: a request with more events than fit (or whose reply could exceed the
 *   message size) fails at once with RequestError ERR_TOO_MUCH_DATA and is never sent or applied;
 * - one request in flight per client, the others queued in order; a request is never dropped or timed
 *   out by the client: while the cluster is unreachable (partition()) it waits, and it is applied when
 *   the cluster is back (heal()), however long the caller has stopped waiting. destroy() fails queued
 *   requests with ERR_CLIENT_CLOSED, but the one already sent is still applied;
 * - cluster timestamps in nanoseconds on the cluster's own clock; pending timeouts in whole seconds
 *   from the pending's timestamp; a post or void after that instant fails with pending_transfer_expired,
 *   while the reserved balances are released only by background expiry passes of bounded size, so the
 *   legs of one chain may be released in different passes;
 * - linked chains all or nothing (the failing event's own status, linked_event_failed for the others),
 *   exists / exists_with_different_* checked field by field, id_already_failed after a transient error;
 * - balancing_debit / balancing_credit: the amount is capped at what the debit (credit) account has
 *   before its debits exceed its credits (credits its debits), the stored transfer holds the amount
 *   moved, and nothing to move is exceeds_credits (exceeds_debits); a replay whose amount is at least
 *   the stored one is "exists";
 * - lookup_* returns only what exists; query_transfers ANDs its non-zero fields, orders by timestamp
 *   (reversed with flags = 1) and returns at most `limit`.
 * Not modelled: replication, view changes and eviction; coalescing of concurrent requests into one
 * message; imported events, closing accounts, history; account queries. The run
 * against a real cluster (ILPD_TIGERBEETLE_ADDRESSES) stays the authority.
 */
export class SimulatedTigerBeetle {
  readonly requestSizeLimit: number;
  private readonly expiryPassLimit: number;
  private readonly expiryIntervalMs: number;
  private readonly clockOffsetNs: bigint;
  private readonly latencyMs: number;
  private readonly accounts = new Map<bigint, Account>();
  private readonly transfers = new Map<bigint, Transfer>();
  private readonly pendingStatus = new Map<bigint, PendingStatus>();
  /** Pending transfers with a timeout that are still pending: what expiry passes look at. */
  private readonly openTimed = new Set<bigint>();
  private readonly failedIds = new Map<bigint, number>();
  private lastTimestamp = 0n;
  private reachable = true;
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Every client's queue; the head of a queue is its request in flight. */
  private readonly queues: QueuedRequest[][] = [];
  clientsCreated = 0;
  clientsDestroyed = 0;
  /** Requests the cluster applied, by operation, and events they carried. */
  readonly applied = {
    requests: new Map<SimulatedOperation, number>(),
    events: new Map<SimulatedOperation, number>(),
  };
  /** Requests refused with ERR_TOO_MUCH_DATA. */
  tooMuchData = 0;
  /** Expiry passes that released at least one pending transfer. */
  expiryPasses = 0;

  constructor(options: SimulatedTigerBeetleOptions = {}) {
    this.requestSizeLimit = options.requestSizeLimit ?? DEVELOPMENT_REQUEST_SIZE;
    this.expiryPassLimit = options.expiryPassLimit ?? 3;
    this.expiryIntervalMs = options.expiryIntervalMs ?? 50;
    this.clockOffsetNs = BigInt(options.clockOffsetMs ?? 0) * 1_000_000n;
    this.latencyMs = options.latencyMs ?? 0;
  }

  client(): Client {
    this.clientsCreated++;
    const queue: QueuedRequest[] = [];
    this.queues.push(queue);
    let open = true;
    const submit = <T>(operation: SimulatedOperation, events: number, results: number, apply: () => T) =>
      new Promise<T>((resolve, reject) => {
        if (!open) return reject(new RequestError(ErrorCodes.ERR_CLIENT_CLOSED));
        if (
          events > eventsPerRequest(operation, this.requestSizeLimit) ||
          results > resultsPerReply(operation)
        ) {
          this.tooMuchData++;
          // The client refuses it before sending: it never reaches the cluster.
          return setImmediate(() => reject(new RequestError(ErrorCodes.ERR_TOO_MUCH_DATA)));
        }
        queue.push({
          operation,
          apply,
          resolve: resolve as (value: unknown) => void,
          reject,
          cancelled: false,
        });
        if (queue.length === 1) this.send(queue);
      });
    return {
      createAccounts: (batch) =>
        submit('create_accounts', batch.length, batch.length, () => batch.map((a) => this.createAccount(a))),
      createTransfers: (batch) =>
        submit('create_transfers', batch.length, batch.length, () => this.createTransfers(batch)),
      lookupAccounts: (ids) =>
        submit('lookup_accounts', ids.length, ids.length, () =>
          ids.flatMap((id) => this.copyOf(this.accounts.get(id))),
        ),
      lookupTransfers: (ids) =>
        submit('lookup_transfers', ids.length, ids.length, () =>
          ids.flatMap((id) => this.copyOf(this.transfers.get(id))),
        ),
      queryTransfers: (filter) =>
        submit('query_transfers', 1, filter.limit, () => this.queryTransfers(filter)),
      getAccountTransfers: () => Promise.reject(new Error('get_account_transfers is not simulated')),
      getAccountBalances: () => Promise.reject(new Error('get_account_balances is not simulated')),
      queryAccounts: () => Promise.reject(new Error('query_accounts is not simulated')),
      destroy: () => {
        if (!open) return;
        open = false;
        this.clientsDestroyed++;
        // The request in flight was sent and may still be applied; the queued ones never leave.
        for (const request of queue.splice(1)) request.reject(new RequestError(ErrorCodes.ERR_CLIENT_CLOSED));
        const inFlight = queue[0];
        if (inFlight !== undefined) {
          inFlight.cancelled = true;
          inFlight.reject(new RequestError(ErrorCodes.ERR_CLIENT_CLOSED));
        }
      },
    };
  }

  /** The cluster stops answering (replicas down, network cut): requests wait in their clients. */
  partition(): void {
    this.reachable = false;
  }

  /** The cluster answers again: every waiting request is applied, in order per client. */
  heal(): void {
    this.reachable = true;
    for (const queue of this.queues) if (queue.length > 0) this.send(queue);
  }

  /** Stops the background expiry passes (tests call it in cleanup). */
  close(): void {
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** Requests sent to the cluster that it has not applied yet (all clients). */
  get waitingRequests(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  /** A stored transfer, for assertions. */
  transfer(id: bigint): Transfer | undefined {
    const t = this.transfers.get(id);
    return t === undefined ? undefined : { ...t };
  }

  /** A stored account, for assertions. */
  account(id: bigint): Account | undefined {
    const a = this.accounts.get(id);
    return a === undefined ? undefined : { ...a };
  }

  /** All stored transfers, in timestamp order, for assertions. */
  allTransfers(): Transfer[] {
    return [...this.transfers.values()].map((t) => ({ ...t }));
  }

  /** Creates transfers as another application on the same cluster would (no client, no size limit). */
  createTransfersDirectly(batch: Transfer[]): CreateTransferResult[] {
    return this.createTransfers(batch);
  }

  /** Creates accounts as another application on the same cluster would. */
  createAccountsDirectly(batch: Account[]): CreateAccountResult[] {
    return batch.map((a) => this.createAccount(a));
  }

  /** The cluster's current time in nanoseconds (advances the clock like any event). */
  now(): bigint {
    const wall = BigInt(Date.now()) * 1_000_000n + this.clockOffsetNs;
    this.lastTimestamp = wall > this.lastTimestamp ? wall : this.lastTimestamp + 1n;
    return this.lastTimestamp;
  }

  /** One background expiry pass: releases up to expiryPassLimit pending transfers past their timeout. */
  runExpiryPass(): number {
    const now = this.now();
    const due: Transfer[] = [];
    for (const id of this.openTimed) {
      const p = this.transfers.get(id) as Transfer;
      if (expiresAt(p) <= now) due.push(p);
    }
    due.sort((a, b) => (expiresAt(a) < expiresAt(b) ? -1 : expiresAt(a) > expiresAt(b) ? 1 : 0));
    const released = due.slice(0, this.expiryPassLimit);
    for (const p of released) {
      this.pendingStatus.set(p.id, 'expired');
      this.openTimed.delete(p.id);
      (this.accounts.get(p.debit_account_id) as Account).debits_pending -= p.amount;
      (this.accounts.get(p.credit_account_id) as Account).credits_pending -= p.amount;
    }
    if (released.length > 0) this.expiryPasses++;
    if (!this.hasTimedPendings()) this.close();
    return released.length;
  }

  private hasTimedPendings(): boolean {
    return this.openTimed.size > 0;
  }

  private send(queue: QueuedRequest[]): void {
    const request = queue[0];
    const later = (fn: () => void) =>
      this.latencyMs > 0 ? setTimeout(fn, this.latencyMs) : setImmediate(fn);
    later(() => {
      if (!this.reachable || queue[0] !== request) return;
      queue.shift();
      let result: unknown;
      let failure: unknown;
      try {
        result = request.apply();
        this.applied.requests.set(request.operation, (this.applied.requests.get(request.operation) ?? 0) + 1);
      } catch (err) {
        failure = err;
      }
      if (!request.cancelled) {
        if (failure === undefined) request.resolve(result);
        else request.reject(failure);
      }
      if (queue.length > 0) this.send(queue);
    });
  }

  private count(operation: SimulatedOperation, events: number): void {
    this.applied.events.set(operation, (this.applied.events.get(operation) ?? 0) + events);
  }

  private copyOf<T extends object>(value: T | undefined): T[] {
    return value === undefined ? [] : [{ ...value }];
  }

  private createAccount(a: Account): CreateAccountResult {
    this.count('create_accounts', 1);
    const existing = this.accounts.get(a.id);
    if (existing !== undefined) {
      const status =
        existing.flags !== a.flags
          ? CreateAccountStatus.exists_with_different_flags
          : existing.ledger !== a.ledger
            ? CreateAccountStatus.exists_with_different_ledger
            : existing.code !== a.code
              ? CreateAccountStatus.exists_with_different_code
              : CreateAccountStatus.exists;
      return { timestamp: existing.timestamp, status };
    }
    const timestamp = this.now();
    this.accounts.set(a.id, { ...a, timestamp });
    return { timestamp, status: CreateAccountStatus.created };
  }

  private queryTransfers(filter: QueryFilter): Transfer[] {
    this.count('query_transfers', 1);
    const matches = [...this.transfers.values()].filter(
      (t) =>
        (filter.user_data_128 === 0n || t.user_data_128 === filter.user_data_128) &&
        (filter.user_data_64 === 0n || t.user_data_64 === filter.user_data_64) &&
        (filter.user_data_32 === 0 || t.user_data_32 === filter.user_data_32) &&
        (filter.code === 0 || t.code === filter.code) &&
        (filter.ledger === 0 || t.ledger === filter.ledger) &&
        (filter.timestamp_min === 0n || t.timestamp >= filter.timestamp_min) &&
        (filter.timestamp_max === 0n || t.timestamp <= filter.timestamp_max),
    );
    matches.sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
    if ((filter.flags & 1) !== 0) matches.reverse();
    return matches.slice(0, filter.limit).map((t) => ({ ...t }));
  }

  private createTransfers(batch: Transfer[]): CreateTransferResult[] {
    this.count('create_transfers', batch.length);
    const results: CreateTransferResult[] = [];
    let start = 0;
    while (start < batch.length) {
      let end = start;
      while (end < batch.length - 1 && (batch[end].flags & TransferFlags.linked) !== 0) end++;
      const chain = batch.slice(start, end + 1);
      const undo: (() => void)[] = [];
      const statuses: number[] = [];
      const timestamps: bigint[] = [];
      let failedAt = -1;
      for (const [i, t] of chain.entries()) {
        const open = i === chain.length - 1 && (t.flags & TransferFlags.linked) !== 0;
        const status = open ? S.linked_event_chain_open : this.apply(t, undo);
        statuses.push(status);
        timestamps.push(
          status === S.exists ? (this.transfers.get(t.id) as Transfer).timestamp : this.lastTimestamp,
        );
        // "exists" is not "created": in a chain it fails the others like any error.
        if (status !== S.created) {
          failedAt = i;
          break;
        }
      }
      if (failedAt >= 0) {
        for (const u of undo.reverse()) u();
        const failed = chain[failedAt];
        if (TRANSIENT.has(statuses[failedAt])) this.failedIds.set(failed.id, statuses[failedAt]);
        for (let i = 0; i < chain.length; i++) {
          const own = i === failedAt;
          results.push({
            timestamp: own && statuses[i] === S.exists ? timestamps[i] : 0n,
            status: own ? statuses[i] : S.linked_event_failed,
          });
        }
      } else {
        for (let i = 0; i < statuses.length; i++)
          results.push({ timestamp: timestamps[i], status: statuses[i] });
      }
      start = end + 1;
    }
    if (this.hasTimedPendings() && this.expiryTimer === undefined) {
      this.expiryTimer = setInterval(() => this.runExpiryPass(), this.expiryIntervalMs);
      this.expiryTimer.unref();
    }
    return results;
  }

  private apply(t: Transfer, undo: (() => void)[]): CreateTransferStatus {
    if (t.id === 0n) return S.id_must_not_be_zero;
    if (t.id === amount_max) return S.id_must_not_be_int_max;
    if ((t.flags & (TransferFlags.post_pending_transfer | TransferFlags.void_pending_transfer)) !== 0) {
      return this.postOrVoid(t, undo);
    }
    if (t.pending_id !== 0n) return S.pending_id_must_be_zero;
    if ((t.flags & TransferFlags.pending) === 0 && t.timeout !== 0)
      return S.timeout_reserved_for_pending_transfer;
    if (t.ledger === 0) return S.ledger_must_not_be_zero;
    if (t.code === 0) return S.code_must_not_be_zero;
    const dr = this.accounts.get(t.debit_account_id);
    const cr = this.accounts.get(t.credit_account_id);
    if (t.debit_account_id === t.credit_account_id) return S.accounts_must_be_different;
    const existing = this.transfers.get(t.id);
    if (existing !== undefined) return existsStatus(existing, t);
    const failed = this.failedIds.get(t.id);
    if (failed !== undefined) return S.id_already_failed;
    if (dr === undefined) return S.debit_account_not_found;
    if (cr === undefined) return S.credit_account_not_found;
    if (dr.ledger !== cr.ledger) return S.accounts_must_have_the_same_ledger;
    if (t.ledger !== dr.ledger) return S.transfer_must_have_the_same_ledger_as_accounts;
    if (t.amount === 0n) throw new Error(`transfer ${t.id} moves nothing: ilpd must leave zero legs out`);
    const pending = (t.flags & TransferFlags.pending) !== 0;
    let amount = t.amount;
    if ((t.flags & TransferFlags.balancing_debit) !== 0) {
      const room = dr.credits_posted - dr.debits_posted - dr.debits_pending;
      if (room <= 0n) return S.exceeds_credits;
      if (room < amount) amount = room;
    }
    if ((t.flags & TransferFlags.balancing_credit) !== 0) {
      const room = cr.debits_posted - cr.credits_posted - cr.credits_pending;
      if (room <= 0n) return S.exceeds_debits;
      if (room < amount) amount = room;
    }
    if ((dr.flags & AccountFlags.debits_must_not_exceed_credits) !== 0) {
      if (dr.debits_pending + dr.debits_posted + amount > dr.credits_posted) return S.exceeds_credits;
    }
    if ((cr.flags & AccountFlags.credits_must_not_exceed_debits) !== 0) {
      if (cr.credits_pending + cr.credits_posted + amount > cr.debits_posted) return S.exceeds_debits;
    }
    const stored = { ...t, amount, timestamp: this.now() };
    this.transfers.set(t.id, stored);
    undo.push(() => this.transfers.delete(t.id));
    if (pending) {
      this.pendingStatus.set(t.id, 'pending');
      undo.push(() => this.pendingStatus.delete(t.id));
      if (t.timeout > 0) {
        this.openTimed.add(t.id);
        undo.push(() => this.openTimed.delete(t.id));
      }
      this.move(dr, 'debits_pending', amount, undo);
      this.move(cr, 'credits_pending', amount, undo);
    } else {
      this.move(dr, 'debits_posted', amount, undo);
      this.move(cr, 'credits_posted', amount, undo);
    }
    return S.created;
  }

  private postOrVoid(t: Transfer, undo: (() => void)[]): CreateTransferStatus {
    const post = (t.flags & TransferFlags.post_pending_transfer) !== 0;
    if (post && (t.flags & TransferFlags.void_pending_transfer) !== 0) return S.flags_are_mutually_exclusive;
    if ((t.flags & TransferFlags.pending) !== 0) return S.flags_are_mutually_exclusive;
    if (t.pending_id === 0n) return S.pending_id_must_not_be_zero;
    if (t.pending_id === t.id) return S.pending_id_must_be_different;
    if (t.timeout !== 0) return S.timeout_reserved_for_pending_transfer;
    const existing = this.transfers.get(t.id);
    if (existing !== undefined) return existsStatus(existing, t);
    if (this.failedIds.has(t.id)) return S.id_already_failed;
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
    const amount = t.amount === amount_max ? p.amount : t.amount;
    if (amount > p.amount) return S.exceeds_pending_transfer_amount;
    if (!post && amount !== 0n && amount < p.amount) return S.pending_transfer_has_different_amount;
    const status = this.pendingStatus.get(p.id);
    if (status === 'posted') return S.pending_transfer_already_posted;
    if (status === 'voided') return S.pending_transfer_already_voided;
    const now = this.now();
    // Expiry is decided by the cluster's timestamp, not by whether a pass has released it yet.
    if (status === 'expired' || (p.timeout > 0 && expiresAt(p) <= now)) return S.pending_transfer_expired;
    this.transfers.set(t.id, { ...t, amount: post ? amount : p.amount, timestamp: now });
    undo.push(() => this.transfers.delete(t.id));
    this.pendingStatus.set(p.id, post ? 'posted' : 'voided');
    const timed = this.openTimed.delete(p.id);
    undo.push(() => {
      this.pendingStatus.set(p.id, 'pending');
      if (timed) this.openTimed.add(p.id);
    });
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

function expiresAt(p: Transfer): bigint {
  return p.timestamp + BigInt(p.timeout) * 1_000_000_000n;
}

/** TigerBeetle compares a replayed transfer with the stored one field by field, in this order. */
function existsStatus(e: Transfer, t: Transfer): CreateTransferStatus {
  if (e.flags !== t.flags) return S.exists_with_different_flags;
  if (e.pending_id !== t.pending_id) return S.exists_with_different_pending_id;
  if (e.timeout !== t.timeout) return S.exists_with_different_timeout;
  const resolution =
    (t.flags & (TransferFlags.post_pending_transfer | TransferFlags.void_pending_transfer)) !== 0;
  if (!resolution || t.debit_account_id !== 0n) {
    if (e.debit_account_id !== t.debit_account_id) return S.exists_with_different_debit_account_id;
  }
  if (!resolution || t.credit_account_id !== 0n) {
    if (e.credit_account_id !== t.credit_account_id) return S.exists_with_different_credit_account_id;
  }
  const balancing = (t.flags & (TransferFlags.balancing_debit | TransferFlags.balancing_credit)) !== 0;
  if (balancing) {
    if (t.amount < e.amount) return S.exists_with_different_amount;
  } else if (!resolution || (t.amount !== 0n && t.amount !== amount_max)) {
    if (e.amount !== t.amount) return S.exists_with_different_amount;
  }
  if (e.user_data_128 !== t.user_data_128) return S.exists_with_different_user_data_128;
  if (e.user_data_64 !== t.user_data_64) return S.exists_with_different_user_data_64;
  if (e.user_data_32 !== t.user_data_32) return S.exists_with_different_user_data_32;
  if (!resolution || t.ledger !== 0) if (e.ledger !== t.ledger) return S.exists_with_different_ledger;
  if (!resolution || t.code !== 0) if (e.code !== t.code) return S.exists_with_different_code;
  return S.exists;
}
