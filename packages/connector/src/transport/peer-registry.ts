import type { BtpPacket } from '@ilpd/codec';
import type WebSocket from 'ws';
import type { PeerConfig } from '../config/types';
import { DaemonError } from '../errors';
import type {
  BtpRequester,
  BtpSubProtocolHandler,
  IlpHandler,
  PeerLifecycleListener,
  PeerLink,
} from '../ports';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import type { PeerWarnings } from '../telemetry/peer-warnings';
import { CLOSE_POLICY, PeerSession, type CorkableSocket, type PeerSessionOptions } from './peer-session';

export interface PeerRegistryOptions {
  readonly peers: readonly PeerConfig[];
  readonly session: PeerSessionOptions;
  readonly frames: FrameCounters;
  readonly logger: Logger;
  readonly warnings: PeerWarnings;
}

/** A peer's live sessions, oldest first, and where the next outgoing Prepare goes. */
interface SessionGroup {
  readonly sessions: PeerSession[];
  next: number;
}

/**
 * The live BTP sessions: up to `peers[].btp.maxConnections` per account (1 for a client-role peer,
 * whose one connection we make), for enabled peers only. Outgoing Prepares (and settlement's requests)
 * are spread over a peer's open sessions round robin; each incoming Prepare is answered on the session
 * it came in on (the session does that). A connection that authenticates when the account is full
 * replaces its oldest session (the peer restarted or reconnected before we noticed the old socket
 * die). It is the packet path's PeerLink and tells lifecycle listeners (routing, ILDCP, settlement)
 * when a peer gains a session and when it loses its last.
 */
export class PeerRegistry implements PeerLink, BtpRequester {
  private readonly groups = new Map<string, SessionGroup>();
  private maxConnections = new Map<string, number>();
  private readonly listeners: PeerLifecycleListener[] = [];
  private handler: IlpHandler | undefined;
  private subProtocols: BtpSubProtocolHandler | undefined;
  private drainRejectFrame: Buffer | undefined;
  /** The enabled peers: only they may have a session. */
  private peers: readonly PeerConfig[] = [];

  constructor(private readonly options: PeerRegistryOptions) {
    this.setPeers(options.peers);
  }

  /** A new peer set (runtime config change). Sessions of peers leaving it are closed by closePeer. */
  setPeers(peers: readonly PeerConfig[]): void {
    this.peers = peers.filter((peer) => peer.enabled);
    this.maxConnections = new Map(
      this.peers.map((peer) => [peer.id, peer.btp.role === 'server' ? peer.btp.maxConnections : 1]),
    );
  }

  /** The packet path that answers incoming Prepares; set once by the composition root. */
  setIlpHandler(handler: IlpHandler): void {
    this.handler = handler;
  }

  /** Settlement's Transfer frames and Messages; set once by the composition root (none: refused). */
  setSubProtocolHandler(handler: BtpSubProtocolHandler): void {
    this.subProtocols = handler;
  }

  addListener(listener: PeerLifecycleListener): void {
    this.listeners.push(listener);
  }

  sendIlp(peerId: string, ilp: Buffer, timeoutMs: number): Promise<Buffer> {
    const session = this.nextOpenSession(peerId);
    if (session === undefined) {
      return Promise.reject(new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${peerId} is not connected`));
    }
    return session.sendIlp(ilp, timeoutMs);
  }

  request(peerId: string, build: (requestId: number) => Buffer, timeoutMs: number): Promise<BtpPacket> {
    const session = this.nextOpenSession(peerId);
    if (session === undefined) {
      return Promise.reject(new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${peerId} is not connected`));
    }
    return session.request(build, timeoutMs);
  }

  isConnected(peerId: string): boolean {
    return this.connectionsOf(peerId) > 0;
  }

  /** Open sessions of the peer. */
  connectionsOf(peerId: string): number {
    const group = this.groups.get(peerId);
    if (group === undefined) return 0;
    let open = 0;
    for (const session of group.sessions) if (session.isOpen) open++;
    return open;
  }

  /** Every enabled peer with its connection state (for metrics and /admin/peers). */
  *peerStates(): Iterable<{
    readonly peerId: string;
    readonly connected: boolean;
    readonly connections: number;
  }> {
    for (const peer of this.peers) {
      const connections = this.connectionsOf(peer.id);
      yield { peerId: peer.id, connected: connections > 0, connections };
    }
  }

  /**
   * Makes an authenticated socket one of the peer's sessions; when the peer already has as many as it
   * may, its oldest is closed to make room. A peer disabled or removed meanwhile (its authentication
   * raced the change) is closed instead.
   */
  attach(peerId: string, ws: WebSocket, socket?: CorkableSocket): PeerSession | undefined {
    const handler = this.handler;
    if (handler === undefined) throw new Error('PeerRegistry.attach before setIlpHandler');
    if (!this.peers.some((peer) => peer.id === peerId)) {
      this.options.logger.info({ peer: peerId }, 'BTP session refused: the peer is disabled or removed');
      ws.close(CLOSE_POLICY, 'peer is disabled');
      return undefined;
    }
    const session = new PeerSession(peerId, ws, socket, this.options.session, {
      handler,
      subProtocols: this.subProtocols,
      frames: this.options.frames,
      logger: this.options.logger,
      warnings: this.options.warnings,
      drainReject: () => this.drainRejectFrame,
      onClosed: (closed) => this.onSessionClosed(closed),
    });
    let group = this.groups.get(peerId);
    if (group === undefined) {
      group = { sessions: [], next: 0 };
      this.groups.set(peerId, group);
    }
    const max = this.maxConnections.get(peerId) ?? 1;
    while (group.sessions.length >= max) {
      const oldest = group.sessions.shift() as PeerSession;
      this.options.logger.info(
        { peer: peerId, maxConnections: max },
        'new BTP connection replaces the oldest of the peer',
      );
      void oldest.close(CLOSE_POLICY, 'replaced by a newer connection of the same account');
    }
    group.sessions.push(session);
    group.next %= group.sessions.length;
    this.options.logger.info(
      { peer: peerId, connections: group.sessions.length },
      'BTP session authenticated',
    );
    this.notify('onPeerConnected', peerId);
    return session;
  }

  /** From now on new Prepares are answered with this Reject instead of entering the packet path. */
  beginDrain(reject: Buffer): void {
    this.drainRejectFrame = reject;
  }

  /** Closes the peer's sessions, if any (after its packets drained: pending requests would fail T01). */
  async closePeer(peerId: string, reason: string): Promise<void> {
    const sessions = this.groups.get(peerId)?.sessions ?? [];
    if (sessions.length === 0) return;
    this.options.logger.info({ peer: peerId, reason }, 'closing BTP sessions');
    await Promise.all([...sessions].map((s) => s.close(CLOSE_POLICY, reason)));
  }

  /** Closes every session (pending outgoing requests fail with ILPD_ERR_PEER_UNREACHABLE). */
  async closeAll(): Promise<void> {
    const sessions = [...this.groups.values()].flatMap((group) => group.sessions);
    await Promise.all(sessions.map((s) => s.close()));
  }

  /** Round robin over the peer's open sessions. */
  private nextOpenSession(peerId: string): PeerSession | undefined {
    const group = this.groups.get(peerId);
    if (group === undefined) return undefined;
    const sessions = group.sessions;
    const count = sessions.length;
    for (let i = 0; i < count; i++) {
      const index = (group.next + i) % count;
      const session = sessions[index];
      if (!session.isOpen) continue;
      group.next = (index + 1) % count;
      return session;
    }
    return undefined;
  }

  private onSessionClosed(session: PeerSession): void {
    const group = this.groups.get(session.peerId);
    if (group === undefined) return;
    const index = group.sessions.indexOf(session);
    if (index < 0) return;
    group.sessions.splice(index, 1);
    if (group.sessions.length > 0) {
      if (group.next > index) group.next--;
      group.next %= group.sessions.length;
      return;
    }
    this.groups.delete(session.peerId);
    this.notify('onPeerDisconnected', session.peerId);
  }

  private notify(event: keyof PeerLifecycleListener, peerId: string): void {
    for (const listener of this.listeners) {
      try {
        listener[event](peerId);
      } catch (err) {
        this.options.logger.error({ peer: peerId, err }, `peer lifecycle listener failed on ${event}`);
      }
    }
  }
}
