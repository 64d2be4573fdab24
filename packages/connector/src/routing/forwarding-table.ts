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
 * What we advertise over CCP, as an epoch log: every change gets the next epoch index, and a peer that
 * has seen epochs [0, n) only needs the entries from n on. An entry superseded by a later change to the
 * same prefix is cleared from the log (a peer catching up only needs the latest). A new routing table
 * id (each process start) tells peers to forget everything they learned from us before.
 */
export class ForwardingTable {
  readonly routingTableId: string = randomUUID();
  private epoch = 0;
  private readonly log: Array<RouteUpdateEntry | null> = [];
  private readonly entries = new Map<string, RouteUpdateEntry>();

  get currentEpoch(): number {
    return this.epoch;
  }

  get(prefix: string): RouteUpdateEntry | undefined {
    return this.entries.get(prefix);
  }

  /** Logs a change of the prefix's advertised route (undefined = withdrawn) under the next epoch. */
  record(prefix: string, route: ForwardingRoute | undefined): RouteUpdateEntry {
    const previous = this.entries.get(prefix);
    const entry: RouteUpdateEntry = { prefix, route, epoch: this.epoch++ };
    if (previous !== undefined) this.log[previous.epoch] = null;
    this.log[entry.epoch] = entry;
    this.entries.set(prefix, entry);
    return entry;
  }

  /** The live log entries of epochs [fromEpoch, fromEpoch + maxEpochs), and the epoch after them. */
  updatesFrom(fromEpoch: number, maxEpochs: number): { updates: RouteUpdateEntry[]; toEpoch: number } {
    const slice = this.log.slice(fromEpoch, fromEpoch + maxEpochs);
    const updates: RouteUpdateEntry[] = [];
    for (const entry of slice) if (entry !== null) updates.push(entry);
    return { updates, toEpoch: fromEpoch + slice.length };
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
