import { createHash, randomBytes } from 'node:crypto';
import { encodeFulfill, encodePrepare, encodeReject } from '@ilpd/codec';
import pino from 'pino';
import type { DaemonConfig, PeerConfig } from '../../src/config/types';
import { DaemonError } from '../../src/errors';
import type { Clock, PacketOutcome, PacketTelemetry, PeerLink } from '../../src/ports';

/** Test factories for the packet path: config, packets, a pinned clock and an in-memory PeerLink. */

export const OUR_ADDRESS = 'test.ilpd';
export const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export const silentLogger = pino({ level: 'silent' });

export function makePeer(id: string, overrides: Partial<PeerConfig> = {}): PeerConfig {
  const relation = overrides.relation ?? 'child';
  return {
    id,
    relation,
    btp: { role: 'server', authToken: `${id}-token`, maxConnections: 4 },
    assetCode: 'USD',
    assetScale: 9,
    balance: {},
    enabled: true,
    budget: { inFlightPackets: 1000, inFlightBytes: 32 << 20, heldPackets: 500, heldBytes: 16 << 20 },
    sendRoutes: relation !== 'child',
    receiveRoutes: relation !== 'child',
    ...overrides,
  };
}

export function makeConfig(overrides: Partial<DaemonConfig> = {}): DaemonConfig {
  return {
    address: OUR_ADDRESS,
    btp: {
      host: '127.0.0.1',
      port: 0,
      maxPayloadBytes: 1 << 20,
      authTimeoutMs: 2000,
      pingIntervalMs: 30_000,
      requestTimeoutMs: 30_000,
      maxOutputBufferBytes: 1 << 20,
      maxUnauthenticated: 256,
      maxUnauthenticatedPerSource: 16,
    },
    http: { host: '127.0.0.1', port: 0 },
    admin: { enabled: false, host: '127.0.0.1', port: 0 },
    log: { level: 'silent', format: 'json', warningIntervalMs: 10_000 },
    packet: { minMessageWindowMs: 1000, maxHoldTimeMs: 30_000 },
    routing: { broadcast: true, broadcastIntervalMs: 30_000, routeExpiryMs: 45_000, maxRoutesPerPeer: 1000 },
    routes: [],
    fx: { spread: 0, rates: {} },
    ledger: {
      backend: 'embedded',
      batchSize: 100,
      flushIntervalMs: 2,
      maxQueue: 10_000,
      pendingTimeoutMs: 60_000,
      embedded: { path: 'ledger.sqlite' },
      tigerbeetle: { clusterId: 0n, addresses: [], requestTimeoutMs: 1000 },
    },
    engine: { workers: 0, batchSize: 100, maxQueue: 10_000, maxInFlightBytes: 64 << 20 },
    telemetry: { bufferSize: 1000, flushIntervalMs: 100 },
    shutdown: { drainTimeoutMs: 1000 },
    peers: [makePeer('alice'), makePeer('bob')],
    configDir: '/tmp',
    ...overrides,
  };
}

export class PinnedClock implements Clock {
  constructor(
    public nowMs: number = T0,
    public monotonicMs = 1000,
  ) {}

  now(): number {
    return this.nowMs;
  }

  monotonic(): number {
    return this.monotonicMs;
  }

  advance(ms: number): void {
    this.nowMs += ms;
    this.monotonicMs += ms;
  }
}

export class RecordingTelemetry implements PacketTelemetry {
  readonly outcomes: PacketOutcome[] = [];

  recordPacket(outcome: PacketOutcome): void {
    this.outcomes.push(outcome);
  }
}

export type PeerResponder = (ilp: Buffer, timeoutMs: number) => Promise<Buffer>;

/** PeerLink whose peers are functions; records every packet sent. */
export class FakePeerLink implements PeerLink {
  readonly connected = new Set<string>();
  readonly sent: Array<{ peerId: string; ilp: Buffer; timeoutMs: number }> = [];
  private readonly responders = new Map<string, PeerResponder>();

  connect(peerId: string, responder?: PeerResponder): this {
    this.connected.add(peerId);
    if (responder) this.responders.set(peerId, responder);
    return this;
  }

  disconnect(peerId: string): void {
    this.connected.delete(peerId);
  }

  isConnected(peerId: string): boolean {
    return this.connected.has(peerId);
  }

  async sendIlp(peerId: string, ilp: Buffer, timeoutMs: number): Promise<Buffer> {
    this.sent.push({ peerId, ilp, timeoutMs });
    const responder = this.responders.get(peerId);
    if (!this.connected.has(peerId) || responder === undefined) {
      throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `${peerId} is not connected`);
    }
    // The PeerLink contract: no answer within timeoutMs is ILPD_ERR_TIMED_OUT, and a later one is dropped.
    const answering = Promise.resolve().then(() => responder(ilp, timeoutMs));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new DaemonError('ILPD_ERR_TIMED_OUT', `${peerId} did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      answering.then(
        (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }
}

export function conditionPair(): { fulfillment: Buffer; condition: Buffer } {
  const fulfillment = randomBytes(32);
  return { fulfillment, condition: createHash('sha256').update(fulfillment).digest() };
}

export interface PrepareFields {
  amount?: bigint;
  expiresAt?: Date;
  executionCondition?: Buffer;
  destination?: string;
  data?: Buffer;
}

export function makePrepare(fields: PrepareFields = {}, nowMs: number = T0): Buffer {
  return encodePrepare({
    amount: fields.amount ?? 100n,
    expiresAt: fields.expiresAt ?? new Date(nowMs + 10_000),
    executionCondition: fields.executionCondition ?? conditionPair().condition,
    destination: fields.destination ?? `${OUR_ADDRESS}.bob.receiver`,
    data: fields.data ?? Buffer.from('hello'),
  });
}

export function makeFulfill(fulfillment: Buffer, data: Buffer = Buffer.alloc(0)): Buffer {
  return encodeFulfill({ fulfillment, data });
}

export function makeReject(code: string, triggeredBy: string, message = 'downstream says no'): Buffer {
  return encodeReject({ code, triggeredBy, message, data: Buffer.from('downstream-data') });
}
