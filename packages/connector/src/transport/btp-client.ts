import { randomInt } from 'node:crypto';
import { BtpPacketType, decodeBtp, encodeBtpAuth, parseBtpUrl } from '@ilpd/codec';
import WebSocket from 'ws';
import type { BtpClientSide, DaemonConfig, PeerConfig } from '../config/types';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import { reconnectDelayMs } from './backoff';
import { frameBytes } from './btp-frames';
import type { PeerRegistry } from './peer-registry';
import type { CorkableSocket } from './peer-session';

export interface BtpClientOptions {
  readonly peer: PeerConfig & { readonly btp: BtpClientSide };
  readonly btp: DaemonConfig['btp'];
  readonly registry: PeerRegistry;
  readonly frames: FrameCounters;
  readonly logger: Logger;
  readonly random?: () => number;
}

/** ws(s) URL without credentials, plus the credentials we authenticate with. */
export function clientTarget(btp: BtpClientSide): { url: string; username: string; token: string } {
  const endpoint = parseBtpUrl(btp.url);
  return { url: endpoint.wsUrl, username: endpoint.username, token: btp.authToken ?? endpoint.token };
}

/**
 * Keeps one outgoing BTP session to a peer with btp.role = client: connect, authenticate (RFC 23),
 * hand the socket to the registry, and after any failure or disconnect try again with capped
 * exponential backoff and full jitter, until stop().
 */
export class BtpClient {
  /** The socket while it connects and authenticates; once attached, the session is the registry's. */
  private connecting: WebSocket | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly options: BtpClientOptions) {}

  get peerId(): string {
    return this.options.peer.id;
  }

  /** The config this client dials with (a changed peer gets a new client). */
  get peer(): PeerConfig {
    return this.options.peer;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** No more reconnects; a connection still authenticating is dropped. The session is the registry's. */
  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) clearTimeout(this.reconnectTimer);
    if (this.authTimer !== undefined) clearTimeout(this.authTimer);
    this.reconnectTimer = undefined;
    this.authTimer = undefined;
    this.connecting?.terminate();
    this.connecting = undefined;
  }

  private connect(): void {
    const { peer, btp, logger } = this.options;
    const target = clientTarget(peer.btp);
    const ws = new WebSocket(target.url, {
      maxPayload: btp.maxPayloadBytes,
      handshakeTimeout: btp.authTimeoutMs,
    });
    this.connecting = ws;
    let socket: CorkableSocket | undefined;
    ws.once('upgrade', (res) => {
      socket = res.socket;
    });
    let authenticated = false;
    ws.on('error', (err) => logger.debug({ peer: peer.id, err: err.message }, 'BTP client socket error'));
    ws.once('open', () => {
      const requestId = randomInt(0, 2 ** 32);
      this.authTimer = setTimeout(() => {
        logger.warn({ peer: peer.id }, 'peer did not answer our BTP auth in time');
        ws.terminate();
      }, btp.authTimeoutMs);
      ws.once('message', (data) => {
        clearTimeout(this.authTimer);
        if (this.connecting === ws) this.connecting = undefined;
        authenticated = this.onAuthAnswer(ws, socket, frameBytes(data), requestId);
      });
      ws.send(encodeBtpAuth(requestId, target.username, target.token));
      this.options.frames.countOut(BtpPacketType.Message);
    });
    ws.once('close', () => {
      clearTimeout(this.authTimer);
      if (this.connecting === ws) this.connecting = undefined;
      if (!authenticated) this.attempt++;
      else this.attempt = 0;
      this.scheduleReconnect();
    });
  }

  private onAuthAnswer(
    ws: WebSocket,
    socket: CorkableSocket | undefined,
    frame: Buffer,
    requestId: number,
  ): boolean {
    const { peer, logger, registry, frames } = this.options;
    if (frame.length > 0) frames.countIn(frame[0]);
    let answer;
    try {
      answer = decodeBtp(frame);
    } catch {
      logger.warn({ peer: peer.id }, 'malformed answer to our BTP auth; reconnecting');
      ws.terminate();
      return false;
    }
    if (answer.type === BtpPacketType.Response && answer.requestId === requestId) {
      registry.attach(peer.id, ws, socket);
      return true;
    }
    const detail =
      answer.type === BtpPacketType.Error
        ? `${answer.code} ${answer.name}: ${answer.data.toString('utf8')}`
        : `frame type ${answer.type}`;
    logger.warn({ peer: peer.id, detail }, 'peer refused our BTP auth; will retry');
    ws.terminate();
    return false;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const { peer, logger, random } = this.options;
    const delay = reconnectDelayMs(
      this.attempt,
      peer.btp.reconnectInitialMs,
      peer.btp.reconnectMaxMs,
      random,
    );
    logger.info({ peer: peer.id, attempt: this.attempt, delayMs: delay }, 'BTP client reconnecting');
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }
}
