/** A route the packet path can follow. nextHop '' means the prefix is ours (no peer to forward to). */
export interface Route {
  readonly nextHop: string;
  /** ILP addresses of the connectors between us and the prefix's owner (empty for local/static). */
  readonly path: readonly string[];
  /** CCP route authentication value (32 bytes). */
  readonly auth: Buffer;
}

const DOT = 46;

/**
 * Longest-prefix match over ILP address prefixes, on segment boundaries: prefix `g.a` matches `g.a` and
 * `g.a.x` but not `g.ab`; the empty prefix matches everything. Lookups probe one Map per distinct prefix
 * length present (longest first), so resolve costs O(distinct lengths) map hits whatever the table size.
 */
export class RoutingTable {
  private readonly routes = new Map<string, Route>();
  /** How many prefixes of each length the table holds. */
  private readonly lengthCounts = new Map<number, number>();
  /** Distinct prefix lengths, longest first. */
  private lengths: number[] = [];

  get size(): number {
    return this.routes.size;
  }

  get(prefix: string): Route | undefined {
    return this.routes.get(prefix);
  }

  keys(): IterableIterator<string> {
    return this.routes.keys();
  }

  entries(): IterableIterator<[string, Route]> {
    return this.routes.entries();
  }

  insert(prefix: string, route: Route): void {
    if (!this.routes.has(prefix)) {
      const count = this.lengthCounts.get(prefix.length) ?? 0;
      this.lengthCounts.set(prefix.length, count + 1);
      if (count === 0) this.lengths = [...this.lengthCounts.keys()].sort((a, b) => b - a);
    }
    this.routes.set(prefix, route);
  }

  delete(prefix: string): boolean {
    if (!this.routes.delete(prefix)) return false;
    const count = this.lengthCounts.get(prefix.length) ?? 0;
    if (count <= 1) {
      this.lengthCounts.delete(prefix.length);
      this.lengths = [...this.lengthCounts.keys()].sort((a, b) => b - a);
    } else {
      this.lengthCounts.set(prefix.length, count - 1);
    }
    return true;
  }

  /** The prefix of the longest route matching `destination`, or undefined. */
  resolvePrefix(destination: string): string | undefined {
    if (this.routes.has(destination)) return destination;
    const length = destination.length;
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const l = lengths[i];
      if (l >= length) continue;
      if (l === 0) return this.routes.has('') ? '' : undefined;
      if (destination.charCodeAt(l) !== DOT) continue;
      const prefix = destination.slice(0, l);
      if (this.routes.has(prefix)) return prefix;
    }
    return undefined;
  }

  /** The longest route matching `destination`, or undefined. */
  resolve(destination: string): Route | undefined {
    const exact = this.routes.get(destination);
    if (exact !== undefined) return exact;
    const length = destination.length;
    const lengths = this.lengths;
    for (let i = 0; i < lengths.length; i++) {
      const l = lengths[i];
      if (l >= length) continue;
      if (l === 0) return this.routes.get('');
      if (destination.charCodeAt(l) !== DOT) continue;
      const route = this.routes.get(destination.slice(0, l));
      if (route !== undefined) return route;
    }
    return undefined;
  }

  /** Prefixes in the table that `prefix` covers (itself and longer ones below it on a segment boundary). */
  keysUnder(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.routes.keys()) {
      if (coversPrefix(prefix, key)) out.push(key);
    }
    return out;
  }

  toJSON(): Record<string, { nextHop: string; path: string }> {
    const out: Record<string, { nextHop: string; path: string }> = {};
    for (const [prefix, route] of [...this.routes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      out[prefix] = { nextHop: route.nextHop, path: route.path.join(' ') };
    }
    return out;
  }
}

/** True when `prefix` covers `address` on a segment boundary (the empty prefix covers everything). */
export function coversPrefix(prefix: string, address: string): boolean {
  if (prefix === '') return true;
  return address === prefix || (address.startsWith(prefix) && address.charCodeAt(prefix.length) === DOT);
}
