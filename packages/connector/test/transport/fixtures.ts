import { encodeFulfill, encodePrepare } from '@ilpd/codec';
import { createHash } from 'node:crypto';
import pino from 'pino';
import type { PeerConfig } from '../../src/config/types';
import type { IlpHandler, PeerLifecycleListener } from '../../src/ports';
import { FrameCounters } from '../../src/telemetry/frame-counters';
import { PeerWarnings, type PeerWarningEvent } from '../../src/telemetry/peer-warnings';
import { PeerRegistry } from '../../src/transport/peer-registry';

export const silentLogger = pino({ level: 'silent' });

export const FULFILLMENT = Buffer.alloc(32, 7);
export const CONDITION = createHash('sha256').update(FULFILLMENT).digest();

export function prepare(destination = 'test.x.bob', amount = 10n): Buffer {
  return encodePrepare({
    amount,
    expiresAt: new Date(Date.now() + 30_000),
    executionCondition: CONDITION,
    destination,
    data: Buffer.alloc(0),
  });
}

export const FULFILL = encodeFulfill({ fulfillment: FULFILLMENT, data: Buffer.alloc(0) });

export function serverPeer(id: string, token: string, maxConnections = 1): PeerConfig {
  return {
    id,
    relation: 'child',
    btp: { role: 'server', authToken: token, maxConnections },
    assetCode: 'USD',
    assetScale: 9,
    balance: {},
    enabled: true,
    budget: { inFlightPackets: 1000, inFlightBytes: 32 << 20, heldPackets: 500, heldBytes: 16 << 20 },
    sendRoutes: false,
    receiveRoutes: false,
  };
}

/** Records what the transport hands the packet path and answers with `answer`. */
export class RecordingHandler implements IlpHandler {
  readonly calls: { from: string; ilp: Buffer }[] = [];
  answer: (ilp: Buffer) => Promise<Buffer> = () => Promise.resolve(FULFILL);

  handleIlp(fromPeerId: string, ilp: Buffer): Promise<Buffer> {
    this.calls.push({ from: fromPeerId, ilp: Buffer.from(ilp) });
    return this.answer(ilp);
  }
}

export class RecordingListener implements PeerLifecycleListener {
  readonly events: string[] = [];
  onPeerConnected(peerId: string): void {
    this.events.push(`+${peerId}`);
  }
  onPeerDisconnected(peerId: string): void {
    this.events.push(`-${peerId}`);
  }
}

export function makeRegistry(
  peers: readonly PeerConfig[],
  pingIntervalMs = 10_000,
  maxBufferedBytes = 1 << 24,
) {
  const frames = new FrameCounters();
  const handler = new RecordingHandler();
  const listener = new RecordingListener();
  const warningEvents: PeerWarningEvent[] = [];
  const warnings = new PeerWarnings({
    logger: silentLogger,
    intervalMs: 10_000,
    count: (event) => warningEvents.push(event),
  });
  const registry = new PeerRegistry({
    peers,
    session: { pingIntervalMs, maxBufferedBytes },
    frames,
    logger: silentLogger,
    warnings,
  });
  registry.setIlpHandler(handler);
  registry.addListener(listener);
  return { registry, handler, listener, frames, warnings, warningEvents };
}

export async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
