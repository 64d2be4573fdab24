import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { BtpPacketType, decodeBtp, encodeBtp, peekBtpHeader } from '@ilpd/codec';

export interface BtpRelayOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** When given, peers must authenticate with one of these username → token pairs. */
  readonly accounts?: ReadonlyMap<string, string>;
  /** Where Messages from a peer go (username → username); default: the first other connected peer. */
  readonly routes?: ReadonlyMap<string, string>;
}

interface RelayPeer {
  readonly index: number;
  readonly ws: WebSocket;
  readonly socket: Socket | undefined;
  username?: string;
  nextId: number;
  /** relay request id → origin peer index · 2^32 + origin request id (no allocation per packet). */
  readonly pending: Map<number, number>;
  corked: boolean;
}

const TWO_32 = 4294967296;
const EMPTY = Buffer.alloc(0);

/**
 * The throughput ceiling for this machine: a BTP relay that authenticates peers like a connector, then
 * forwards each Message frame to the other peer and each Response back to its origin, matching them by
 * request id and doing no ILP work at all. Frames are forwarded as received with only the request id
 * rewritten in place.
 */
export class BtpRelay {
  private server: WebSocket.Server | undefined;
  private readonly peers = new Map<number, RelayPeer>();
  private readonly byName = new Map<string, RelayPeer>();
  private nextIndex = 1;
  relayed = 0;

  constructor(private readonly options: BtpRelayOptions) {}

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = new WebSocket.Server({
        host: this.options.host,
        port: this.options.port,
        perMessageDeflate: false,
        maxPayload: 1024 * 1024,
      });
      this.server = server;
      server.once('error', reject);
      server.once('listening', () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
      server.on('connection', (ws: WebSocket) => this.onConnection(ws));
    });
  }

  async stop(): Promise<void> {
    for (const peer of this.peers.values()) peer.ws.terminate();
    this.peers.clear();
    this.byName.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onConnection(ws: WebSocket): void {
    const peer: RelayPeer = {
      index: this.nextIndex++,
      ws,
      socket: (ws as unknown as { _socket?: Socket })._socket,
      nextId: 1,
      pending: new Map(),
      corked: false,
    };
    peer.socket?.setNoDelay(true);
    this.peers.set(peer.index, peer);
    ws.on('message', (data: Buffer) => this.onFrame(peer, data));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.peers.delete(peer.index);
      if (peer.username && this.byName.get(peer.username) === peer) this.byName.delete(peer.username);
    });
  }

  private onFrame(peer: RelayPeer, frame: Buffer): void {
    let type: number;
    let requestId: number;
    try {
      ({ type, requestId } = peekBtpHeader(frame));
    } catch {
      peer.ws.close(1002, 'malformed BTP frame');
      return;
    }
    if (peer.username === undefined) {
      this.authenticate(peer, frame, requestId);
      return;
    }
    if (type === BtpPacketType.Response || type === BtpPacketType.Error) {
      const origin = peer.pending.get(requestId);
      if (origin === undefined) return;
      peer.pending.delete(requestId);
      const target = this.peers.get(Math.floor(origin / TWO_32));
      if (!target) return;
      frame.writeUInt32BE(origin % TWO_32, 1);
      this.write(target, frame);
      return;
    }
    const target = this.targetOf(peer);
    if (!target) {
      this.write(peer, errorFrame(requestId, 'F02', 'Unreachable', 'no peer to relay to'));
      return;
    }
    const relayId = target.nextId;
    target.nextId = relayId === 0xffffffff ? 1 : relayId + 1;
    target.pending.set(relayId, peer.index * TWO_32 + requestId);
    frame.writeUInt32BE(relayId, 1);
    this.relayed++;
    this.write(target, frame);
  }

  private targetOf(peer: RelayPeer): RelayPeer | undefined {
    const routed = peer.username ? this.options.routes?.get(peer.username) : undefined;
    if (routed !== undefined) return this.byName.get(routed);
    for (const other of this.byName.values()) if (other !== peer) return other;
    return undefined;
  }

  /** Writes made while handling one socket read are flushed together on the next tick. */
  private write(peer: RelayPeer, frame: Buffer): void {
    if (!peer.corked && peer.socket) {
      peer.corked = true;
      peer.socket.cork();
      process.nextTick(() => {
        peer.corked = false;
        peer.socket?.uncork();
      });
    }
    peer.ws.send(frame);
  }

  private authenticate(peer: RelayPeer, frame: Buffer, requestId: number): void {
    let username: string | undefined;
    let token: string | undefined;
    try {
      const p = decodeBtp(frame);
      if (p.type === BtpPacketType.Message && p.protocolData[0]?.protocolName === 'auth') {
        for (const pd of p.protocolData) {
          if (pd.protocolName === 'auth_username') username = pd.data.toString('utf8');
          if (pd.protocolName === 'auth_token') token = pd.data.toString('utf8');
        }
      }
    } catch {
      // falls through to the refusal below
    }
    const accounts = this.options.accounts;
    const ok =
      username !== undefined &&
      username.length > 0 &&
      token !== undefined &&
      (!accounts || accounts.get(username) === token);
    if (!ok || username === undefined) {
      peer.ws.send(errorFrame(requestId, 'F00', 'NotAcceptedError', 'invalid auth'), () =>
        peer.ws.close(1008),
      );
      return;
    }
    peer.username = username;
    this.byName.set(username, peer);
    peer.ws.send(encodeBtp({ type: BtpPacketType.Response, requestId, protocolData: [] }));
  }
}

function errorFrame(requestId: number, code: string, name: string, message: string): Buffer {
  return encodeBtp({
    type: BtpPacketType.Error,
    requestId,
    code,
    name,
    triggeredAt: new Date(),
    data: message ? Buffer.from(message, 'utf8') : EMPTY,
    protocolData: [],
  });
}
