import { createHmac } from 'node:crypto';
import type { PeerConfig } from '../config/types';
import { childAddress } from '../node-identity';
import type { Route } from './routing-table';

/** The allocation scheme of an address (`g`, `test`, …): the widest prefix a route may cover. */
export function globalPrefixOf(address: string): string {
  const dot = address.indexOf('.');
  return dot === -1 ? address : address.slice(0, dot);
}

export function routeAuth(secret: Buffer, prefix: string): Buffer {
  return createHmac('sha256', secret).update(prefix, 'ascii').digest();
}

/**
 * Routes we own regardless of what peers tell us (for the enabled peers given): our own address (no next hop: nothing is delivered
 * to us, so such packets are F02 instead of leaking to the default route), one per child
 * (`<our address>.<peer id>`), and the first parent as the default route for the whole allocation
 * scheme (prefix `g` for `g.*` addresses, as ilp-connector's defaultRoute 'auto').
 */
export function buildLocalRoutes(
  peers: Iterable<PeerConfig>,
  ownAddress: string,
  secret: Buffer,
): Map<string, Route> {
  const routes = new Map<string, Route>();
  routes.set(ownAddress, { nextHop: '', path: [], auth: routeAuth(secret, ownAddress) });
  const list = [...peers];
  const parent = list.find((peer) => peer.relation === 'parent');
  if (parent !== undefined) {
    const globalPrefix = globalPrefixOf(ownAddress);
    routes.set(globalPrefix, { nextHop: parent.id, path: [], auth: routeAuth(secret, globalPrefix) });
  }
  for (const peer of list) {
    if (peer.relation !== 'child') continue;
    const address = childAddress(ownAddress, peer.id);
    routes.set(address, { nextHop: peer.id, path: [], auth: routeAuth(secret, address) });
  }
  return routes;
}
