import { createHash } from 'node:crypto';
import type { LearnedRoute } from './ccp-receiver';
import type { ForwardingRoute, ForwardingTable } from './forwarding-table';
import { relationPriority, type RouteRelation } from './relation';
import type { Route } from './routing-table';

/** Same next hop and same path (auth is derived and not compared). */
export function sameRoute(
  a: Route | ForwardingRoute | undefined,
  b: Route | ForwardingRoute | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.nextHop !== b.nextHop || a.path.length !== b.path.length) return false;
  for (let i = 0; i < a.path.length; i++) if (a.path[i] !== b.path[i]) return false;
  return true;
}

/**
 * Best of several learned routes to one prefix, as ilp-connector picks: the next hop with the most
 * preferred relation, then the shortest path, then the smallest peer id (so every node decides the same
 * way and the choice is stable).
 */
export function isBetterRoute(
  a: LearnedRoute,
  b: LearnedRoute,
  relationOf: (peerId: string) => RouteRelation,
): boolean {
  const weightA = relationPriority(relationOf(a.peer));
  const weightB = relationPriority(relationOf(b.peer));
  if (weightA !== weightB) return weightA > weightB;
  if (a.path.length !== b.path.length) return a.path.length < b.path.length;
  return a.peer < b.peer;
}

/** The route as we advertise it: through us, with the auth hashed once more per hop. */
export function toForwardingRoute(route: Route, ownAddress: string): ForwardingRoute {
  return {
    nextHop: route.nextHop,
    path: [ownAddress, ...route.path],
    auth: createHash('sha256').update(route.auth).digest(),
  };
}

/**
 * DRAGON route filtering (as in ilp-connector): a more specific prefix need not be advertised when a
 * covering prefix we already advertise goes through a next hop at least as preferred: peers reach it
 * through us either way.
 */
export function dragonFilters(
  table: ForwardingTable,
  prefix: string,
  route: ForwardingRoute,
  relationOf: (peerId: string) => RouteRelation,
): boolean {
  for (const entry of table.routedEntriesAbove(prefix)) {
    const covering = entry.route;
    if (covering === undefined || covering.nextHop === '') continue;
    if (relationPriority(relationOf(covering.nextHop)) < relationPriority(relationOf(route.nextHop)))
      continue;
    return true;
  }
  return false;
}
