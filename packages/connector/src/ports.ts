import type {
  BtpPacket,
  BtpPacketType,
  CcpRouteControlRequest,
  CcpRouteUpdateRequest,
  PrepareView,
} from '@ilpd/codec';

/**
 * The daemon's shared interfaces: the seams between the transport, the packet engine and pipeline,
 * routing, ILDCP and telemetry, all wired in daemon.ts. They live here, not in any one of those
 * folders, so no folder imports another only for its interfaces (and no import cycle between
 * folders can form; the lint step checks that). The packet path never touches sockets; the transport
 * never interprets ILP beyond framing.
 */

/**
 * Time sources, injected so tests can pin them. `now` is wall-clock epoch ms (ILP expiries are
 * wall-clock); `monotonic` is fractional ms that never jumps (latencies, token buckets, ages).
 */
export interface Clock {
  now(): number;
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** Our ILP address; set once at startup (from config, or from a parent over ILDCP). */
export interface NodeIdentity {
  readonly address: string;
}

/** Sending to peers over their BTP sessions (implemented by the transport's PeerRegistry). */
export interface PeerLink {
  /**
   * Sends an ILP packet (Prepare) to a peer over its BTP session and resolves with the response packet
   * bytes (Fulfill or Reject). The deadline is the session's (one timer per packet): rejects with
   * DaemonError ILPD_ERR_TIMED_OUT (R00) once `timeoutMs` passes and forgets the request, so an answer
   * arriving later is dropped (the next hop's Prepare has expired, so a late Fulfill is not binding);
   * ILPD_ERR_PEER_UNREACHABLE (T01) when the peer is not connected.
   */
  sendIlp(peerId: string, ilp: Buffer, timeoutMs: number): Promise<Buffer>;
  isConnected(peerId: string): boolean;
}

/**
 * What next hops hold (implemented by the engine's InFlight): the packet path counts every Prepare it
 * forwards against the next hop's held budget, from just before its reservation until the next hop's
 * answer (or timeout), so a peer that never answers pins at most its own budget.
 */
export interface NextHopBudget {
  /** Counts a Prepare of `bytes` forwarded to `peerId`; false (nothing counted) when its budget is full. */
  tryHold(peerId: string, bytes: number): boolean;
  /** Ends what a successful `tryHold` began, with the same size. */
  releaseHold(peerId: string, bytes: number): void;
}

/** Entry point the transport calls for every ILP packet a peer sends us (the PacketEngine). Never rejects. */
export interface IlpHandler {
  handleIlp(fromPeerId: string, ilp: Buffer): Promise<Buffer>;
}

/** What the engine hands decoded packets to (the PacketPipeline). */
export interface PacketProcessor {
  /** Processes a decoded, validated Prepare; resolves with Fulfill or Reject bytes and never rejects. */
  process(fromPeerId: string, prepare: PrepareView, receivedAt: number): Promise<Buffer>;
  /** The Reject for a packet refused before processing (invalid, or shed); receivedAt from `monotonic()`. */
  rejectInvalid(fromPeerId: string, err: unknown, receivedAt: number): Buffer;
}

/** Lifecycle of peer sessions, for route broadcasting, ILDCP with parents and settlement. */
export interface PeerLifecycleListener {
  /** A connection of the peer authenticated (it may have others already: up to btp.maxConnections). */
  onPeerConnected(peerId: string): void;
  /** The peer's last connection closed. */
  onPeerDisconnected(peerId: string): void;
}

/** Answers ILDCP requests (implemented by IldcpHost). Returns the ILP Fulfill bytes. */
export interface IldcpRequestHandler {
  answer(fromPeer: string, prepare: PrepareView): Buffer;
}

/** Receives CCP messages a peer addressed to us (implemented by the RouteBroadcaster). */
export interface CcpMessageHandler {
  /** Throws DaemonError (e.g. F00) when the peer may not ask us for routes. */
  handleRouteControl(fromPeer: string, request: CcpRouteControlRequest): void;
  /** Throws DaemonError (e.g. F00) when we do not accept routes from the peer. */
  handleRouteUpdate(fromPeer: string, update: CcpRouteUpdateRequest): void;
}

export type PacketResult = 'fulfilled' | 'rejected';

export interface PacketOutcome {
  readonly fromPeer: string;
  /** Undefined when the packet was rejected before a next hop was chosen. */
  readonly toPeer?: string;
  readonly result: PacketResult;
  /** ILP error code for rejects. */
  readonly code?: string;
  /** True when we generated the reject (vs relaying one from downstream). */
  readonly rejectedLocally?: boolean;
  readonly seconds: number;
}

/** Hot-path telemetry sink: records into a buffer that flushes to metrics in batches. */
export interface PacketTelemetry {
  recordPacket(outcome: PacketOutcome): void;
}

/** Told after a durable post that we came to owe a peer more (the SettlementService). Must be cheap. */
export interface SettlementTrigger {
  owedMore(peerId: string): void;
}

/** BTP requests other than ILP packets: settlement's Transfer frames and Messages. */
export interface BtpRequester {
  /**
   * Sends the frame `build(requestId)` to the peer and resolves with its answer, decoded (a Response
   * or an Error: both resolve). Rejects with ILPD_ERR_PEER_UNREACHABLE when the peer is not connected
   * or goes away, ILPD_ERR_TIMED_OUT when no answer comes within timeoutMs.
   */
  request(peerId: string, build: (requestId: number) => Buffer, timeoutMs: number): Promise<BtpPacket>;
}

/**
 * What the transport hands BTP frames that carry no ILP packet to: Transfer frames and Messages of
 * sub-protocols. Resolves with the whole answer frame (a Response or an Error) for `requestId`.
 */
export interface BtpSubProtocolHandler {
  handleTransfer(
    peerId: string,
    frame: BtpPacket & { readonly type: BtpPacketType.Transfer },
  ): Promise<Buffer>;
  /** undefined when no handler speaks any of the Message's protocols (the transport answers empty). */
  handleMessage(peerId: string, frame: BtpPacket): Promise<Buffer> | undefined;
}
