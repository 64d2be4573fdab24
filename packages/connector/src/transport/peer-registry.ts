import type WebSocket from 'ws';
import type { PeerConfig } from '../config/types';
import { DaemonError } from '../errors';
import type { BtpPacket } from '@ilpd/codec';
import type {
  BtpRequester,
  BtpSubProtocolHandler,
  IlpHandler,
  PeerLifecycleListener,
  PeerLink,
} from '../ports';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import { CLOSE_POLICY, PeerSession, type CorkableSocket, type PeerSessionOptions } from './peer-session';

export interface PeerRegistryOptions {
  readonly peers: readonly PeerConfig[];
  readonly session: PeerSessionOptions;
  readonly frames: FrameCounters;
  readonly logger: Logger;
}

/**
 * The live BTP sessions, at most one per configured peer: a newly authenticated connection replaces
 * the old one (the peer restarted or reconnected before we noticed the old socket die). It is the
 * packet path's PeerLink and tells lifecycle listeners (routing, ILDCP) when peers come and go.
 */
export class PeerRegistry implements PeerLink, BtpRequester {
  private readonly sessions = new Map<string, PeerSession>();
  private readonly listeners: PeerLifecycleListener[] = [];
  private handler: IlpHandler | undefined;
  private subProtocols: BtpSubProtocolHandler | undefined;
  private drainRejectFrame: Buffer | undefined;
  /** The enabled peers: only they may have a session. */
  private peers: readonly PeerConfig[];

  constructor(private readonly options: PeerRegistryOptions) {
    this.peers = options.peers.filter((peer) => peer.enabled);
  }

  /** A new peer set (runtime config change). Sessions of peers leaving it are closed by closePeer. */
  setPeers(peers: readonly PeerConfig[]): void {
    this.peers = peers.filter((peer) => peer.enabled);
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
    const session = this.sessions.get(peerId);
    if (session === undefined) {
      return Promise.reject(new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${peerId} is not connected`));
    }
    return session.sendIlp(ilp, timeoutMs);
  }

  request(peerId: string, build: (requestId: number) => Buffer, timeoutMs: number): Promise<BtpPacket> {
    const session = this.sessions.get(peerId);
    if (session === undefined) {
      return Promise.reject(new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${peerId} is not connected`));
    }
    return session.request(build, timeoutMs);
  }

  isConnected(peerId: string): boolean {
    return this.sessions.get(peerId)?.isOpen ?? false;
  }

  /** Every enabled peer with its connection state (for metrics). */
  *peerStates(): Iterable<{ readonly peerId: string; readonly connected: boolean }> {
    for (const peer of this.peers) yield { peerId: peer.id, connected: this.isConnected(peer.id) };
  }

  /**
   * Makes an authenticated socket the peer's session, replacing (and closing) any previous one. A
   * peer disabled or removed meanwhile (its authentication raced the change) is closed instead.
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
      drainReject: () => this.drainRejectFrame,
      onClosed: (closed) => this.onSessionClosed(closed),
    });
    const previous = this.sessions.get(peerId);
    this.sessions.set(peerId, session);
    if (previous !== undefined) {
      this.options.logger.info({ peer: peerId }, 'new BTP connection replaces the previous session');
      void previous.close(CLOSE_POLICY, 'replaced by a newer connection of the same peer');
      this.notify('onPeerDisconnected', peerId);
    }
    this.options.logger.info({ peer: peerId }, 'BTP session authenticated');
    this.notify('onPeerConnected', peerId);
    return session;
  }

  /** From now on new Prepares are answered with this Reject instead of entering the packet path. */
  beginDrain(reject: Buffer): void {
    this.drainRejectFrame = reject;
  }

  /** Closes the peer's session, if any (after its packets drained: pending requests would fail T01). */
  async closePeer(peerId: string, reason: string): Promise<void> {
    const session = this.sessions.get(peerId);
    if (session === undefined) return;
    this.options.logger.info({ peer: peerId, reason }, 'closing BTP session');
    await session.close(CLOSE_POLICY, reason);
  }

  /** Closes every session (pending outgoing requests fail with ILPD_ERR_PEER_UNREACHABLE). */
  async closeAll(): Promise<void> {
    const sessions = [...this.sessions.values()];
    await Promise.all(sessions.map((s) => s.close()));
  }

  private onSessionClosed(session: PeerSession): void {
    if (this.sessions.get(session.peerId) !== session) return;
    this.sessions.delete(session.peerId);
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
