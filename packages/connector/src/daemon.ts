import { encodeReject } from '@ilpd/codec';
import type { DestinationStream } from 'pino';
import type { BtpClientSide, DaemonConfig, PeerConfig } from './config/types';
import { AdminServer, type Readiness } from './http/admin-server';
import { IldcpHost } from './ildcp/ildcp-host';
import { fetchAddressFromParent } from './ildcp/ildcp-client';
import { createLedger, type InspectableLedger } from './ledger';
import { addressOrEmpty, SettableNodeIdentity } from './node-identity';
import { InFlight, NO_PEER_BUDGET } from './engine/in-flight';
import { PacketEngine } from './engine/packet-engine';
import { PacketPipeline } from './packet/pipeline';
import { RouteBroadcaster } from './routing/route-broadcaster';
import { RoutingTable } from './routing/routing-table';
import { FrameCounters } from './telemetry/frame-counters';
import { createLogger, type Logger } from './telemetry/logger';
import { DaemonMetrics } from './telemetry/metrics';
import { PeerWarnings } from './telemetry/peer-warnings';
import { TelemetryBuffer } from './telemetry/telemetry-buffer';
import { BtpClient } from './transport/btp-client';
import { BtpServer } from './transport/btp-server';
import { PeerRegistry } from './transport/peer-registry';

const ILDCP_RETRY_MS = 1000;

export interface DaemonOptions {
  /** Where logs go (stdout when omitted). */
  readonly logDestination?: DestinationStream;
}

export interface ListeningAddresses {
  readonly address: string;
  readonly btp: { readonly host: string; readonly port: number };
  readonly http: { readonly host: string; readonly port: number };
}

/**
 * The composition root: every component of the daemon is constructed here, from the config, and
 * wired to its collaborators. Reading this class top to bottom is reading the system:
 *
 *   BTP (server + clients) ─► PeerRegistry/PeerSession ─► PacketEngine (decode/validate, inline or
 *   worker pool) ─► PacketPipeline ─► ledger, routing, next hop
 *                                                              └► TelemetryBuffer ─► metrics ─► /metrics
 */
export class Daemon {
  readonly logger: Logger;
  readonly metrics = new DaemonMetrics();
  readonly frames = new FrameCounters();
  readonly telemetry: TelemetryBuffer;
  readonly warnings: PeerWarnings;
  readonly inFlight: InFlight;
  readonly ledger: InspectableLedger;
  readonly identity: SettableNodeIdentity;
  readonly routingTable = new RoutingTable();
  readonly registry: PeerRegistry;
  readonly broadcaster: RouteBroadcaster;
  readonly pipeline: PacketPipeline;
  readonly engine: PacketEngine;
  readonly btpServer: BtpServer;
  readonly btpClients: readonly BtpClient[];
  readonly admin: AdminServer;
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopPromise: Promise<void> | undefined;

  constructor(
    readonly config: DaemonConfig,
    options: DaemonOptions = {},
  ) {
    this.logger = createLogger(config.log.level, options.logDestination);
    const logger = this.logger;
    this.telemetry = new TelemetryBuffer(this.metrics, config.telemetry);
    this.ledger = createLedger(config.ledger, {
      logger,
      observer: this.telemetry,
      configDir: config.configDir,
    });
    this.identity = new SettableNodeIdentity(config.address);
    this.warnings = new PeerWarnings({
      logger,
      intervalMs: config.log.warningIntervalMs,
      count: (event) => this.metrics.countPeerWarning(event),
    });
    // The pool every peer's budget is carved from; a peer added while running must be given its
    // budget with setPeer; until then only the pool bounds it.
    const pool = { maxPackets: config.engine.maxQueue, maxBytes: config.engine.maxInFlightBytes };
    this.inFlight = new InFlight(pool, NO_PEER_BUDGET);
    for (const peer of config.peers) this.inFlight.setPeer(peer.id, peer.budget);

    this.registry = new PeerRegistry({
      peers: config.peers,
      session: {
        pingIntervalMs: config.btp.pingIntervalMs,
        maxBufferedBytes: config.btp.maxOutputBufferBytes,
      },
      frames: this.frames,
      logger: logger.child({ component: 'btp' }),
      warnings: this.warnings,
    });
    this.broadcaster = new RouteBroadcaster({
      config,
      identity: this.identity,
      routingTable: this.routingTable,
      peerLink: this.registry,
      logger: logger.child({ component: 'routing' }),
      warnings: this.warnings,
    });
    this.pipeline = new PacketPipeline({
      config,
      identity: this.identity,
      routingTable: this.routingTable,
      ledger: this.ledger,
      peerLink: this.registry,
      nextHops: this.inFlight,
      telemetry: this.telemetry,
      logger: logger.child({ component: 'packet' }),
      ildcpHost: new IldcpHost({ peers: config.peers, identity: this.identity }),
      ccp: this.broadcaster,
    });
    this.engine = new PacketEngine({
      processor: this.pipeline,
      engine: config.engine,
      logger: logger.child({ component: 'engine' }),
      inFlight: this.inFlight,
    });
    this.registry.setIlpHandler(this.engine);
    this.registry.addListener(this.broadcaster);

    this.btpServer = new BtpServer({
      btp: config.btp,
      peers: config.peers,
      registry: this.registry,
      frames: this.frames,
      logger: logger.child({ component: 'btp' }),
      warnings: this.warnings,
      onAuthFailure: (reason) => this.metrics.authFailures.inc({ reason }),
    });
    this.btpClients = config.peers.filter(isClientPeer).map(
      (peer) =>
        new BtpClient({
          peer,
          btp: config.btp,
          registry: this.registry,
          frames: this.frames,
          logger: logger.child({ component: 'btp' }),
        }),
    );

    this.metrics.collectFrom({
      packetsInFlight: () => this.inFlight.value,
      bytesInFlight: () => this.inFlight.bytes,
      inFlightByPeer: () => this.inFlight.perPeer(),
      engineQueueDepth: () => this.engine.queueDepth,
      unauthenticatedConnections: () => this.btpServer.unauthenticatedCount,
      peers: () => this.registry.peerStates(),
      ledgerReady: () => this.ledger.isReady(),
      balances: () => this.ledger.balances(),
      frames: this.frames,
    });
    this.admin = new AdminServer({
      http: config.http,
      metrics: this.metrics,
      logger,
      readiness: () => this.readiness(),
      peers: () =>
        config.peers.map((p) => ({
          id: p.id,
          relation: p.relation,
          connected: this.registry.isConnected(p.id),
          assetCode: p.assetCode,
          assetScale: p.assetScale,
        })),
      routes: () =>
        [...this.routingTable.entries()].map(([prefix, route]) => ({
          prefix,
          nextHop: route.nextHop,
          path: route.path,
        })),
      routingStatus: () => this.broadcaster.status(),
      balances: () => this.ledger.balances(),
    });
  }

  /**
   * Opens the ledger, registers the peers' accounts, listens (HTTP first, so /healthz answers while
   * the rest starts), connects to client-role peers, learns our address from a parent if the config
   * has none, then starts routing. Ready (/readyz 200) once all of that is done.
   */
  async start(): Promise<ListeningAddresses> {
    if (this.phase !== 'new') throw new Error(`Daemon.start() called in phase ${this.phase}`);
    this.phase = 'starting';
    this.telemetry.start();
    await this.ledger.start();
    for (const peer of this.config.peers) {
      await this.ledger.registerPeer({
        peerId: peer.id,
        assetCode: peer.assetCode,
        assetScale: peer.assetScale,
        maximum: peer.balance.maximum,
        minimum: peer.balance.minimum,
      });
    }
    const http = await this.admin.listen();
    this.engine.start();
    const btp = await this.btpServer.listen();
    for (const client of this.btpClients) client.start();
    if (!this.identity.isSet) await this.learnAddressFromParent();
    this.assertStillStarting();
    this.broadcaster.start();
    this.phase = 'running';
    const listening = {
      address: this.identity.address,
      btp: { host: btp.address, port: btp.port },
      http: { host: http.address, port: http.port },
    };
    this.logger.info(
      { ...listening, ledger: this.ledger.backend, peers: this.config.peers.length },
      `ilpd ready: ${listening.address}, BTP ws://${hostPort(btp)}, HTTP http://${hostPort(http)}`,
    );
    return listening;
  }

  /**
   * Graceful shutdown. Order matters: stop accepting, answer what is in flight (new Prepares get T03
   * meanwhile), and only then close sessions and flush the ledger — a Fulfill relayed upstream must
   * already be durable, and no packet may be reserving while the ledger stops. Idempotent.
   */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutdown();
    return this.stopPromise;
  }

  readiness(): Readiness {
    const reasons: string[] = [];
    if (this.phase !== 'running') reasons.push(`daemon is ${this.phase}`);
    if (!this.ledger.isReady()) reasons.push(`ledger (${this.ledger.backend}) is not ready`);
    if (!this.btpServer.isListening) reasons.push('BTP listener is not listening');
    return { ready: reasons.length === 0, reasons };
  }

  private async shutdown(): Promise<void> {
    const wasStarted = this.phase !== 'new';
    this.phase = 'stopping';
    this.logger.info({ inFlight: this.engine.inFlight.value }, 'ilpd stopping: draining in-flight packets');
    this.btpServer.stopAccepting();
    this.admin.stopAccepting();
    for (const client of this.btpClients) client.stop();
    this.registry.beginDrain(
      encodeReject({
        code: 'T03',
        triggeredBy: addressOrEmpty(this.identity),
        message: 'ilpd is shutting down',
        data: Buffer.alloc(0),
      }),
    );
    const drained = await this.drainInFlight();
    if (!drained) {
      this.logger.warn(
        { inFlight: this.engine.inFlight.value, drainTimeoutMs: this.config.shutdown.drainTimeoutMs },
        'drain timeout: closing sessions with packets still in flight',
      );
    }
    this.broadcaster.stop();
    await this.registry.closeAll();
    await this.engine.stop();
    this.telemetry.stop();
    this.warnings.stop();
    if (wasStarted) await this.ledger.stop();
    this.admin.closeAll();
    this.phase = 'stopped';
    this.logger.info('ilpd stopped');
  }

  /** True when every in-flight packet was answered within shutdown.drainTimeoutMs. */
  private async drainInFlight(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.shutdown.drainTimeoutMs);
    });
    try {
      return await Promise.race([this.engine.inFlight.whenIdle().then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Retries until the parent answers: a child connector is useless without its address. */
  private async learnAddressFromParent(): Promise<void> {
    const parent = this.config.peers.find((p) => p.relation === 'parent');
    if (parent === undefined) throw new Error('no address and no parent: the config loader forbids this');
    for (;;) {
      this.assertStillStarting();
      this.logger.info({ parent: parent.id }, 'asking the parent for our address (ILDCP)');
      try {
        const answer = await fetchAddressFromParent(
          this.registry,
          parent.id,
          this.config.btp.requestTimeoutMs,
        );
        this.identity.set(answer.clientAddress);
        return;
      } catch (err) {
        this.logger.warn(
          { parent: parent.id, err: (err as Error).message },
          'ILDCP with the parent failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, ILDCP_RETRY_MS));
      }
    }
  }

  private assertStillStarting(): void {
    if (this.phase !== 'starting') throw new Error('ilpd was stopped while starting');
  }
}

function isClientPeer(peer: PeerConfig): peer is PeerConfig & { readonly btp: BtpClientSide } {
  return peer.btp.role === 'client';
}

function hostPort(address: { address: string; port: number }): string {
  return address.address.includes(':')
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
