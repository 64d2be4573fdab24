import { randomBytes } from 'node:crypto';
import type { CcpRoute, CcpRouteControlRequest, CcpRouteUpdateRequest } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { DaemonConfig, PeerConfig, StaticRoute } from '../config/types';
import type { PeerWarnings } from '../telemetry/peer-warnings';
import { DaemonError } from '../errors';
import { systemClock, type Clock } from '../ports';
import type { CcpMessageHandler, NodeIdentity, PeerLifecycleListener, PeerLink } from '../ports';
import { CcpReceiver, type LearnedRoute } from './ccp-receiver';
import { CcpSender } from './ccp-sender';
import { ForwardingTable } from './forwarding-table';
import { buildLocalRoutes, globalPrefixOf, routeAuth } from './local-routes';
import type { RouteRelation } from './relation';
import { dragonFilters, isBetterRoute, sameRoute, toForwardingRoute } from './route-selection';
import { coversPrefix, type Route, type RoutingTable } from './routing-table';

export interface RouteBroadcasterOptions {
  readonly config: DaemonConfig;
  readonly identity: NodeIdentity;
  /** The table the packet path resolves next hops in; this class is its only writer. */
  readonly routingTable: RoutingTable;
  readonly peerLink: PeerLink;
  readonly logger: Logger;
  /** Where a peer advertising more routes than routing.maxRoutesPerPeer is reported. */
  readonly warnings: PeerWarnings;
  readonly clock?: Clock;
  /** Key for the auth of routes we originate; random per process when omitted. */
  readonly routingSecret?: Buffer;
}

/**
 * The most bytes of addresses (prefix and path) one learned route may carry: honest routes are a few
 * hundred bytes, and the bound keeps what we store per route, and advertise onwards, small (a route
 * update must fit the 32,767 bytes of one Prepare's data).
 */
export const MAX_ROUTE_BYTES = 4096;

interface CcpPeer {
  readonly sender?: CcpSender;
  readonly receiver?: CcpReceiver;
}

/**
 * Owns the routing table. Local routes (our address, children, the parent as default route) and
 * static routes from config always apply and win over learned ones for the same prefix; with
 * `routing.broadcast` on it also speaks CCP with every peer whose config has sendRoutes/receiveRoutes:
 * on connect it asks the peer for its routes (route control, Sync) and it answers the peer's route
 * control with our forwarding table's log. Learned routes whose path contains our address (loops) or
 * that fall outside our allocation scheme or under our own address are ignored, and so are routes of
 * more than MAX_ROUTE_BYTES and, beyond routing.maxRoutesPerPeer, a peer's new prefixes. A peer's
 * routes go when it disconnects or stops refreshing them within its hold-down time.
 */
export class RouteBroadcaster implements PeerLifecycleListener, CcpMessageHandler {
  private readonly config: DaemonConfig;
  private readonly identity: NodeIdentity;
  private readonly routingTable: RoutingTable;
  private readonly peerLink: PeerLink;
  private readonly logger: Logger;
  private readonly warnings: PeerWarnings;
  private readonly clock: Clock;
  private readonly secret: Buffer;
  /** The enabled peers: a disabled or removed peer has no CCP session and no local or static route. */
  private peerConfigs: Map<string, PeerConfig>;
  private staticRoutes: Map<string, string>;
  private readonly forwardingTable = new ForwardingTable();
  private readonly ccpPeers = new Map<string, CcpPeer>();
  private localRoutes = new Map<string, Route>();
  private ownAddress = '';
  private globalPrefix = '';
  private started = false;
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(options: RouteBroadcasterOptions) {
    this.config = options.config;
    this.identity = options.identity;
    this.routingTable = options.routingTable;
    this.peerLink = options.peerLink;
    this.logger = options.logger;
    this.warnings = options.warnings;
    this.clock = options.clock ?? systemClock;
    this.secret = options.routingSecret ?? randomBytes(32);
    this.peerConfigs = enabledById(options.config.peers);
    this.staticRoutes = new Map(options.config.routes.map((route) => [route.prefix, route.peer]));
  }

  /**
   * A new peer set and static routes (runtime config change). CCP sessions of peers that left or whose
   * route settings changed end (their routes are withdrawn); local and static routes are recomputed;
   * connected peers new to the set start CCP.
   */
  applyPeers(peers: readonly PeerConfig[], routes: readonly StaticRoute[]): void {
    const before = [...this.localRoutes.keys(), ...this.staticRoutes.keys()];
    const next = enabledById(peers);
    for (const [id, old] of this.peerConfigs) {
      const now = next.get(id);
      const same =
        now !== undefined &&
        now.relation === old.relation &&
        now.sendRoutes === old.sendRoutes &&
        now.receiveRoutes === old.receiveRoutes;
      if (!same) this.removePeer(id);
    }
    this.peerConfigs = next;
    this.staticRoutes = new Map(routes.map((route) => [route.prefix, route.peer]));
    if (!this.started) return;
    this.localRoutes = buildLocalRoutes(this.peerConfigs.values(), this.ownAddress, this.secret);
    this.updatePrefixes(new Set([...before, ...this.localRoutes.keys(), ...this.staticRoutes.keys()]));
    if (!this.config.routing.broadcast) return;
    for (const id of this.peerConfigs.keys()) {
      if (!this.ccpPeers.has(id) && this.peerLink.isConnected(id)) this.addPeer(id);
    }
  }

  /** Loads local and static routes and starts CCP with connected peers. Needs our address. */
  start(): void {
    if (this.started) return;
    this.ownAddress = this.identity.address;
    this.globalPrefix = globalPrefixOf(this.ownAddress);
    this.localRoutes = buildLocalRoutes(this.peerConfigs.values(), this.ownAddress, this.secret);
    this.started = true;
    this.updatePrefixes([...this.localRoutes.keys(), ...this.staticRoutes.keys()]);
    if (!this.config.routing.broadcast) return;
    for (const id of this.peerConfigs.keys()) {
      if (this.peerLink.isConnected(id)) this.addPeer(id);
    }
    const { broadcastIntervalMs, routeExpiryMs } = this.config.routing;
    this.expiryTimer = setInterval(
      () => this.expireStaleRoutes(),
      Math.min(broadcastIntervalMs, routeExpiryMs),
    );
    this.expiryTimer.unref();
  }

  stop(): void {
    if (this.expiryTimer !== undefined) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
    for (const peer of this.ccpPeers.values()) {
      peer.sender?.stop();
      peer.receiver?.stop();
    }
    this.ccpPeers.clear();
    this.started = false;
  }

  onPeerConnected(peerId: string): void {
    if (this.started && this.config.routing.broadcast) this.addPeer(peerId);
  }

  onPeerDisconnected(peerId: string): void {
    if (this.started) this.removePeer(peerId);
  }

  handleRouteControl(fromPeer: string, request: CcpRouteControlRequest): void {
    const sender = this.ccpPeerFor(fromPeer)?.sender;
    if (sender === undefined) {
      throw new DaemonError('ILPD_ERR_BAD_REQUEST', `we do not send routes to ${fromPeer}`);
    }
    sender.handleRouteControl(request);
  }

  handleRouteUpdate(fromPeer: string, update: CcpRouteUpdateRequest): void {
    const receiver = this.ccpPeerFor(fromPeer)?.receiver;
    if (receiver === undefined) {
      throw new DaemonError('ILPD_ERR_BAD_REQUEST', `we do not accept routes from ${fromPeer}`);
    }
    const newRoutes: CcpRoute[] = [];
    const withdrawnRoutes = [...update.withdrawnRoutes];
    for (const route of update.newRoutes) {
      // A route we cannot use replaces (withdraws) whatever the peer told us before for its prefix.
      if (this.isAcceptable(route)) newRoutes.push(route);
      else withdrawnRoutes.push(route.prefix);
    }
    const applied = receiver.handleRouteUpdate({ ...update, newRoutes, withdrawnRoutes }, this.clock.now());
    if (applied.ignoredRoutes > 0) {
      this.warnings.warn(
        'routes_over_limit',
        fromPeer,
        { ignored: applied.ignoredRoutes, maxRoutesPerPeer: this.config.routing.maxRoutesPerPeer },
        'peer advertises more routes than routing.maxRoutesPerPeer; ignoring its new prefixes',
      );
    }
    if (applied.needsResync) receiver.sendRouteControl();
    this.updatePrefixes(applied.changedPrefixes);
  }

  /** For the admin API: our tables and each CCP session's state. */
  status(): Record<string, unknown> {
    const peers: Record<string, unknown> = {};
    for (const [id, peer] of this.ccpPeers) {
      peers[id] = { send: peer.sender?.status, receive: peer.receiver?.status };
    }
    return {
      routingTableId: this.forwardingTable.routingTableId,
      currentEpoch: this.forwardingTable.currentEpoch,
      localRoutingTable: this.routingTable.toJSON(),
      forwardingRoutingTable: this.forwardingTable.toJSON(),
      peers,
    };
  }

  private isAcceptable(route: CcpRoute): boolean {
    let bytes = route.prefix.length;
    for (const hop of route.path) bytes += hop.length;
    return (
      bytes <= MAX_ROUTE_BYTES &&
      coversPrefix(this.globalPrefix, route.prefix) &&
      route.prefix !== this.globalPrefix &&
      !coversPrefix(this.ownAddress, route.prefix) &&
      !route.path.includes(this.ownAddress)
    );
  }

  private ccpPeerFor(peerId: string): CcpPeer | undefined {
    const existing = this.ccpPeers.get(peerId);
    if (existing !== undefined) return existing;
    // The peer's CCP message can arrive before the transport reports its session as connected.
    if (this.started && this.config.routing.broadcast && this.peerLink.isConnected(peerId)) {
      return this.addPeer(peerId);
    }
    return undefined;
  }

  private addPeer(peerId: string): CcpPeer | undefined {
    const config = this.peerConfigs.get(peerId);
    if (config === undefined || (!config.sendRoutes && !config.receiveRoutes)) return undefined;
    const existing = this.ccpPeers.get(peerId);
    if (existing !== undefined) {
      existing.receiver?.sendRouteControl();
      return existing;
    }
    const { broadcastIntervalMs, routeExpiryMs } = this.config.routing;
    const logger = this.logger;
    const peer: CcpPeer = {
      sender: config.sendRoutes
        ? new CcpSender({
            peerId,
            ownAddress: this.ownAddress,
            forwardingTable: this.forwardingTable,
            peerLink: this.peerLink,
            relationOf: this.relationOf,
            routeExpiryMs,
            broadcastIntervalMs,
            logger,
          })
        : undefined,
      receiver: config.receiveRoutes
        ? new CcpReceiver({
            peerId,
            peerLink: this.peerLink,
            retryIntervalMs: broadcastIntervalMs,
            maxRoutes: this.config.routing.maxRoutesPerPeer,
            logger,
          })
        : undefined,
    };
    this.ccpPeers.set(peerId, peer);
    this.logger.debug({ peer: peerId }, 'CCP session started');
    peer.receiver?.sendRouteControl();
    return peer;
  }

  private removePeer(peerId: string): void {
    const peer = this.ccpPeers.get(peerId);
    if (peer === undefined) return;
    peer.sender?.stop();
    peer.receiver?.stop();
    this.ccpPeers.delete(peerId);
    this.logger.debug({ peer: peerId }, 'CCP session ended; withdrawing its routes');
    this.updatePrefixes(peer.receiver?.prefixes ?? []);
  }

  private expireStaleRoutes(): void {
    const now = this.clock.now();
    for (const [peerId, peer] of this.ccpPeers) {
      const receiver = peer.receiver;
      if (receiver === undefined || !receiver.isExpired(now)) continue;
      this.logger.info({ peer: peerId }, 'routes from peer expired; asking it to resync');
      this.updatePrefixes(receiver.clear());
      receiver.sendRouteControl();
    }
  }

  private readonly relationOf = (peerId: string): RouteRelation =>
    peerId === '' ? 'local' : (this.peerConfigs.get(peerId)?.relation ?? 'peer');

  private updatePrefixes(prefixes: Iterable<string>): void {
    let changed = false;
    for (const prefix of prefixes) {
      if (this.updateLocalRoute(prefix, this.bestRouteFor(prefix))) changed = true;
    }
    if (!changed) return;
    const restarted = this.forwardingTable.compact();
    if (restarted) this.logger.info('forwarding table compacted: peers get it anew under a new table id');
    for (const peer of this.ccpPeers.values()) {
      if (restarted) peer.sender?.restartFromScratch();
      else peer.sender?.scheduleRouteUpdate();
    }
  }

  private bestRouteFor(prefix: string): Route | undefined {
    const staticPeer = this.staticRoutes.get(prefix);
    if (staticPeer !== undefined && this.peerConfigs.has(staticPeer)) {
      return { nextHop: staticPeer, path: [], auth: routeAuth(this.secret, prefix) };
    }
    const local = this.localRoutes.get(prefix);
    if (local !== undefined) return local;
    let best: LearnedRoute | undefined;
    for (const peer of this.ccpPeers.values()) {
      const route = peer.receiver?.route(prefix);
      if (route !== undefined && (best === undefined || isBetterRoute(route, best, this.relationOf))) {
        best = route;
      }
    }
    return best && { nextHop: best.peer, path: best.path, auth: best.auth };
  }

  private updateLocalRoute(prefix: string, route: Route | undefined): boolean {
    if (sameRoute(this.routingTable.get(prefix), route)) return false;
    if (route !== undefined) this.routingTable.insert(prefix, route);
    else this.routingTable.delete(prefix);
    this.logger.debug({ prefix, nextHop: route?.nextHop }, 'route changed');
    this.updateForwardingRoute(prefix, route);
    return true;
  }

  /** Records what we advertise for `prefix` (a new epoch when it changes). */
  private updateForwardingRoute(prefix: string, route: Route | undefined): void {
    let advertised = route && toForwardingRoute(route, this.ownAddress);
    if (
      advertised !== undefined &&
      (!coversPrefix(this.globalPrefix, prefix) ||
        prefix === this.globalPrefix ||
        // Routes under our address with no hop behind us (children, static) are covered by our own.
        (prefix !== this.ownAddress &&
          coversPrefix(this.ownAddress, prefix) &&
          advertised.path.length === 1) ||
        dragonFilters(this.forwardingTable, prefix, advertised, this.relationOf))
    ) {
      advertised = undefined;
    }
    if (sameRoute(this.forwardingTable.get(prefix)?.route, advertised)) return;
    this.forwardingTable.record(prefix, advertised);
    // DRAGON filtering of more specific prefixes depends on this one: re-evaluate them both ways.
    for (const below of this.routingTable.keysUnder(prefix)) {
      if (below !== prefix) this.updateForwardingRoute(below, this.routingTable.get(below));
    }
  }
}

function enabledById(peers: readonly PeerConfig[]): Map<string, PeerConfig> {
  return new Map(peers.filter((peer) => peer.enabled).map((peer) => [peer.id, peer]));
}
