import { forwardPrepare, type PrepareView } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { DaemonConfig, PeerConfig } from '../config/types';
import { DaemonError, ilpCodeOf } from '../errors';
import type { Ledger, PacketHandle } from '../ledger/types';
import { addressOrEmpty } from '../node-identity';
import {
  systemClock,
  type CcpMessageHandler,
  type Clock,
  type IldcpRequestHandler,
  type NextHopBudget,
  type NodeIdentity,
  type PacketProcessor,
  type PacketTelemetry,
  type PeerLink,
  type SettlementTrigger,
} from '../ports';
import type { RoutingTable } from '../routing/routing-table';
import { PeerTable, type PeerState } from './peer-state';
import { rejectFromError } from './reject';
import { outgoingExpiryMs, type ExpiryPolicy } from './stages/expiry';
import { checkResponse } from './stages/fulfillment';
import { FxConverter, type FxSettings } from './stages/fx';
import { answerPeerProtocol, isPeerProtocolDestination } from './stages/local-destinations';
import { checkMaxPacketAmount } from './stages/max-packet-amount';
import { selectNextHop } from './stages/route';

export interface PacketPipelineOptions {
  readonly config: DaemonConfig;
  readonly identity: NodeIdentity;
  readonly routingTable: RoutingTable;
  readonly ledger: Ledger;
  readonly peerLink: PeerLink;
  /** What each next hop may hold unanswered (the engine's InFlight). */
  readonly nextHops: NextHopBudget;
  readonly telemetry: PacketTelemetry;
  readonly logger: Logger;
  /** Answers `peer.config` (IldcpHost). */
  readonly ildcpHost: IldcpRequestHandler;
  /** Receives `peer.route.*` (RouteBroadcaster). */
  readonly ccp: CcpMessageHandler;
  /** Told after each durable post that we owe the next hop more (settlement); none when nobody settles. */
  readonly settlement?: SettlementTrigger;
  readonly clock?: Clock;
}

/**
 * The packet path after decoding: the PacketEngine (the one entry, which decodes and validates) hands
 * every Prepare to `process`, which runs the stages in the order a packet visits them and gives it
 * exactly one answer. Every thrown error becomes a Reject at one boundary (reject.ts); nothing here
 * ever rejects the returned promise.
 */
export class PacketPipeline implements PacketProcessor {
  private readonly identity: NodeIdentity;
  private readonly routingTable: RoutingTable;
  private readonly ledger: Ledger;
  private readonly peerLink: PeerLink;
  private readonly nextHops: NextHopBudget;
  private readonly nextHopBusy: DaemonError;
  private readonly telemetry: PacketTelemetry;
  private readonly logger: Logger;
  private readonly ildcpHost: IldcpRequestHandler;
  private readonly ccp: CcpMessageHandler;
  private readonly settlement: SettlementTrigger | undefined;
  private readonly clock: Clock;
  private readonly peers: PeerTable;
  private fx: FxConverter;
  private readonly expiryPolicy: ExpiryPolicy;

  constructor(options: PacketPipelineOptions) {
    this.identity = options.identity;
    this.routingTable = options.routingTable;
    this.ledger = options.ledger;
    this.peerLink = options.peerLink;
    this.nextHops = options.nextHops;
    // Shared, so refusing a flood towards a peer that does not answer allocates nothing per packet.
    this.nextHopBusy = new DaemonError(
      'ILPD_ERR_NEXT_HOP_BUSY',
      'the next hop has too many Prepares unanswered; retry later',
    );
    this.telemetry = options.telemetry;
    this.logger = options.logger;
    this.ildcpHost = options.ildcpHost;
    this.ccp = options.ccp;
    this.settlement = options.settlement;
    this.clock = options.clock ?? systemClock;
    // Token buckets refill on the monotonic clock: a wall-clock step must not stall or flood them.
    this.peers = new PeerTable(options.config.peers, this.clock.monotonic());
    this.fx = new FxConverter(options.config.fx);
    this.expiryPolicy = options.config.packet;
  }

  /**
   * A new peer set and FX settings (runtime config change), in effect for the next packet: disabled
   * peers' Prepares are refused from now on, packets already past that check finish normally.
   */
  applyPeers(peers: readonly PeerConfig[], fx: FxSettings): void {
    this.peers.apply(peers, this.clock.monotonic());
    // Rates are cached per peer pair: a peer id may now stand for another asset or rate.
    this.fx = new FxConverter(fx);
  }

  /** Resolves once none of these peers takes part in a packet in flight (ledger settled too). */
  whenPeersIdle(peerIds: readonly string[]): Promise<void> {
    return this.peers.whenIdle(peerIds);
  }

  /** The Reject for a packet that failed decode/validate (receivedAt from `clock.monotonic()`). */
  rejectInvalid(fromPeerId: string, err: unknown, receivedAt: number): Buffer {
    return this.rejectLocally(fromPeerId, undefined, err, receivedAt);
  }

  /** Processes a validated Prepare; resolves with Fulfill or Reject bytes and never rejects. */
  process(fromPeerId: string, prepare: PrepareView, receivedAt: number): Promise<Buffer> {
    if (isPeerProtocolDestination(prepare.destination)) {
      return Promise.resolve(this.answerLocally(fromPeerId, prepare, receivedAt));
    }
    return this.forward(fromPeerId, prepare, receivedAt);
  }

  private async forward(fromPeer: string, prepare: PrepareView, receivedAt: number): Promise<Buffer> {
    const incoming = this.peers.get(fromPeer);
    if (incoming === undefined) {
      return this.rejectLocally(
        fromPeer,
        undefined,
        new DaemonError('ILPD_ERR_BAD_REQUEST', `unknown peer ${fromPeer}`),
        receivedAt,
      );
    }
    if (!incoming.enabled) {
      return this.rejectLocally(
        fromPeer,
        undefined,
        new DaemonError('ILPD_ERR_PEER_DISABLED', `peer ${fromPeer} is disabled by the operator`),
        receivedAt,
      );
    }
    // Counted from here until its ledger reservation is settled, so draining a peer never closes its
    // session under a packet whose Fulfill or Reject is still to be relayed or recorded.
    incoming.beginPacket();
    let outgoing: PeerState | undefined;
    let toPeer: string | undefined;
    let handle: PacketHandle | undefined;
    try {
      const now = this.clock.now();
      const expiresAtMs = outgoingExpiryMs(prepare.expiresAtMs, now, this.expiryPolicy);
      const amount = prepare.amount;
      checkMaxPacketAmount(amount, incoming.config.maxPacketAmount);
      const tick = this.clock.monotonic();
      incoming.rateLimiter?.take(tick);
      incoming.throughputLimiter?.take(amount, tick);
      const nextHop = selectNextHop(this.routingTable, prepare.destination, fromPeer);
      toPeer = nextHop;
      const next = this.peers.get(nextHop);
      if (next === undefined) throw new DaemonError('ILPD_ERR_UNREACHABLE', `no peer ${nextHop}`);
      if (!next.enabled) {
        throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `next hop ${nextHop} is disabled by the operator`);
      }
      if (!this.peerLink.isConnected(nextHop)) {
        throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `next hop ${nextHop} is not connected`);
      }
      outgoing = next;
      outgoing.beginPacket();
      const outgoingAmount = this.fx.convert(amount, incoming, outgoing);
      // Counted against what the next hop may hold from before the reservation until its answer, so
      // a next hop that never answers is refused more Prepares (T02) instead of pinning the senders'.
      const size = prepare.buffer.length;
      if (!this.nextHops.tryHold(nextHop, size)) throw this.nextHopBusy;
      let response: Buffer;
      try {
        // Both peers' limits are enforced atomically by the ledger (T04 / T03 / T00 from its errors). A
        // zero-value packet changes no balance and cannot move a limit, so it skips the ledger.
        if (amount !== 0n || outgoingAmount !== 0n) {
          handle = await this.ledger.reserve({
            incoming: { peerId: fromPeer, amount },
            outgoing: { peerId: nextHop, amount: outgoingAmount },
            expiresAtMs: prepare.expiresAtMs,
          });
        }
        const timeoutMs = expiresAtMs - this.clock.now();
        if (timeoutMs <= 0) throw new DaemonError('ILPD_ERR_TIMED_OUT', 'packet expired before it was sent');
        // The forwarded copy is not kept in a local: this frame lives until the answer, and a copy
        // kept here would double the memory every held Prepare costs.
        response = await this.peerLink.sendIlp(
          nextHop,
          forwardPrepare(prepare, outgoingAmount, expiresAtMs),
          timeoutMs,
        );
      } finally {
        this.nextHops.releaseHold(nextHop, size);
      }
      const rejectCode = checkResponse(response, prepare.executionCondition);

      if (rejectCode !== undefined) {
        const pending = handle;
        handle = undefined;
        if (pending !== undefined) await this.voidQuietly(pending);
        this.record(fromPeer, nextHop, 'rejected', rejectCode, false, receivedAt);
        return response;
      }
      if (handle !== undefined) {
        // The post must be durable before the Fulfill goes upstream: otherwise a crash in between
        // leaves a payment both peers consider done that recovery voids in our ledger.
        const pending = handle;
        handle = undefined;
        await this.postOrFail(pending);
        this.settlement?.owedMore(nextHop);
      }
      this.record(fromPeer, nextHop, 'fulfilled', undefined, false, receivedAt);
      return response;
    } catch (err) {
      if (handle !== undefined) await this.voidQuietly(handle);
      return this.rejectLocally(fromPeer, toPeer, err, receivedAt);
    } finally {
      incoming.endPacket();
      outgoing?.endPacket();
    }
  }

  private answerLocally(fromPeer: string, prepare: PrepareView, receivedAt: number): Buffer {
    try {
      // Peer protocol requests cost CPU like any Prepare, so the peer's packet rate limit covers them.
      this.peers.get(fromPeer)?.rateLimiter?.take(this.clock.monotonic());
      const fulfill = answerPeerProtocol(fromPeer, prepare, this.ildcpHost, this.ccp);
      this.record(fromPeer, undefined, 'fulfilled', undefined, false, receivedAt);
      return fulfill;
    } catch (err) {
      return this.rejectLocally(fromPeer, undefined, err, receivedAt);
    }
  }

  private async postOrFail(handle: PacketHandle): Promise<void> {
    try {
      await this.ledger.post(handle);
    } catch (err) {
      this.logger.error({ err, handle: handle.id.toString() }, 'ledger post failed; rejecting upstream');
      throw new DaemonError('ILPD_ERR_LEDGER_UNAVAILABLE', 'could not record the payment', { cause: err });
    }
  }

  private async voidQuietly(handle: PacketHandle): Promise<void> {
    try {
      await this.ledger.void(handle);
    } catch (err) {
      // The backend voids pending transfers after pendingTimeoutMs anyway; the packet's answer stands.
      this.logger.warn({ err, handle: handle.id.toString() }, 'ledger void failed');
    }
  }

  private rejectLocally(
    fromPeer: string,
    toPeer: string | undefined,
    err: unknown,
    receivedAt: number,
  ): Buffer {
    const code = ilpCodeOf(err);
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug({ fromPeer, toPeer, code, err }, 'rejecting packet');
    }
    let reject: Buffer;
    try {
      reject = rejectFromError(err, addressOrEmpty(this.identity));
    } catch (encodeErr) {
      this.logger.error({ err: encodeErr }, 'could not encode a reject');
      reject = rejectFromError(undefined, addressOrEmpty(this.identity));
    }
    this.record(fromPeer, toPeer, 'rejected', code, true, receivedAt);
    return reject;
  }

  private record(
    fromPeer: string,
    toPeer: string | undefined,
    result: 'fulfilled' | 'rejected',
    code: string | undefined,
    rejectedLocally: boolean,
    receivedAt: number,
  ): void {
    this.telemetry.recordPacket({
      fromPeer,
      toPeer,
      result,
      code,
      rejectedLocally,
      seconds: (this.clock.monotonic() - receivedAt) / 1000,
    });
  }
}
