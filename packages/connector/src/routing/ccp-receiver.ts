import { CcpMode, encodeRouteControlRequest, type CcpRouteUpdateRequest, IlpPacketType } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { PeerLink } from '../ports';

/** A route a peer advertised to us. */
export interface LearnedRoute {
  readonly peer: string;
  readonly prefix: string;
  readonly path: readonly string[];
  readonly auth: Buffer;
}

export interface CcpReceiverOptions {
  readonly peerId: string;
  readonly peerLink: PeerLink;
  /** Pause before re-sending a route control the peer did not accept. */
  readonly retryIntervalMs: number;
  /** Routes kept from this peer (routing.maxRoutesPerPeer); new prefixes beyond are ignored. */
  readonly maxRoutes: number;
  readonly logger: Logger;
}

export interface AppliedUpdate {
  /** Prefixes whose route from this peer was added, replaced or removed. */
  readonly changedPrefixes: string[];
  /** True when the update does not follow on from what we have: we must ask the peer to resync. */
  readonly needsResync: boolean;
  /** New prefixes not kept because the peer already has maxRoutes routes with us. */
  readonly ignoredRoutes: number;
}

const UNKNOWN_TABLE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * CCP receiver for one peer: asks the peer for its routes (route control, Sync mode, from the last
 * epoch we have) and applies its route updates. The peer's routes expire unless it refreshes them
 * (any update, heartbeats included) within the hold-down time it advertised. At most `maxRoutes` of
 * its routes are kept: a peer advertising more cannot grow our tables (and what we broadcast) further.
 */
export class CcpReceiver {
  private routingTableId = UNKNOWN_TABLE_ID;
  private epoch = 0;
  private expiresAtMs = 0;
  private readonly routes = new Map<string, LearnedRoute>();
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CcpReceiverOptions) {}

  get status(): { routingTableId: string; epoch: number; routes: number; expiresAtMs: number } {
    return {
      routingTableId: this.routingTableId,
      epoch: this.epoch,
      routes: this.routes.size,
      expiresAtMs: this.expiresAtMs,
    };
  }

  get prefixes(): string[] {
    return [...this.routes.keys()];
  }

  route(prefix: string): LearnedRoute | undefined {
    return this.routes.get(prefix);
  }

  /** True when we hold routes the peer has not refreshed within its hold-down time. */
  isExpired(nowMs: number): boolean {
    return this.routes.size > 0 && this.expiresAtMs < nowMs;
  }

  /** Asks the peer to (re)send its routes from our epoch; retried until the peer accepts it. */
  sendRouteControl(): void {
    this.clearRetry();
    if (this.stopped) return;
    const { peerId, peerLink, retryIntervalMs, logger } = this.options;
    if (!peerLink.isConnected(peerId)) return;
    const request = encodeRouteControlRequest({
      mode: CcpMode.Sync,
      lastKnownRoutingTableId: this.routingTableId,
      lastKnownEpoch: this.epoch,
      features: [],
    });
    peerLink.sendIlp(peerId, request, Math.max(retryIntervalMs, 1000)).then(
      (response) => {
        if (response[0] !== IlpPacketType.Fulfill) this.retryLater(new Error('route control rejected'));
      },
      (err: unknown) => this.retryLater(err),
    );
    logger.trace({ peer: peerId, epoch: this.epoch }, 'sent route control');
  }

  /** Applies a route update (already filtered for loops) and says what changed. */
  handleRouteUpdate(update: CcpRouteUpdateRequest, nowMs: number): AppliedUpdate {
    this.expiresAtMs = Math.max(nowMs + update.holdDownTime, this.expiresAtMs);
    const changedPrefixes: string[] = [];
    if (update.routingTableId !== this.routingTableId) {
      // A new table (the peer restarted): what we learned from the old one no longer holds.
      changedPrefixes.push(...this.clear());
      this.routingTableId = update.routingTableId;
    }
    if (update.fromEpochIndex > this.epoch) {
      return { changedPrefixes, needsResync: true, ignoredRoutes: 0 };
    }
    if (this.epoch > update.toEpochIndex) {
      return { changedPrefixes, needsResync: false, ignoredRoutes: 0 };
    }
    let ignoredRoutes = 0;
    for (const prefix of update.withdrawnRoutes) {
      if (this.routes.delete(prefix)) changedPrefixes.push(prefix);
    }
    for (const route of update.newRoutes) {
      if (this.routes.size >= this.options.maxRoutes && !this.routes.has(route.prefix)) {
        ignoredRoutes++;
        continue;
      }
      this.routes.set(route.prefix, {
        peer: this.options.peerId,
        prefix: route.prefix,
        path: route.path,
        auth: route.auth,
      });
      changedPrefixes.push(route.prefix);
    }
    this.epoch = update.toEpochIndex;
    return { changedPrefixes, needsResync: false, ignoredRoutes };
  }

  /** Forgets every route from this peer (and the epoch, so a resync starts from scratch). */
  clear(): string[] {
    const prefixes = [...this.routes.keys()];
    this.routes.clear();
    this.epoch = 0;
    return prefixes;
  }

  stop(): void {
    this.stopped = true;
    this.clearRetry();
  }

  private retryLater(err: unknown): void {
    if (this.stopped) return;
    this.options.logger.debug({ peer: this.options.peerId, err }, 'route control failed; will retry');
    this.clearRetry();
    this.retryTimer = setTimeout(() => this.sendRouteControl(), this.options.retryIntervalMs);
    this.retryTimer.unref();
  }

  private clearRetry(): void {
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }
}
