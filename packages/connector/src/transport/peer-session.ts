import {
  BtpPacketType,
  decodeBtp,
  encodeBtpIlpFrame,
  findBtpIlpData,
  peekBtpHeader,
  type BtpPacket,
} from '@ilpd/codec';
import WebSocket from 'ws';
import { DaemonError } from '../errors';
import type { BtpSubProtocolHandler, IlpHandler } from '../ports';
import type { FrameCounters } from '../telemetry/frame-counters';
import type { Logger } from '../telemetry/logger';
import type { PeerWarnings } from '../telemetry/peer-warnings';
import { BTP_NOT_ACCEPTED, BTP_TEMPORARY, btpEmptyResponse, btpError, frameBytes } from './btp-frames';
import { FairTurns } from './fair-turns';
import { PendingRequests } from './pending-requests';

/** The TCP socket under a WebSocket: corked while one tick's frames are written. */
export interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

export interface PeerSessionOptions {
  readonly pingIntervalMs: number;
  /**
   * A peer that lets this much of our output pile up unread (btp.maxOutputBufferBytes) is cut off
   * instead of growing our heap. Checked after every frame we queue. (Pongs are ws's: it drops a peer
   * that has 60 of them unsent, i.e. pings without reading.)
   */
  readonly maxBufferedBytes: number;
}

export interface PeerSessionHooks {
  readonly handler: IlpHandler;
  /** BTP Transfer frames and sub-protocol Messages (settlement); undefined = refused / answered empty. */
  readonly subProtocols?: BtpSubProtocolHandler;
  readonly frames: FrameCounters;
  readonly logger: Logger;
  readonly warnings: PeerWarnings;
  /** While shutting down: the Reject that answers new Prepares instead of the packet path. */
  drainReject(): Buffer | undefined;
  onClosed(session: PeerSession): void;
}

interface PendingRequest {
  readonly requestId: number;
  /** True for sub-protocol requests: resolved with the whole answer frame, Error frames included. */
  readonly wholeFrame: boolean;
  resolve(answer: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** WebSocket close codes (RFC 6455). */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_PROTOCOL_ERROR = 1002;
export const CLOSE_POLICY = 1008;
/** After asking a peer to close, we drop the socket if its close frame has not come back by then. */
const CLOSE_GRACE_MS = 1000;

/**
 * One authenticated BTP connection. Request ids are allocated per session; every pending request has
 * a timer and leaves PendingRequests on response, timeout or close, so a peer that never answers cannot grow
 * our memory. Nothing a peer sends can throw out of this class: malformed frames get a BTP Error when
 * a request id can be read, otherwise the socket is closed.
 */
export class PeerSession {
  private nextRequestId = 1;
  private readonly pending = new PendingRequests<PendingRequest>();
  private readonly pingTimer: NodeJS.Timeout;
  private pongSeen = true;
  private closing = false;
  private closeTimer: NodeJS.Timeout | undefined;
  private readonly closedPromise: Promise<void>;
  private corked = false;
  /** Frames are handled in fair turns: a flooding connection cannot starve the others. */
  private readonly turns: FairTurns;

  constructor(
    readonly peerId: string,
    private readonly ws: WebSocket,
    private readonly socket: CorkableSocket | undefined,
    private readonly options: PeerSessionOptions,
    private readonly hooks: PeerSessionHooks,
  ) {
    this.turns = new FairTurns(
      ws,
      (frame) => this.onFrame(frame),
      () =>
        hooks.warnings.warn(
          'throttled',
          peerId,
          {},
          'most Prepares of this connection are refused (T01/T02/T03/T05/F01/F02); reading it slowly',
        ),
    );
    ws.on('message', (data) => this.turns.receive(frameBytes(data)));
    ws.on('pong', () => {
      this.pongSeen = true;
    });
    ws.on('error', (err) => hooks.logger.debug({ peer: peerId, err: err.message }, 'BTP socket error'));
    this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.once('close', (code, reason) => this.onSocketClosed(code, reason.toString()));
    this.pingTimer = setInterval(() => this.keepAlive(), options.pingIntervalMs);
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends an ILP Prepare and resolves with the Fulfill/Reject bytes the peer answers with. */
  sendIlp(ilp: Buffer, timeoutMs: number): Promise<Buffer> {
    if (!this.isOpen) {
      return Promise.reject(
        new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${this.peerId} is not connected`),
      );
    }
    const requestId = this.allocateRequestId();
    const frame = encodeBtpIlpFrame(BtpPacketType.Message, requestId, ilp);
    const answer = this.awaitAnswer(requestId, timeoutMs, false);
    this.send(frame);
    return answer;
  }

  /**
   * The pending request for `requestId`. Its closures capture the id and the timeout only: were they
   * to capture the packet, every Prepare a peer holds would keep a second copy of itself alive.
   */
  private awaitAnswer(requestId: number, timeoutMs: number, wholeFrame: boolean): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.take(requestId);
        reject(
          new DaemonError('ILPD_ERR_TIMED_OUT', `peer ${this.peerId} did not answer within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.pending.add({ requestId, wholeFrame, resolve, reject, timer });
    });
  }

  /** Sends a sub-protocol frame built for its request id; resolves with the peer's answer frame, decoded. */
  request(build: (requestId: number) => Buffer, timeoutMs: number): Promise<BtpPacket> {
    if (!this.isOpen) {
      return Promise.reject(
        new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${this.peerId} is not connected`),
      );
    }
    const requestId = this.allocateRequestId();
    const answer = this.awaitAnswer(requestId, timeoutMs, true);
    this.send(build(requestId));
    return answer.then((frame) => decodeBtp(frame));
  }

  /** Closes the session: pending requests fail now, the socket is dropped if the peer does not answer. */
  close(code = CLOSE_GOING_AWAY, reason = 'ilpd is shutting down'): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.failPending('session closed');
      clearInterval(this.pingTimer);
      if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
        this.ws.close(code, reason);
        this.closeTimer = setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
      }
    }
    return this.closedPromise;
  }

  get pendingRequests(): number {
    return this.pending.size;
  }

  private onFrame(frame: Buffer): void {
    // Frames that arrive after we began closing are dropped: their answers could not be sent anyway.
    if (this.closing) return;
    let header: { type: number; requestId: number };
    try {
      header = peekBtpHeader(frame);
    } catch {
      this.hooks.logger.debug(
        { peer: this.peerId, bytes: frame.length },
        'BTP frame shorter than its header',
      );
      void this.close(CLOSE_PROTOCOL_ERROR, 'malformed BTP frame');
      return;
    }
    this.hooks.frames.countIn(header.type);
    switch (header.type) {
      case BtpPacketType.Message:
        this.onMessage(frame, header.requestId);
        return;
      case BtpPacketType.Response:
      case BtpPacketType.Error:
        this.onAnswer(frame, header.type, header.requestId);
        return;
      case BtpPacketType.Transfer:
        this.onTransfer(frame, header.requestId);
        return;
      default:
        this.send(btpError(header.requestId, BTP_NOT_ACCEPTED, `unknown BTP frame type ${header.type}`));
    }
  }

  private onMessage(frame: Buffer, requestId: number): void {
    let ilp: Buffer | undefined;
    try {
      ilp = findBtpIlpData(frame);
    } catch (err) {
      this.send(btpError(requestId, BTP_NOT_ACCEPTED, `malformed BTP message: ${(err as Error).message}`));
      return;
    }
    if (ilp === undefined) {
      if (isAuthMessage(frame)) {
        // The session's identity was settled by the first auth; answering a second one with success
        // would tell a client with other (or wrong) credentials that it is now someone else.
        this.hooks.warnings.warn(
          'reauth',
          this.peerId,
          {},
          'BTP auth on an authenticated session; closing it',
        );
        this.send(btpError(requestId, BTP_NOT_ACCEPTED, 'already authenticated: auth is only allowed once'));
        void this.close(CLOSE_POLICY, 'a session authenticates once');
        return;
      }
      this.onSubProtocolMessage(frame, requestId);
      return;
    }
    const drainReject = this.hooks.drainReject();
    if (drainReject !== undefined) {
      this.send(encodeBtpIlpFrame(BtpPacketType.Response, requestId, drainReject));
      return;
    }
    this.hooks.handler.handleIlp(this.peerId, ilp).then(
      (response) => {
        this.turns.noteAnswer(response);
        this.send(encodeBtpIlpFrame(BtpPacketType.Response, requestId, response));
      },
      (err: unknown) => {
        this.hooks.logger.error({ peer: this.peerId, err }, 'packet handler failed');
        this.send(btpError(requestId, BTP_TEMPORARY, 'internal error'));
      },
    );
  }

  /** A Transfer frame: a settlement claim, answered by the sub-protocol handler (refused without one). */
  private onTransfer(frame: Buffer, requestId: number): void {
    const handler = this.hooks.subProtocols;
    const packet = handler === undefined ? undefined : this.decodeOrRefuse(frame, requestId);
    if (handler === undefined || packet === undefined) {
      if (handler === undefined) {
        this.send(
          btpError(
            requestId,
            BTP_NOT_ACCEPTED,
            'BTP Transfer is not supported: no settlement with this peer',
          ),
        );
      }
      return;
    }
    this.answerWith(
      handler.handleTransfer(this.peerId, packet as BtpPacket & { type: BtpPacketType.Transfer }),
      requestId,
    );
  }

  /** RFC 23 sub-protocols we do not speak (and repeated auth messages) get an empty Response. */
  private onSubProtocolMessage(frame: Buffer, requestId: number): void {
    const handler = this.hooks.subProtocols;
    const packet = handler === undefined ? undefined : this.decodeOrRefuse(frame, requestId);
    if (handler !== undefined && packet === undefined) return;
    const answer = packet === undefined ? undefined : handler?.handleMessage(this.peerId, packet);
    if (answer === undefined) this.send(btpEmptyResponse(requestId));
    else this.answerWith(answer, requestId);
  }

  private decodeOrRefuse(frame: Buffer, requestId: number): BtpPacket | undefined {
    try {
      return decodeBtp(frame);
    } catch (err) {
      this.send(btpError(requestId, BTP_NOT_ACCEPTED, `malformed BTP frame: ${(err as Error).message}`));
      return undefined;
    }
  }

  private answerWith(answer: Promise<Buffer>, requestId: number): void {
    answer.then(
      (frame) => this.send(frame),
      (err: unknown) => {
        this.hooks.logger.error({ peer: this.peerId, err }, 'BTP sub-protocol handler failed');
        this.send(btpError(requestId, BTP_TEMPORARY, 'internal error'));
      },
    );
  }

  private onAnswer(frame: Buffer, type: number, requestId: number): void {
    const request = this.pending.take(requestId);
    if (request === undefined) {
      this.hooks.logger.debug(
        { peer: this.peerId, requestId },
        'BTP answer for no pending request (late or unknown)',
      );
      return;
    }
    clearTimeout(request.timer);
    if (request.wholeFrame) {
      request.resolve(frame);
      return;
    }
    if (type === BtpPacketType.Error) {
      request.reject(
        new DaemonError(
          'ILPD_ERR_PEER_PROTOCOL',
          `peer ${this.peerId} answered with ${describeBtpError(frame)}`,
        ),
      );
      return;
    }
    let ilp: Buffer | undefined;
    try {
      ilp = findBtpIlpData(frame);
    } catch (err) {
      request.reject(
        new DaemonError('ILPD_ERR_PEER_PROTOCOL', `malformed BTP response from ${this.peerId}`, {
          cause: err,
        }),
      );
      return;
    }
    if (ilp === undefined) {
      request.reject(
        new DaemonError('ILPD_ERR_PEER_PROTOCOL', `BTP response from ${this.peerId} carries no ILP packet`),
      );
      return;
    }
    request.resolve(ilp);
  }

  private send(frame: Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // Frames written in the same tick (e.g. the Fulfills of one ledger commit) leave in one syscall
    // instead of one writev each; uncorked on the next tick, so no frame waits longer than that.
    if (this.socket !== undefined && !this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(frame);
    this.hooks.frames.countOut(frame[0]);
    this.checkOutputBuffer();
  }

  private checkOutputBuffer(): void {
    const buffered = this.ws.bufferedAmount;
    if (buffered <= this.options.maxBufferedBytes || this.closing) return;
    this.hooks.warnings.warn(
      'slow_reader',
      this.peerId,
      { bufferedBytes: buffered, maxBufferedBytes: this.options.maxBufferedBytes },
      'peer does not read its BTP socket; dropping the connection',
    );
    this.terminate();
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  private keepAlive(): void {
    if (!this.pongSeen) {
      this.hooks.warnings.warn(
        'pong_missed',
        this.peerId,
        {},
        'peer missed a WebSocket pong; dropping the connection',
      );
      this.terminate();
      return;
    }
    this.pongSeen = false;
    try {
      this.ws.ping();
    } catch {
      this.terminate();
    }
  }

  private terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  /** Request ids are per session and sequential; an id whose slot still holds a pending request is skipped. */
  private allocateRequestId(): number {
    let id = this.nextRequestId;
    while (!this.pending.isFree(id)) id = (id + 1) >>> 0;
    this.nextRequestId = (id + 1) >>> 0;
    return id;
  }

  private failPending(reason: string): void {
    for (const request of this.pending.takeAll()) {
      clearTimeout(request.timer);
      request.reject(new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `peer ${this.peerId}: ${reason}`));
    }
  }

  private onSocketClosed(code: number, reason: string): void {
    this.closing = true;
    this.turns.stop();
    clearInterval(this.pingTimer);
    if (this.closeTimer !== undefined) clearTimeout(this.closeTimer);
    this.failPending('connection closed');
    this.hooks.logger.info({ peer: this.peerId, code, reason }, 'BTP session closed');
    this.hooks.onClosed(this);
  }
}

/** True for a Message whose protocol data carries `auth` (RFC 23's authentication request). */
function isAuthMessage(frame: Buffer): boolean {
  try {
    const packet = decodeBtp(frame);
    return packet.protocolData.some((entry) => entry.protocolName === 'auth');
  } catch {
    return false;
  }
}

function describeBtpError(frame: Buffer): string {
  try {
    const packet = decodeBtp(frame);
    if (packet.type === BtpPacketType.Error) {
      return `BTP error ${packet.code} ${packet.name}: ${packet.data.toString('utf8').slice(0, 200)}`;
    }
  } catch {
    // Described generically below.
  }
  return 'a malformed BTP error';
}
