import { isIPv4, isIPv6, type Socket } from 'node:net';
import type WebSocket from 'ws';

/** A connection accepted on the BTP port that has not authenticated yet. */
export interface Unauthenticated {
  readonly socket: Socket;
  readonly source: string;
  readonly timer: NodeJS.Timeout;
  /** Set once the WebSocket upgrade is done. */
  ws?: WebSocket;
  bytesRead: number;
  /** Stops counting its bytes (once it has authenticated). */
  stopCounting?: () => void;
  /** True once it authenticated, failed or timed out: nothing more is decided about it. */
  settled: boolean;
}

export type EvictionReason = 'per_source' | 'total';

export interface UnauthenticatedPoolOptions {
  readonly maxTotal: number;
  readonly maxPerSource: number;
  /** Called for a connection dropped to make room (already out of the pool); it must close it. */
  onEvict(evicted: Unauthenticated, reason: EvictionReason, waiting: number): void;
}

/**
 * The unauthenticated connections, oldest first, overall and per source (an IPv4 address or an IPv6
 * /64, the block one host usually has to itself). Adding one never fails: at a cap, the oldest of its
 * source (or, at the total cap, the oldest of all) is evicted instead. A client with valid credentials
 * authenticates within a round trip of connecting, so to keep it out an attacker would have to open
 * more than a whole cap's worth of connections within that round trip: holding idle sockets locks
 * nobody out.
 */
export class UnauthenticatedPool {
  /** Insertion order is age: the first entry is the oldest. */
  private readonly bySocket = new Map<Socket, Unauthenticated>();
  private readonly bySource = new Map<string, Set<Unauthenticated>>();

  constructor(private readonly options: UnauthenticatedPoolOptions) {}

  get size(): number {
    return this.bySocket.size;
  }

  get(socket: Socket): Unauthenticated | undefined {
    return this.bySocket.get(socket);
  }

  add(socket: Socket, timer: NodeJS.Timeout): Unauthenticated {
    const source = sourceOf(socket.remoteAddress);
    const sameSource = this.bySource.get(source);
    if (sameSource !== undefined && sameSource.size >= this.options.maxPerSource) {
      this.evict(sameSource.values().next().value as Unauthenticated, 'per_source');
    } else if (this.bySocket.size >= this.options.maxTotal) {
      this.evict(this.bySocket.values().next().value as Unauthenticated, 'total');
    }
    const entry: Unauthenticated = { socket, source, timer, bytesRead: 0, settled: false };
    this.bySocket.set(socket, entry);
    let group = this.bySource.get(source);
    if (group === undefined) {
      group = new Set();
      this.bySource.set(source, group);
    }
    group.add(entry);
    return entry;
  }

  /** Takes an entry out (idempotent). */
  remove(entry: Unauthenticated): void {
    if (this.bySocket.get(entry.socket) !== entry) return;
    this.bySocket.delete(entry.socket);
    const group = this.bySource.get(entry.source);
    group?.delete(entry);
    if (group?.size === 0) this.bySource.delete(entry.source);
  }

  /** Empties the pool and returns what it held. */
  takeAll(): Unauthenticated[] {
    const all = [...this.bySocket.values()];
    this.bySocket.clear();
    this.bySource.clear();
    return all;
  }

  private evict(entry: Unauthenticated, reason: EvictionReason): void {
    clearTimeout(entry.timer);
    entry.settled = true;
    this.remove(entry);
    this.options.onEvict(entry, reason, this.bySocket.size);
  }
}

/** The key connections are capped by: the IPv4 address (also when IPv4-mapped), or the IPv6 /64. */
export function sourceOf(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  const bare = address.split('%')[0];
  if (isIPv4(bare)) return bare;
  if (bare.toLowerCase().startsWith('::ffff:') && isIPv4(bare.slice(7))) return bare.slice(7);
  if (!isIPv6(bare)) return bare;
  const [head, tail] = bare.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
