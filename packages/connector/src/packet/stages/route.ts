import { DaemonError } from '../../errors';
import type { RoutingTable } from '../../routing/routing-table';

/**
 * Route stage: the next hop for a destination by longest-prefix match. F02 when nothing matches, when
 * the match is one of our own prefixes with no peer behind it (our address, or an unknown child under
 * it), and when the match would send the packet back to the peer it came from (as ilp-connector does:
 * reflecting a packet can only loop until it expires).
 */
export function selectNextHop(routingTable: RoutingTable, destination: string, fromPeer: string): string {
  const route = routingTable.resolve(destination);
  if (route === undefined) {
    throw new DaemonError('ILPD_ERR_UNREACHABLE', `no route to ${destination}`);
  }
  if (route.nextHop === '') {
    throw new DaemonError('ILPD_ERR_UNREACHABLE', `no peer behind ${destination}`);
  }
  if (route.nextHop === fromPeer) {
    throw new DaemonError('ILPD_ERR_UNREACHABLE', `refusing to route ${destination} back to its sender`);
  }
  return route.nextHop;
}
