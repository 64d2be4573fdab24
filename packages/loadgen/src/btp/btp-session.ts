import type { Socket } from 'node:net';
import WebSocket from 'ws';
import {
  BtpPacketType,
  decodeBtp,
  encodeBtp,
  encodeBtpAuth,
  encodeBtpIlpFrame,
  findBtpIlpData,
  isCodecError,
  peekBtpHeader,
} from '@ilpd/codec';
import { parseBtpUrl } from './btp-url';

export interface BtpSessionOptions {
  /** btp+ws://host:port; credentials in the URL are overridden by username/token. */
  readonly url: string;
  readonly username: string;
  readonly token: string;
  readonly connectTimeoutMs?: number;
  readonly maxPayloadBytes?: number;
}

export interface BtpSessionHandlers {
  /** A Message from the connector carrying an ILP packet; answer with respondIlp(requestId, …). */
  onIlpRequest?(requestId: number, ilp: Buffer): void;
  /** A Response or Error frame for a request the owner sent with sendFrame (not via requestIlp). */
  onResponse?(requestId: number, type: number, frame: Buffer): void;
  onClose?(code: number, reason: string): void;
}

export class BtpSessionError extends Error {
  constructor(
    readonly code:
      | 'ILPD_LOADGEN_BTP_AUTH'
      | 'ILPD_LOADGEN_BTP_CONNECT'
      | 'ILPD_LOADGEN_BTP_ERROR'
      | 'ILPD_LOADGEN_TIMEOUT',
    message: string,
  ) {
    super(message);
  }
}

interface PendingControl {
  resolve(frame: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A BTP 2.0 client session over ws, authenticated the way ilp-plugin-btp does (auth, auth_username,
 * auth_token). Frames are dispatched by peeking the header in place; only control traffic (auth,
 * ILDCP) is fully decoded.
 */
export class BtpSession {
  private ws: WebSocket | undefined;
  private socket: Socket | undefined;
  private nextId = 1;
  private readonly control = new Map<number, PendingControl>();
  private corked = false;
  /** Frames that could not be parsed (counted, never thrown into the socket's event handler). */
  malformedFrames = 0;
  /** Set once the connection has closed, for whatever reason. */
  closedWith: { readonly code: number; readonly reason: string } | undefined;

  constructor(
    private readonly options: BtpSessionOptions,
    private readonly handlers: BtpSessionHandlers,
  ) {}

  get connected(): boolean {
    return this.ws !== undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Request ids are sequential uint32 (never 0), shared by control and hot-path requests. */
  allocateRequestId(): number {
    const id = this.nextId;
    this.nextId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  async connect(): Promise<void> {
    const endpoint = parseBtpUrl(this.options.url);
    const ws = new WebSocket(endpoint.wsUrl, {
      perMessageDeflate: false,
      maxPayload: this.options.maxPayloadBytes ?? 16 * 1024 * 1024,
    });
    this.ws = ws;
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(
          new BtpSessionError(
            'ILPD_LOADGEN_TIMEOUT',
            `${endpoint.wsUrl}: no connection within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(new BtpSessionError('ILPD_LOADGEN_BTP_CONNECT', `${endpoint.wsUrl}: ${err.message}`));
      });
    });
    this.socket = (ws as unknown as { _socket?: Socket })._socket;
    this.socket?.setNoDelay(true);
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: string) => {
      this.closedWith = { code, reason: String(reason) };
      for (const [, p] of this.control) {
        clearTimeout(p.timer);
        p.reject(new BtpSessionError('ILPD_LOADGEN_BTP_CONNECT', `connection closed (${code})`));
      }
      this.control.clear();
      this.handlers.onClose?.(code, String(reason));
    });
    const response = await this.requestFrame(
      encodeBtpAuth(this.allocateRequestId(), this.options.username, this.options.token),
      timeoutMs,
    ).catch((err: Error) => {
      ws.terminate();
      throw err;
    });
    const type = peekBtpHeader(response).type;
    if (type !== BtpPacketType.Response) {
      const detail = type === BtpPacketType.Error ? describeError(response) : `frame type ${type}`;
      ws.terminate();
      throw new BtpSessionError(
        'ILPD_LOADGEN_BTP_AUTH',
        `${endpoint.wsUrl}: auth as "${this.options.username}" failed: ${detail}`,
      );
    }
  }

  /** Sends an ILP packet as a Message and resolves with the ILP packet of the Response. */
  async requestIlp(ilp: Buffer, timeoutMs: number): Promise<Buffer> {
    const frame = await this.requestFrame(
      encodeBtpIlpFrame(BtpPacketType.Message, this.allocateRequestId(), ilp),
      timeoutMs,
    );
    if (peekBtpHeader(frame).type === BtpPacketType.Error) {
      throw new BtpSessionError('ILPD_LOADGEN_BTP_ERROR', describeError(frame));
    }
    const data = findBtpIlpData(frame);
    if (!data) throw new BtpSessionError('ILPD_LOADGEN_BTP_ERROR', 'response carries no ilp protocol data');
    return data;
  }

  sendFrame(frame: Buffer): void {
    this.ws?.send(frame);
  }

  respondIlp(requestId: number, ilp: Buffer): void {
    this.ws?.send(encodeBtpIlpFrame(BtpPacketType.Response, requestId, ilp));
  }

  /** Batches the socket writes of one burst into a single writev. */
  cork(): void {
    if (!this.corked && this.socket) {
      this.corked = true;
      this.socket.cork();
    }
  }

  uncork(): void {
    if (this.corked && this.socket) {
      this.corked = false;
      this.socket.uncork();
    }
  }

  /** Bytes queued in user space waiting for the socket (a growing value means the peer cannot keep up). */
  get bufferedBytes(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  async close(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 2000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
  }

  private requestFrame(frame: Buffer, timeoutMs: number): Promise<Buffer> {
    const requestId = peekBtpHeader(frame).requestId;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.control.delete(requestId);
        reject(
          new BtpSessionError(
            'ILPD_LOADGEN_TIMEOUT',
            `no BTP response to request ${requestId} within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      this.control.set(requestId, { resolve, reject, timer });
      this.sendFrame(frame);
    });
  }

  private onFrame(frame: Buffer): void {
    let type: number;
    let requestId: number;
    try {
      ({ type, requestId } = peekBtpHeader(frame));
    } catch {
      this.malformedFrames++;
      return;
    }
    if (type === BtpPacketType.Response || type === BtpPacketType.Error) {
      const pending = this.control.size > 0 ? this.control.get(requestId) : undefined;
      if (pending) {
        this.control.delete(requestId);
        clearTimeout(pending.timer);
        pending.resolve(frame);
      } else {
        this.handlers.onResponse?.(requestId, type, frame);
      }
      return;
    }
    if (type === BtpPacketType.Message) {
      let ilp: Buffer | undefined;
      try {
        ilp = findBtpIlpData(frame);
      } catch (e) {
        if (!isCodecError(e)) throw e;
        this.malformedFrames++;
        return;
      }
      if (ilp && this.handlers.onIlpRequest) {
        this.handlers.onIlpRequest(requestId, ilp);
        return;
      }
    }
    // Transfers and Messages without ILP data are acknowledged with an empty Response.
    this.ws?.send(encodeBtp({ type: BtpPacketType.Response, requestId, protocolData: [] }));
  }
}

function describeError(frame: Buffer): string {
  try {
    const p = decodeBtp(frame);
    if (p.type === BtpPacketType.Error) return `${p.code} ${p.name}: ${p.data.toString('utf8')}`;
    return `frame type ${p.type}`;
  } catch {
    return 'malformed BTP Error frame';
  }
}
