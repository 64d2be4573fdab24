import type { DaemonConfig } from './types';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The worst-case resident memory of ilpd as a function of its config, term by term, as
 * docs/operators/security.md states it and test/isolation/memory-bound.test.ts holds the daemon to it
 * under the worst inputs (oversized data, black holes, slow readers, pre-auth hogs, all at once).
 * The per-item constants were measured on Node 20 (x64) and rounded up; `ilpd config check` prints
 * the total.
 */
export const MEMORY_CONSTANTS = {
  /** Node, V8 at rest, SQLite and the daemon's fixed structures: ~80 MB measured idle, rounded up. */
  baseBytes: 96 * MiB,
  /** Bookkeeping per Prepare in flight (promises, timers, the ledger's pending entry): ~6.4 KB measured. */
  perPacketBytes: 8 * KiB,
  /**
   * Copies of a Prepare's bytes while in flight: the one we received and hold, and the one we forward
   * until the socket has taken it (2.4 × was measured with garbage not yet collected; that is in gcBytes).
   */
  packetByteCopies: 2,
  /** Per connection, besides its frame and output caps: a socket read (64 KiB) and ws/session state. */
  perConnectionBytes: 96 * KiB,
  /** Per unauthenticated connection: its pre-auth byte cap (64 KiB) and socket/HTTP/ws state. */
  perUnauthenticatedBytes: 96 * KiB,
  /** Per learned route: at most 4 KiB of addresses (MAX_ROUTE_BYTES), plus maps and the forwarding log. */
  perRouteBytes: 6 * KiB,
  /** Per transfer queued for the ledger writer (ledger.maxQueue). */
  perLedgerTransferBytes: 512,
  /**
   * Garbage between collections: V8 collects once external memory (packet buffers) has grown by 64 MiB,
   * and its young generation is up to 3 × 16 MiB.
   */
  gcBytes: 112 * MiB,
} as const;

export interface MemoryBound {
  readonly totalBytes: number;
  /** Each term of the formula, in bytes, by name. */
  readonly terms: Readonly<Record<string, number>>;
}

/**
 * M = base + gc
 *   + min(engine.maxQueue, Σ budget.inFlightPackets) × perPacket
 *   + min(engine.maxInFlightBytes, Σ budget.inFlightBytes) × packetByteCopies
 *   + connections × (btp.maxPayloadBytes + btp.maxOutputBufferBytes + perConnection)
 *   + btp.maxUnauthenticated × perUnauthenticated
 *   + Σ(peers with receiveRoutes) × routing.maxRoutesPerPeer × perRoute
 *   + ledger.maxQueue × perLedgerTransfer
 * where connections = Σ(server peers) btp.maxConnections + (client peers).
 */
export function worstCaseMemory(config: DaemonConfig): MemoryBound {
  const c = MEMORY_CONSTANTS;
  let budgetPackets = 0;
  let budgetBytes = 0;
  let connections = 0;
  let routePeers = 0;
  for (const peer of config.peers) {
    budgetPackets += peer.budget.inFlightPackets;
    budgetBytes += peer.budget.inFlightBytes;
    connections += peer.btp.role === 'server' ? peer.btp.maxConnections : 1;
    if (peer.receiveRoutes) routePeers++;
  }
  const { btp, engine } = config;
  const terms = {
    base: c.baseBytes,
    gc: c.gcBytes,
    packets: Math.min(engine.maxQueue, budgetPackets) * c.perPacketBytes,
    packetBytes: Math.min(engine.maxInFlightBytes, budgetBytes) * c.packetByteCopies,
    connections: connections * (btp.maxPayloadBytes + btp.maxOutputBufferBytes + c.perConnectionBytes),
    unauthenticated: btp.maxUnauthenticated * c.perUnauthenticatedBytes,
    routes: routePeers * config.routing.maxRoutesPerPeer * c.perRouteBytes,
    ledgerQueue: config.ledger.maxQueue * c.perLedgerTransferBytes,
  };
  const totalBytes = Object.values(terms).reduce((sum, term) => sum + term, 0);
  return { totalBytes, terms };
}
