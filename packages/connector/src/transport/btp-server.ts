import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeBtpAuth } from '@ilpd/codec';
import WebSocket, { WebSocketServer } from 'ws';
import type { DaemonConfig, PeerConfig } from '../config/types';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import type { AuthFailureReason } from '../telemetry/metrics';
import type { PeerWarnings } from '../telemetry/peer-warnings';
import { ServerPeerAuthenticator } from './btp-auth';
import { BTP_NOT_ACCEPTED, btpEmptyResponse, btpError, frameBytes } from './btp-frames';
import type { PeerRegistry } from './peer-registry';
import { CLOSE_POLICY, CLOSE_PROTOCOL_ERROR } from './peer-session';
import { UnauthenticatedPool, type Unauthenticated } from './unauthenticated-pool';

export interface BtpServerOptions {
  readonly btp: DaemonConfig['btp'];
  readonly peers: readonly PeerConfig[];
  readonly registry: PeerRegistry;
  readonly frames: FrameCounters;
  readonly logger: Logger;
  readonly warnings: PeerWarnings;
  onAuthFailure(reason: AuthFailureReason): void;
}

/**
 * What an unauthenticated WebSocket may send before it authenticates: an auth frame is a few hundred
 * bytes, so anything near this is not one, and nobody gets to make us buffer a maximum-size frame (or
 * answer pings) before they proved who they are.
 */
export const MAX_UNAUTHENTICATED_BYTES = 65_536;

/**
 * The BTP listener for peers with btp.role = server. A connection is nobody from its TCP accept until
 * its first frame authenticates it: until then nothing it sends reaches the packet path, it may send at
 * most MAX_UNAUTHENTICATED_BYTES, and it is closed if it has not authenticated within btp.authTimeoutMs
 * of the accept. Unauthenticated connections are capped overall and per source address
 * (UnauthenticatedPool); when a cap is reached the oldest gives way to the newcomer, so a peer with
 * valid credentials always gets in, however many idle sockets someone else holds. ws enforces
 * btp.maxPayloadBytes on every frame of an authenticated session.
 */
export class BtpServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly authenticator: ServerPeerAuthenticator;
  private readonly pool: UnauthenticatedPool;
  private listening = false;

  constructor(private readonly options: BtpServerOptions) {
    this.authenticator = new ServerPeerAuthenticator(options.peers);
    this.pool = new UnauthenticatedPool({
      maxTotal: options.btp.maxUnauthenticated,
      maxPerSource: options.btp.maxUnauthenticatedPerSource,
      onEvict: (evicted, reason, waiting) => {
        options.warnings.warn(
          'unauthenticated_evicted',
          undefined,
          { source: evicted.source, reason, waiting },
          'unauthenticated BTP connections at their cap; dropped the oldest for a newcomer',
        );
        evicted.socket.destroy();
      },
    });
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('this port speaks BTP over WebSocket\n');
    });
    this.http.on('connection', (socket: Socket) => this.onAccept(socket));
    this.wss = new WebSocketServer({
      server: this.http,
      maxPayload: options.btp.maxPayloadBytes,
      // Compression costs CPU per packet and lets a small frame inflate into a large one.
      perMessageDeflate: false,
    });
    this.wss.on('connection', (ws, req) => this.onWebSocket(ws, req.socket));
    this.wss.on('error', (err) => options.logger.error({ err }, 'BTP listener error'));
  }

  /** A new peer set (runtime config change): who may authenticate from the next connection on. */
  setPeers(peers: readonly PeerConfig[]): void {
    this.authenticator.setPeers(peers);
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** Connections accepted and not authenticated yet. */
  get unauthenticatedCount(): number {
    return this.pool.size;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(this.options.btp.port, this.options.btp.host, () => {
        this.http.off('error', onError);
        this.listening = true;
        resolve(this.http.address() as AddressInfo);
      });
    });
  }

  /** Stops accepting connections and drops those still unauthenticated; sessions stay up (drain). */
  stopAccepting(): void {
    if (!this.listening) return;
    this.listening = false;
    this.wss.close();
    this.http.close();
    for (const entry of this.pool.takeAll()) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
    }
  }

  /** Every TCP connection enters the pool on accept, before any byte of it is parsed. */
  private onAccept(socket: Socket): void {
    const timer = setTimeout(() => this.onAuthTimeout(socket), this.options.btp.authTimeoutMs);
    const entry = this.pool.add(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      this.pool.remove(entry);
    });
  }

  private onAuthTimeout(socket: Socket): void {
    const entry = this.pool.get(socket);
    if (entry === undefined || entry.settled) return;
    entry.settled = true;
    this.options.onAuthFailure('timeout');
    this.options.warnings.info(
      'auth_timeout',
      undefined,
      { source: entry.source, authTimeoutMs: this.options.btp.authTimeoutMs },
      'BTP connection did not authenticate in time; closing',
    );
    if (entry.ws === undefined) socket.destroy();
    else this.reject(entry.ws, CLOSE_POLICY, 'authentication timeout');
  }

  private onWebSocket(ws: WebSocket, socket: Socket): void {
    const entry = this.pool.get(socket);
    ws.on('error', (err) =>
      this.options.logger.debug({ err: err.message }, 'unauthenticated BTP socket error'),
    );
    if (entry === undefined || entry.settled) {
      // Evicted or timed out while the upgrade was in progress.
      ws.terminate();
      return;
    }
    entry.ws = ws;
    const countBytes = (chunk: Buffer): void => {
      entry.bytesRead += chunk.length;
      if (entry.bytesRead <= MAX_UNAUTHENTICATED_BYTES || entry.settled) return;
      entry.settled = true;
      this.options.onAuthFailure('malformed');
      this.options.warnings.warn(
        'preauth_bytes_exceeded',
        undefined,
        { source: entry.source, bytes: entry.bytesRead },
        `unauthenticated BTP connection sent more than ${MAX_UNAUTHENTICATED_BYTES} bytes; dropping it`,
      );
      socket.destroy();
    };
    socket.on('data', countBytes);
    entry.stopCounting = () => socket.off('data', countBytes);
    ws.once('message', (data) => {
      if (entry.settled) return;
      entry.settled = true;
      this.authenticate(ws, entry, frameBytes(data));
    });
  }

  private authenticate(ws: WebSocket, entry: Unauthenticated, frame: Buffer): void {
    const { frames, registry, warnings } = this.options;
    if (frame.length > 0) frames.countIn(frame[0]);
    const parsed = decodeBtpAuth(frame);
    if (!parsed.ok) {
      this.options.onAuthFailure('malformed');
      warnings.info(
        'auth_failed',
        undefined,
        { source: entry.source, reason: parsed.message },
        'BTP authentication failed',
      );
      if (parsed.requestId !== undefined)
        this.send(ws, btpError(parsed.requestId, BTP_NOT_ACCEPTED, parsed.message));
      this.reject(ws, CLOSE_PROTOCOL_ERROR, 'authentication failed');
      return;
    }
    const request = parsed.auth;
    const result = this.authenticator.authenticate(request);
    if (!result.ok) {
      this.options.onAuthFailure(result.reason);
      warnings.info(
        'auth_failed',
        undefined,
        { source: entry.source, username: request.username.slice(0, 64), reason: result.reason },
        'BTP authentication failed',
      );
      this.send(ws, btpError(request.requestId, BTP_NOT_ACCEPTED, 'authentication failed'));
      this.reject(ws, CLOSE_POLICY, 'authentication failed');
      return;
    }
    // Out of the pool before the session exists: from here on the socket is a peer's, not a stranger's.
    clearTimeout(entry.timer);
    entry.stopCounting?.();
    this.pool.remove(entry);
    this.send(ws, btpEmptyResponse(request.requestId));
    registry.attach(result.peer.id, ws, entry.socket);
  }

  private send(ws: WebSocket, frame: Buffer): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(frame);
    this.options.frames.countOut(frame[0]);
  }

  /** Sends the close frame after any queued error frame; drops the socket if the peer ignores it. */
  private reject(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.CLOSED) return;
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reason);
    const timer = setTimeout(() => ws.terminate(), 1000);
    ws.once('close', () => clearTimeout(timer));
  }
}
