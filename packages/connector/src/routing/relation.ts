import type { PeerRelation } from '../config/types';

/** 'local' is a route we own (nextHop ''). */
export type RouteRelation = PeerRelation | 'local';

/**
 * Preference between routes to the same prefix learned from different peers, as in ilp-connector:
 * higher wins. Routes through a child are preferred over a peer's over a parent's (a child's routes are
 * the most specific and usually cheapest; the parent is the route of last resort).
 */
export function relationPriority(relation: RouteRelation): number {
  switch (relation) {
    case 'parent':
      return 0;
    case 'peer':
      return 1;
    case 'child':
      return 2;
    case 'local':
      return 3;
  }
}
