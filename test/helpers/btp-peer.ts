import {
  BtpPacketType,
  decodeBtp,
  decodePrepare,
  encodeBtp,
  encodeBtpAuth,
  encodeBtpIlpFrame,
  encodeFulfill,
  encodeReject,
  findBtpIlpData,
  type BtpPacket,
  type PrepareView,
} from '@ilpd/codec';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';

/**
 * A minimal BTP peer over raw `ws` and @ilpd/codec, for end-to-end suites: it authenticates as a
 * client (connectBtpPeer) or accepts one authenticated client (listenBtpPeer), sends ILP Prepares and
 * answers incoming ones with `onPrepare`. Written against the ws API common to ws 6 and 8.
 */
export type PrepareHandler = (prepare: PrepareView, raw: Buffer) => Buffer | Promise<Buffer>;

export interface BtpPeerOptions {
  /** Answers incoming Prepares; by default they are rejected with F02. */
  readonly onPrepare?: PrepareHandler;
  readonly requestTimeoutMs?: number;
}

export class BtpRequestError extends Error {
  constructor(
    readonly code: string,
    readonly btpName: string,
    readonly detail: string,
  ) {
    super(`BTP error ${code} ${btpName}: ${detail}`);
  }
}

interface Pending {
  resolve(frame: BtpPacket): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class BtpPeer {
  /** Every frame received, decoded (or the raw bytes when undecodable). */
  readonly received: (BtpPacket | Buffer)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextRequestId = 1000;
  private readonly pending = new Map<number, Pending>();
  private onPrepare: PrepareHandler;

  constructor(
    readonly ws: WebSocket,
    private readonly options: BtpPeerOptions = {},
  ) {
    this.onPrepare = options.onPrepare ?? (() => rejectPacket('F02', 'no handler in the test peer'));
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer | string) => {
        for (const p of this.pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`connection closed (${code})`));
        }
        this.pending.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => this.onFrame(Buffer.from(data)));
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  setPrepareHandler(handler: PrepareHandler): void {
    this.onPrepare = handler;
  }

  /** Sends a BTP request frame and resolves with the Response (rejects with BtpRequestError on Error). */
  request(frame: BtpPacket): Promise<BtpPacket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(frame.requestId);
        reject(new Error(`no answer to BTP request ${frame.requestId}`));
      }, this.options.requestTimeoutMs ?? 10_000);
      this.pending.set(frame.requestId, { resolve, reject, timer });
      this.ws.send(encodeBtp(frame));
    });
  }

  /** Sends an ILP packet in a BTP Message and resolves with the ILP packet of the Response. */
  async sendIlp(ilp: Buffer): Promise<Buffer> {
    const requestId = this.allocateRequestId();
    const answer = await this.request({
      type: BtpPacketType.Message,
      requestId,
      protocolData: [{ protocolName: 'ilp', contentType: 0, data: ilp }],
    });
    const entry = answer.protocolData.find((p) => p.protocolName === 'ilp');
    if (entry === undefined) throw new Error('BTP response without ilp protocol data');
    return Buffer.from(entry.data);
  }

  sendRaw(bytes: Buffer): void {
    this.ws.send(bytes);
  }

  allocateRequestId(): number {
    return this.nextRequestId++;
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    return this.closed.finally(() => clearTimeout(timer));
  }

  private onFrame(bytes: Buffer): void {
    let frame: BtpPacket;
    try {
      frame = decodeBtp(bytes);
    } catch {
      this.received.push(bytes);
      return;
    }
    this.received.push(frame);
    if (frame.type === BtpPacketType.Response || frame.type === BtpPacketType.Error) {
      const pending = this.pending.get(frame.requestId);
      if (pending === undefined) return;
      this.pending.delete(frame.requestId);
      clearTimeout(pending.timer);
      if (frame.type === BtpPacketType.Response) pending.resolve(frame);
      else pending.reject(new BtpRequestError(frame.code, frame.name, frame.data.toString('utf8')));
      return;
    }
    if (frame.type === BtpPacketType.Message) {
      const ilp = findBtpIlpData(bytes);
      if (ilp === undefined) {
        this.ws.send(
          encodeBtp({ type: BtpPacketType.Response, requestId: frame.requestId, protocolData: [] }),
        );
        return;
      }
      void Promise.resolve()
        .then(() => this.onPrepare(decodePrepare(Buffer.from(ilp)), Buffer.from(ilp)))
        .catch((err: unknown) => rejectPacket('T00', `test peer handler failed: ${(err as Error).message}`))
        .then((answer) => {
          if (this.ws.readyState === WebSocket.OPEN) {
            this.ws.send(encodeBtpIlpFrame(BtpPacketType.Response, frame.requestId, answer));
          }
        });
    }
  }
}

/** The RFC 23 auth Message as ilp-plugin-btp sends it (the codec's encodeBtpAuth, as a packet). */
export function authFrame(requestId: number, username: string, token: string): BtpPacket {
  return decodeBtp(encodeBtpAuth(requestId, username, token));
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Connects and authenticates; rejects with BtpRequestError when the server refuses the credentials. */
export async function connectBtpPeer(
  url: string,
  credentials: { readonly username: string; readonly token: string },
  options: BtpPeerOptions = {},
): Promise<BtpPeer> {
  const peer = new BtpPeer(await openSocket(url), options);
  await peer.request(authFrame(peer.allocateRequestId(), credentials.username, credentials.token));
  return peer;
}

/** A connected but unauthenticated socket, for auth-failure and malformed-frame tests. */
export async function connectRawBtpPeer(url: string, options: BtpPeerOptions = {}): Promise<BtpPeer> {
  return new BtpPeer(await openSocket(url), options);
}

export interface BtpPeerServer {
  readonly port: number;
  readonly url: string;
  /** Authenticated peers, in connection order. */
  readonly peers: BtpPeer[];
  /** Resolves with the next peer that authenticates (or the latest one if connected since the last call). */
  nextPeer(timeoutMs?: number): Promise<BtpPeer>;
  close(): Promise<void>;
}

/** A BTP server that accepts clients presenting `token` (any username) and answers their Prepares. */
export function listenBtpPeer(
  options: BtpPeerOptions & { readonly token: string; readonly port?: number },
): Promise<BtpPeerServer> {
  return new Promise((resolve, reject) => {
    const wss = new WebSocket.Server({ host: '127.0.0.1', port: options.port ?? 0 });
    const peers: BtpPeer[] = [];
    const sockets = new Set<WebSocket>();
    let waiters: ((peer: BtpPeer) => void)[] = [];
    let unclaimed: BtpPeer | undefined;
    wss.on('connection', (ws: WebSocket) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => undefined);
      ws.once('message', (data: Buffer) => {
        const auth = decodeBtp(Buffer.from(data));
        const token = auth.protocolData.find((p) => p.protocolName === 'auth_token')?.data.toString('utf8');
        if (token !== options.token) {
          ws.send(
            encodeBtp({
              type: BtpPacketType.Error,
              requestId: auth.requestId,
              code: 'F00',
              name: 'NotAcceptedError',
              triggeredAt: new Date(),
              data: Buffer.from('invalid auth_token'),
              protocolData: [],
            }),
          );
          ws.close();
          return;
        }
        const peer = new BtpPeer(ws, options);
        peers.push(peer);
        ws.send(encodeBtp({ type: BtpPacketType.Response, requestId: auth.requestId, protocolData: [] }));
        const waiter = waiters.shift();
        if (waiter !== undefined) waiter(peer);
        else unclaimed = peer;
      });
    });
    wss.once('error', reject);
    wss.once('listening', () => {
      const port = (wss.address() as AddressInfo).port;
      resolve({
        port,
        url: `btp+ws://127.0.0.1:${port}`,
        peers,
        nextPeer(timeoutMs = 15_000) {
          if (unclaimed !== undefined) {
            const peer = unclaimed;
            unclaimed = undefined;
            return Promise.resolve(peer);
          }
          return new Promise((resolvePeer, rejectPeer) => {
            const timer = setTimeout(() => {
              waiters = waiters.filter((w) => w !== onPeer);
              rejectPeer(new Error(`no BTP peer authenticated within ${timeoutMs} ms`));
            }, timeoutMs);
            const onPeer = (peer: BtpPeer): void => {
              clearTimeout(timer);
              resolvePeer(peer);
            };
            waiters.push(onPeer);
          });
        },
        close() {
          for (const ws of sockets) ws.terminate();
          return new Promise((done) => wss.close(() => done()));
        },
      });
    });
  });
}

/** ILP answers for onPrepare handlers. */
export function fulfillPacket(fulfillment: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  return encodeFulfill({ fulfillment, data });
}

export function rejectPacket(code: string, message: string, triggeredBy = 'test.peer'): Buffer {
  return encodeReject({ code, triggeredBy, message, data: Buffer.alloc(0) });
}
