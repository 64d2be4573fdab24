import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PeerBalance } from '../ledger/types';
import { FRAME_DIRECTIONS, FRAME_TYPES, type FrameCounters } from './frame-counters';
import { PEER_WARNING_EVENTS, type PeerWarningEvent } from './peer-warnings';

/**
 * The daemon's Prometheus registry (not prom-client's global one, so two daemons in one process — as
 * in tests — never share series). Names are stable; labels are bounded: packet labels take values from
 * fixed sets (ILP codes are shape-checked), peer labels come from the config, never from packets.
 */
export const PACKET_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
];
const LEDGER_BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const LEDGER_FLUSH_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** A peer's configured balance limits, in its smallest unit (undefined = unlimited). */
export interface PeerLimits {
  readonly peerId: string;
  readonly assetCode: string;
  readonly assetScale: number;
  readonly minimum?: bigint;
  readonly maximum?: bigint;
}

/** One peer's share of the in-flight pool (the engine's InFlight). */
export interface PeerInFlightFigures {
  readonly peerId: string;
  readonly packets: number;
  readonly bytes: number;
  readonly heldPackets: number;
  readonly heldBytes: number;
  readonly refusedByPeerBudget: number;
  readonly refusedByPool: number;
  readonly refusedByHeldBudget: number;
}

/** Read on every scrape; wired by the composition root once the components exist. */
export interface MetricSources {
  packetsInFlight(): number;
  /** engine.maxQueue: beyond this many packets in flight, Prepares get T03. */
  engineMaxQueue(): number;
  engineQueueDepth(): number;
  /** Micro-batches handed to the engine's worker pool since start (0 when decoding inline). */
  engineBatches(): number;
  /** The enabled peers now configured (peers added or removed at runtime come and go here). */
  peers(): Iterable<{ readonly peerId: string; readonly connected: boolean; readonly connections: number }>;
  peerLimits(): Iterable<PeerLimits>;
  bytesInFlight(): number;
  inFlightByPeer(): Iterable<PeerInFlightFigures>;
  unauthenticatedConnections(): number;
  ledgerReady(): boolean;
  balances(): Promise<readonly PeerBalance[]>;
  frames: FrameCounters;
}

export type AuthFailureReason = 'bad_token' | 'unknown_peer' | 'disabled' | 'malformed' | 'timeout';

export class DaemonMetrics {
  readonly registry = new Registry();
  readonly packets: Counter<'type' | 'result' | 'code'>;
  readonly packetDuration: Histogram<'result'>;
  readonly ledgerBatchSize: Histogram;
  readonly ledgerFlushDuration: Histogram;
  readonly ledgerFlushes: Counter<'result'>;
  readonly telemetryFlushes: Counter;
  readonly authFailures: Counter<'reason'>;
  readonly configChanges: Counter<'source' | 'result'>;
  readonly configLastChangeSuccessful: Gauge;
  readonly peerWarnings: Counter<'event'>;
  private sources: MetricSources | undefined;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.packets = new Counter({
      name: 'ilpd_packets_total',
      help: 'ILP Prepares answered, by type (forwarded: answered by the next hop; local: answered by ilpd), result and ILP code ("" when fulfilled).',
      labelNames: ['type', 'result', 'code'],
      registers,
    });
    this.packetDuration = new Histogram({
      name: 'ilpd_packet_duration_seconds',
      help: 'Time from receiving a Prepare to sending its Fulfill or Reject.',
      labelNames: ['result'],
      buckets: PACKET_DURATION_BUCKETS,
      registers,
    });
    this.ledgerBatchSize = new Histogram({
      name: 'ilpd_ledger_batch_size',
      help: 'Transfers per ledger write batch.',
      buckets: LEDGER_BATCH_BUCKETS,
      registers,
    });
    this.ledgerFlushDuration = new Histogram({
      name: 'ilpd_ledger_flush_duration_seconds',
      help: 'Time to make one ledger write batch durable.',
      buckets: LEDGER_FLUSH_BUCKETS,
      registers,
    });
    this.ledgerFlushes = new Counter({
      name: 'ilpd_ledger_flushes_total',
      help: 'Ledger write batches, by result (ok, error).',
      labelNames: ['result'],
      registers,
    });
    this.telemetryFlushes = new Counter({
      name: 'ilpd_telemetry_flushes_total',
      help: 'Flushes of the packet telemetry buffer into these metrics.',
      registers,
    });
    this.authFailures = new Counter({
      name: 'ilpd_btp_auth_failures_total',
      help: 'BTP connections closed for failing authentication, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.configChanges = new Counter({
      name: 'ilpd_config_changes_total',
      help: 'Runtime config changes (admin API, SIGHUP, ilpd reload), by source (admin, reload) and result (applied, refused, failed).',
      labelNames: ['source', 'result'],
      registers,
    });
    this.configLastChangeSuccessful = new Gauge({
      name: 'ilpd_config_last_change_successful',
      help: '1 when the last runtime config change (or the startup config) was applied; 0 when it was refused or failed.',
      registers,
    });
    this.configLastChangeSuccessful.set(1);
    this.peerWarnings = new Counter({
      name: 'ilpd_peer_warnings_total',
      help: 'Peer-triggered warnings, by event, each counted even when its log line was rate-limited away.',
      labelNames: ['event'],
      registers,
    });
    for (const event of PEER_WARNING_EVENTS) this.peerWarnings.inc({ event }, 0);
    this.registerScrapeGauges(registers);
    this.registerInFlightGauges(registers);
  }

  countPeerWarning(event: PeerWarningEvent): void {
    this.peerWarnings.inc({ event });
  }

  /** Connects the scrape-time gauges to the live components. */
  collectFrom(sources: MetricSources): void {
    this.sources = sources;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private registerInFlightGauges(registers: Registry[]): void {
    const self = (): MetricSources | undefined => this.sources;
    new Gauge({
      name: 'ilpd_bytes_in_flight',
      help: 'ILP bytes of the Prepares in flight (beyond engine.maxInFlightBytes: T03).',
      registers,
      collect() {
        this.set(self()?.bytesInFlight() ?? 0);
      },
    });
    new Gauge({
      name: 'ilpd_peer_packets_in_flight',
      help: 'Prepares in flight per peer: incoming = sent by the peer and unanswered (its budget, T05 beyond); held = forwarded to the peer and unanswered by it (T02 beyond).',
      labelNames: ['peer', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const p of self()?.inFlightByPeer() ?? []) {
          this.set({ peer: p.peerId, direction: 'incoming' }, p.packets);
          this.set({ peer: p.peerId, direction: 'held' }, p.heldPackets);
        }
      },
    });
    new Gauge({
      name: 'ilpd_peer_bytes_in_flight',
      help: 'ILP bytes of the Prepares in flight per peer, by direction (incoming, held).',
      labelNames: ['peer', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const p of self()?.inFlightByPeer() ?? []) {
          this.set({ peer: p.peerId, direction: 'incoming' }, p.bytes);
          this.set({ peer: p.peerId, direction: 'held' }, p.heldBytes);
        }
      },
    });
    new Counter({
      name: 'ilpd_peer_budget_refusals_total',
      help: 'Prepares refused at admission, by peer and the bound that refused them: peer (its own budget, T05), pool (the shared pool, T03), held (the next hop holds its budget, T02; peer = the next hop).',
      labelNames: ['peer', 'budget'],
      registers,
      collect() {
        this.reset();
        for (const p of self()?.inFlightByPeer() ?? []) {
          if (p.refusedByPeerBudget > 0) this.inc({ peer: p.peerId, budget: 'peer' }, p.refusedByPeerBudget);
          if (p.refusedByPool > 0) this.inc({ peer: p.peerId, budget: 'pool' }, p.refusedByPool);
          if (p.refusedByHeldBudget > 0) this.inc({ peer: p.peerId, budget: 'held' }, p.refusedByHeldBudget);
        }
      },
    });
    new Gauge({
      name: 'ilpd_btp_unauthenticated_connections',
      help: 'Connections accepted on the BTP port that have not authenticated yet (capped by btp.maxUnauthenticated).',
      registers,
      collect() {
        this.set(self()?.unauthenticatedConnections() ?? 0);
      },
    });
    new Gauge({
      name: 'ilpd_peer_connections',
      help: 'Authenticated BTP connections per configured peer (up to peers[].btp.maxConnections).',
      labelNames: ['peer'],
      registers,
      collect() {
        // Reset first: a peer removed or disabled at runtime must not leave a stale series behind.
        this.reset();
        for (const peer of self()?.peers() ?? []) this.set({ peer: peer.peerId }, peer.connections);
      },
    });
  }

  private registerScrapeGauges(registers: Registry[]): void {
    const self = (): MetricSources | undefined => this.sources;
    new Gauge({
      name: 'ilpd_packets_in_flight',
      help: 'ILP Prepares admitted to the packet path and not yet answered (beyond engine.maxQueue: T03).',
      registers,
      collect() {
        this.set(self()?.packetsInFlight() ?? 0);
      },
    });
    new Gauge({
      name: 'ilpd_engine_max_queue',
      help: 'engine.maxQueue: packets in flight beyond which Prepares get T03.',
      registers,
      collect() {
        this.set(self()?.engineMaxQueue() ?? 0);
      },
    });
    new Counter({
      name: 'ilpd_engine_batches_total',
      help: 'Micro-batches of packets handed to the engine worker pool (stays 0 when decoding inline).',
      registers,
      collect() {
        const sources = self();
        if (sources === undefined) return;
        this.reset();
        const total = sources.engineBatches();
        if (total > 0) this.inc(total);
      },
    });
    new Gauge({
      name: 'ilpd_engine_queue_depth',
      help: 'Packets waiting for or in decoding in the engine worker pool (0 when decoding inline).',
      registers,
      collect() {
        this.set(self()?.engineQueueDepth() ?? 0);
      },
    });
    new Gauge({
      name: 'ilpd_peer_connected',
      help: '1 while the configured (enabled) peer has an authenticated BTP session.',
      labelNames: ['peer'],
      registers,
      collect() {
        // Reset first: a peer removed or disabled at runtime must not leave a stale series behind.
        this.reset();
        for (const peer of self()?.peers() ?? []) this.set({ peer: peer.peerId }, peer.connected ? 1 : 0);
      },
    });
    new Gauge({
      name: 'ilpd_peer_balance_limit',
      help: 'Configured balance limit in whole asset units, by bound: maximum (most the peer may owe us) and minimum (most we may owe it, <= 0); absent = unlimited.',
      labelNames: ['peer', 'asset', 'bound'],
      registers,
      collect() {
        this.reset();
        for (const p of self()?.peerLimits() ?? []) {
          const labels = { peer: p.peerId, asset: p.assetCode };
          if (p.maximum !== undefined)
            this.set({ ...labels, bound: 'maximum' }, toUnits(p.maximum, p.assetScale));
          if (p.minimum !== undefined)
            this.set({ ...labels, bound: 'minimum' }, toUnits(p.minimum, p.assetScale));
        }
      },
    });
    new Gauge({
      name: 'ilpd_ledger_ready',
      help: '1 while the ledger backend accepts writes.',
      registers,
      collect() {
        this.set(self()?.ledgerReady() ? 1 : 0);
      },
    });
    // Both balance gauges are filled from one ledger query per scrape (prom-client collects in parallel).
    let inFlightQuery: Promise<readonly PeerBalance[] | undefined> | undefined;
    const scrapeBalances = (): Promise<readonly PeerBalance[] | undefined> => {
      const sources = self();
      if (sources === undefined || !sources.ledgerReady()) return Promise.resolve(undefined);
      inFlightQuery ??= sources
        .balances()
        .catch(() => undefined)
        .finally(() => {
          inFlightQuery = undefined;
        });
      return inFlightQuery;
    };
    new Gauge({
      name: 'ilpd_peer_balance',
      help: 'Posted balance in whole asset units (amount / 10^assetScale); positive = the peer owes us.',
      labelNames: ['peer', 'asset'],
      registers,
      async collect() {
        const balances = await scrapeBalances();
        if (balances === undefined) return;
        this.reset();
        for (const b of balances)
          this.set({ peer: b.peerId, asset: b.assetCode }, toUnits(b.balance, b.assetScale));
      },
    });
    new Gauge({
      name: 'ilpd_peer_balance_pending',
      help: 'Reserved by unanswered Prepares, in whole asset units, by direction (incoming, outgoing).',
      labelNames: ['peer', 'asset', 'direction'],
      registers,
      async collect() {
        const balances = await scrapeBalances();
        if (balances === undefined) return;
        this.reset();
        for (const b of balances) {
          const labels = { peer: b.peerId, asset: b.assetCode };
          this.set({ ...labels, direction: 'incoming' }, toUnits(b.pendingIncoming, b.assetScale));
          this.set({ ...labels, direction: 'outgoing' }, toUnits(b.pendingOutgoing, b.assetScale));
        }
      },
    });
    new Counter({
      name: 'ilpd_btp_frames_total',
      help: 'BTP frames sent and received, by direction (in, out) and type.',
      labelNames: ['direction', 'type'],
      registers,
      collect() {
        const frames = self()?.frames;
        if (frames === undefined) return;
        this.reset();
        for (const direction of FRAME_DIRECTIONS) {
          for (const type of FRAME_TYPES) {
            const total = frames.total(direction, type);
            if (total > 0) this.inc({ direction, type }, total);
          }
        }
      },
    });
  }
}

/** Whole units as a float: exact for balances below 2^53 smallest units, close enough for graphs above. */
export function toUnits(amount: bigint, assetScale: number): number {
  return Number(amount) / 10 ** assetScale;
}
