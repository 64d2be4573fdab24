import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeBtpAuth } from '@ilpd/codec';
import WebSocket, { WebSocketServer } from 'ws';
import type { DaemonConfig, PeerConfig } from '../config/types';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import type { AuthFailureReason } from '../telemetry/metrics';
import { ServerPeerAuthenticator } from './btp-auth';
import { BTP_NOT_ACCEPTED, btpEmptyResponse, btpError, frameBytes } from './btp-frames';
import type { PeerRegistry } from './peer-registry';
import { CLOSE_POLICY, CLOSE_PROTOCOL_ERROR, type CorkableSocket } from './peer-session';

export interface BtpServerOptions {
  readonly btp: DaemonConfig['btp'];
  readonly peers: readonly PeerConfig[];
  readonly registry: PeerRegistry;
  readonly frames: FrameCounters;
  readonly logger: Logger;
  /** Connections allowed to be authenticating at once; more are dropped on arrival (bounds sockets). */
  readonly maxUnauthenticated?: number;
  onAuthFailure(reason: AuthFailureReason): void;
}

const DEFAULT_MAX_UNAUTHENTICATED = 256;

/**
 * The BTP listener for peers with btp.role = server. A connection is nobody until its first frame
 * authenticates it; until then nothing it sends reaches the packet path, and it is closed if it does
 * not authenticate within btp.authTimeoutMs. ws enforces btp.maxPayloadBytes on every frame.
 */
export class BtpServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly authenticator: ServerPeerAuthenticator;
  private readonly unauthenticated = new Set<WebSocket>();
  private listening = false;

  constructor(private readonly options: BtpServerOptions) {
    this.authenticator = new ServerPeerAuthenticator(options.peers);
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('this port speaks BTP over WebSocket\n');
    });
    this.wss = new WebSocketServer({
      server: this.http,
      maxPayload: options.btp.maxPayloadBytes,
      // Compression costs CPU per packet and lets a small frame inflate into a large one.
      perMessageDeflate: false,
    });
    this.wss.on('connection', (ws, req) => this.onConnection(ws, req.socket));
    this.wss.on('error', (err) => options.logger.error({ err }, 'BTP listener error'));
  }

  /** A new peer set (runtime config change): who may authenticate from the next connection on. */
  setPeers(peers: readonly PeerConfig[]): void {
    this.authenticator.setPeers(peers);
  }

  get isListening(): boolean {
    return this.listening;
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
    for (const ws of this.unauthenticated) ws.terminate();
    this.unauthenticated.clear();
  }

  private onConnection(ws: WebSocket, socket: CorkableSocket): void {
    const { logger, btp } = this.options;
    if (this.unauthenticated.size >= (this.options.maxUnauthenticated ?? DEFAULT_MAX_UNAUTHENTICATED)) {
      logger.warn(
        { waiting: this.unauthenticated.size },
        'too many unauthenticated BTP connections; dropping one',
      );
      ws.terminate();
      return;
    }
    this.unauthenticated.add(ws);
    ws.on('error', (err) => logger.debug({ err: err.message }, 'unauthenticated BTP socket error'));
    const timer = setTimeout(() => {
      this.options.onAuthFailure('timeout');
      logger.info('BTP connection did not authenticate in time; closing');
      this.reject(ws, CLOSE_POLICY, 'authentication timeout');
    }, btp.authTimeoutMs);
    ws.once('close', () => {
      clearTimeout(timer);
      this.unauthenticated.delete(ws);
    });
    ws.once('message', (data) => {
      clearTimeout(timer);
      this.unauthenticated.delete(ws);
      this.authenticate(ws, socket, frameBytes(data));
    });
  }

  private authenticate(ws: WebSocket, socket: CorkableSocket, frame: Buffer): void {
    const { frames, logger, registry } = this.options;
    if (frame.length > 0) frames.countIn(frame[0]);
    const parsed = decodeBtpAuth(frame);
    if (!parsed.ok) {
      this.options.onAuthFailure('malformed');
      logger.info({ reason: parsed.message }, 'BTP authentication failed');
      if (parsed.requestId !== undefined)
        this.send(ws, btpError(parsed.requestId, BTP_NOT_ACCEPTED, parsed.message));
      this.reject(ws, CLOSE_PROTOCOL_ERROR, 'authentication failed');
      return;
    }
    const request = parsed.auth;
    const result = this.authenticator.authenticate(request);
    if (!result.ok) {
      this.options.onAuthFailure(result.reason);
      logger.info({ username: request.username, reason: result.reason }, 'BTP authentication failed');
      this.send(ws, btpError(request.requestId, BTP_NOT_ACCEPTED, 'authentication failed'));
      this.reject(ws, CLOSE_POLICY, 'authentication failed');
      return;
    }
    this.send(ws, btpEmptyResponse(request.requestId));
    registry.attach(result.peer.id, ws, socket);
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
