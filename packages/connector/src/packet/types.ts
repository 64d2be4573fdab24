/**
 * Seams between the packet path (packet/, routing/, ildcp/) and the transport and telemetry built in
 * daemon.ts. The packet path never touches sockets; the transport never interprets ILP beyond framing.
 */
export interface PeerLink {
  /**
   * Sends an ILP packet (Prepare) to a peer over its BTP session and resolves with the response packet
   * bytes (Fulfill or Reject). Rejects with DaemonError ILPD_ERR_PEER_UNREACHABLE when the peer is not
   * connected, ILPD_ERR_TIMED_OUT when no response arrives within timeoutMs.
   */
  sendIlp(peerId: string, ilp: Buffer, timeoutMs: number): Promise<Buffer>;
  isConnected(peerId: string): boolean;
}

/** Entry point the transport calls for every ILP packet a peer sends us. Never rejects. */
export interface IlpHandler {
  handleIlp(fromPeerId: string, ilp: Buffer): Promise<Buffer>;
}

/** Lifecycle of peer sessions, for route broadcasting and ILDCP with parents. */
export interface PeerLifecycleListener {
  onPeerConnected(peerId: string): void;
  onPeerDisconnected(peerId: string): void;
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

/** Our ILP address; set once at startup (from config, or from a parent over ILDCP). */
export interface NodeIdentity {
  readonly address: string;
}
