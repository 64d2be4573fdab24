import {
  CcpMode,
  encodeRouteUpdateRequest,
  isCodecError,
  type CcpRoute,
  type CcpRouteControlRequest,
  IlpPacketType,
} from '@ilpd/codec';
import type { Logger } from 'pino';
import type { PeerLink } from '../ports';
import type { ForwardingTable } from './forwarding-table';
import type { RouteRelation } from './relation';

/** Route changes that happen close together go out in one update. */
const MINIMUM_UPDATE_INTERVAL_MS = 150;
const MAX_EPOCHS_PER_UPDATE = 50;
const MIN_UPDATE_TIMEOUT_MS = 1000;

export interface CcpSenderOptions {
  readonly peerId: string;
  readonly ownAddress: string;
  readonly forwardingTable: ForwardingTable;
  readonly peerLink: PeerLink;
  readonly relationOf: (peerId: string) => RouteRelation;
  /** Advertised as holdDownTime: how long the peer keeps our routes without hearing from us. */
  readonly routeExpiryMs: number;
  readonly broadcastIntervalMs: number;
  readonly logger: Logger;
}

/**
 * CCP speaker towards one peer. Idle until the peer sends a route control in Sync mode, then sends it
 * the forwarding table's log from the epoch it last acknowledged, at most 50 epochs per update and
 * fewer when their routes would not fit the 32,767 bytes of data an ILP Prepare may carry, and
 * an (empty) heartbeat every broadcastIntervalMs. If the peer has another routing table id than ours
 * it gets everything from epoch 0. Routes through the peer itself are sent as withdrawals (split
 * horizon), and a parent never learns routes through our peers or other parents (we do not offer
 * transit between them).
 */
export class CcpSender {
  private mode: CcpMode = CcpMode.Idle;
  private lastKnownEpoch = 0;
  private lastUpdateMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private lastSendFailed = false;
  private stopped = false;

  constructor(private readonly options: CcpSenderOptions) {}

  get status(): { mode: 'IDLE' | 'SYNC'; epoch: number } {
    return { mode: this.mode === CcpMode.Sync ? 'SYNC' : 'IDLE', epoch: this.lastKnownEpoch };
  }

  handleRouteControl(request: CcpRouteControlRequest): void {
    const table = this.options.forwardingTable;
    this.mode = request.mode === CcpMode.Sync ? CcpMode.Sync : CcpMode.Idle;
    this.lastKnownEpoch =
      request.lastKnownRoutingTableId === table.routingTableId
        ? Math.min(request.lastKnownEpoch, table.currentEpoch)
        : 0;
    this.lastSendFailed = false;
    if (this.mode === CcpMode.Sync) this.scheduleRouteUpdate();
    else this.clearTimer();
  }

  /** (Re)arms the update timer: soon if the peer is behind, else at the next heartbeat. */
  scheduleRouteUpdate(): void {
    this.clearTimer();
    if (this.stopped || this.sending || this.mode !== CcpMode.Sync) return;
    const { broadcastIntervalMs, forwardingTable } = this.options;
    const behind = this.lastKnownEpoch < forwardingTable.currentEpoch && !this.lastSendFailed;
    const delay = behind ? 0 : broadcastIntervalMs - (Date.now() - this.lastUpdateMs);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.sendAndReschedule();
      },
      Math.max(Math.min(MINIMUM_UPDATE_INTERVAL_MS, broadcastIntervalMs), delay),
    );
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** The forwarding table started anew (compaction): the peer gets it from epoch 0. */
  restartFromScratch(): void {
    this.lastKnownEpoch = 0;
    this.lastSendFailed = false;
    this.scheduleRouteUpdate();
  }

  private async sendAndReschedule(): Promise<void> {
    this.sending = true;
    try {
      await this.sendSingleRouteUpdate();
      this.lastSendFailed = false;
    } catch (err) {
      this.lastSendFailed = true;
      this.options.logger.debug({ peer: this.options.peerId, err }, 'route update failed');
    } finally {
      this.sending = false;
    }
    this.scheduleRouteUpdate();
  }

  private async sendSingleRouteUpdate(): Promise<void> {
    const { peerId, peerLink, broadcastIntervalMs } = this.options;
    this.lastUpdateMs = Date.now();
    if (!peerLink.isConnected(peerId)) return;
    const fromEpoch = this.lastKnownEpoch;
    const timeoutMs = Math.max(MIN_UPDATE_TIMEOUT_MS, broadcastIntervalMs);
    const { request, toEpoch } = this.encodeFittingUpdate(fromEpoch, timeoutMs);
    const response = await peerLink.sendIlp(peerId, request, timeoutMs);
    if (response[0] !== IlpPacketType.Fulfill) throw new Error(`${peerId} rejected our route update`);
    // Advance only once acknowledged, so a lost update is resent from the same epoch.
    if (this.lastKnownEpoch === fromEpoch) this.lastKnownEpoch = toEpoch;
  }

  /** The update from `fromEpoch` with as many epochs (up to 50) as fit in one Prepare's data. */
  private encodeFittingUpdate(fromEpoch: number, timeoutMs: number): { request: Buffer; toEpoch: number } {
    for (let epochs = MAX_EPOCHS_PER_UPDATE; ; epochs = Math.ceil(epochs / 2)) {
      try {
        return this.encodeUpdate(fromEpoch, epochs, timeoutMs);
      } catch (err) {
        // One epoch always fits: every route we advertise is bounded by MAX_ROUTE_BYTES.
        if (!isCodecError(err) || err.code !== 'ILPD_CODEC_TOO_LARGE' || epochs === 1) throw err;
      }
    }
  }

  private encodeUpdate(
    fromEpoch: number,
    maxEpochs: number,
    timeoutMs: number,
  ): { request: Buffer; toEpoch: number } {
    const { peerId, forwardingTable, ownAddress, routeExpiryMs } = this.options;
    const { updates, toEpoch } = forwardingTable.updatesFrom(fromEpoch, maxEpochs);
    const newRoutes: CcpRoute[] = [];
    const withdrawnRoutes: string[] = [];
    for (const update of updates) {
      const route = update.route;
      if (route !== undefined && this.mayAdvertiseVia(route.nextHop)) {
        newRoutes.push({ prefix: update.prefix, path: [...route.path], auth: route.auth, props: [] });
      } else {
        withdrawnRoutes.push(update.prefix);
      }
    }
    const request = encodeRouteUpdateRequest(
      {
        speaker: ownAddress,
        routingTableId: forwardingTable.routingTableId,
        holdDownTime: routeExpiryMs,
        currentEpochIndex: forwardingTable.currentEpoch,
        fromEpochIndex: fromEpoch,
        toEpochIndex: toEpoch,
        newRoutes,
        withdrawnRoutes,
      },
      new Date(Date.now() + timeoutMs),
    );
    this.options.logger.trace(
      { peer: peerId, fromEpoch, toEpoch, routes: newRoutes.length, withdrawn: withdrawnRoutes.length },
      'sending route update',
    );
    return { request, toEpoch };
  }

  private mayAdvertiseVia(nextHop: string): boolean {
    if (nextHop === this.options.peerId) return false;
    if (this.options.relationOf(this.options.peerId) !== 'parent') return true;
    const via = this.options.relationOf(nextHop);
    return via !== 'peer' && via !== 'parent';
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
