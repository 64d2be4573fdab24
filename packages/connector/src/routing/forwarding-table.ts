import { randomUUID } from 'node:crypto';
import { coversPrefix } from './routing-table';

/** A route as we advertise it: path starts with our address; auth is sha256 of the route's auth. */
export interface ForwardingRoute {
  readonly nextHop: string;
  readonly path: readonly string[];
  readonly auth: Buffer;
}

/** One change to what we advertise: a new best route for a prefix, or its withdrawal (no route). */
export interface RouteUpdateEntry {
  readonly prefix: string;
  readonly route?: ForwardingRoute;
  readonly epoch: number;
}

/**
 * Withdrawals kept for peers catching up, beyond which the log is compacted (see `compact`): at least
 * this many, or as many as there are live routes.
 */
const MIN_WITHDRAWALS_KEPT = 1024;

/**
 * What we advertise over CCP, as an epoch log: every change gets the next epoch index, and a peer that
 * has seen epochs [0, n) only needs the entries from n on. Only the latest entry per prefix is kept
 * (a peer catching up needs no more), in epoch order, so the log's memory follows the number of
 * prefixes, not the number of changes: a peer flapping a route costs epochs, not memory. Withdrawals
 * stay for peers that saw the route; once they outnumber the live routes (and MIN_WITHDRAWALS_KEPT),
 * `compact` starts a new table: a new routing table id (peers receiving it drop what they learned from
 * us and resync from epoch 0) holding the live routes only.
 */
export class ForwardingTable {
  private tableId: string = randomUUID();
  private epoch = 0;
  /** By prefix, in epoch order (a changed prefix is deleted and re-inserted at the end). */
  private readonly entries = new Map<string, RouteUpdateEntry>();
  private withdrawals = 0;

  /** A fresh id per process start and per compaction: it tells peers to forget what they learned before. */
  get routingTableId(): string {
    return this.tableId;
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  get(prefix: string): RouteUpdateEntry | undefined {
    return this.entries.get(prefix);
  }

  /** Logs a change of the prefix's advertised route (undefined = withdrawn) under the next epoch. */
  record(prefix: string, route: ForwardingRoute | undefined): RouteUpdateEntry {
    const previous = this.entries.get(prefix);
    if (previous !== undefined && previous.route === undefined) this.withdrawals--;
    const entry: RouteUpdateEntry = { prefix, route, epoch: this.epoch++ };
    this.entries.delete(prefix);
    this.entries.set(prefix, entry);
    if (route === undefined) this.withdrawals++;
    return entry;
  }

  /** The live log entries of epochs [fromEpoch, fromEpoch + maxEpochs), and the epoch after them. */
  updatesFrom(fromEpoch: number, maxEpochs: number): { updates: RouteUpdateEntry[]; toEpoch: number } {
    const toEpoch = Math.max(fromEpoch, Math.min(this.epoch, fromEpoch + maxEpochs));
    const updates: RouteUpdateEntry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.epoch >= toEpoch) break;
      if (entry.epoch >= fromEpoch) updates.push(entry);
    }
    return { updates, toEpoch };
  }

  /**
   * Starts a new table (new id, epochs from 0, withdrawals dropped) when withdrawals outnumber the live
   * routes and MIN_WITHDRAWALS_KEPT; true when it did, and every peer must then be sent the table anew.
   */
  compact(): boolean {
    const live = this.entries.size - this.withdrawals;
    if (this.withdrawals <= Math.max(MIN_WITHDRAWALS_KEPT, live)) return false;
    const routed = [...this.entries.values()].filter((entry) => entry.route !== undefined);
    this.entries.clear();
    this.withdrawals = 0;
    this.epoch = 0;
    this.tableId = randomUUID();
    for (const entry of routed) this.record(entry.prefix, entry.route);
    return true;
  }

  /** Entries with a route whose prefix strictly covers `prefix`. */
  routedEntriesAbove(prefix: string): RouteUpdateEntry[] {
    const out: RouteUpdateEntry[] = [];
    for (const [key, entry] of this.entries) {
      if (key !== prefix && entry.route !== undefined && coversPrefix(key, prefix)) out.push(entry);
    }
    return out;
  }

  toJSON(): Record<string, { nextHop: string; path: string } | null> {
    const out: Record<string, { nextHop: string; path: string } | null> = {};
    for (const [prefix, entry] of this.entries) {
      out[prefix] = entry.route ? { nextHop: entry.route.nextHop, path: entry.route.path.join(' ') } : null;
    }
    return out;
  }
}
