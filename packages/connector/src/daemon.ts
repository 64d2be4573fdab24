import { encodeReject } from '@ilpd/codec';
import type { DestinationStream } from 'pino';
import type { BtpClientSide, DaemonConfig, PeerConfig } from './config/types';
import { AdminServer, type Readiness } from './http/admin-server';
import { IldcpHost } from './ildcp/ildcp-host';
import { fetchAddressFromParent } from './ildcp/ildcp-client';
import { createLedger, type InspectableLedger } from './ledger';
import { readBalanceReport } from './ledger/balance-report';
import { addressOrEmpty, SettableNodeIdentity } from './node-identity';
import { PacketEngine } from './engine/packet-engine';
import { PacketPipeline } from './packet/pipeline';
import { RouteBroadcaster } from './routing/route-broadcaster';
import { RoutingTable } from './routing/routing-table';
import { FrameCounters } from './telemetry/frame-counters';
import { createLogger, resolveLogFormat, type LogFormat, type Logger } from './telemetry/logger';
import { DaemonMetrics } from './telemetry/metrics';
import { TelemetryBuffer } from './telemetry/telemetry-buffer';
import { BtpClient } from './transport/btp-client';
import { BtpServer } from './transport/btp-server';
import { PeerRegistry } from './transport/peer-registry';

/** How many maximum-size frames of our output a peer may leave unread before we drop its session. */
const UNREAD_OUTPUT_FRAMES = 32;
const ILDCP_RETRY_MS = 1000;

export interface DaemonOptions {
  /** Where logs go (stdout when omitted). */
  readonly logDestination?: DestinationStream;
  /** Overrides `log.format` (`ilpd start --log-format`). */
  readonly logFormat?: LogFormat;
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
    this.logger = createLogger(config.log.level, {
      format:
        options.logFormat ??
        resolveLogFormat(
          config.log.format,
          options.logDestination === undefined ? process.stdout.isTTY : false,
        ),
      destination: options.logDestination,
    });
    const logger = this.logger;
    this.telemetry = new TelemetryBuffer(this.metrics, config.telemetry);
    this.ledger = createLedger(config.ledger, {
      logger,
      observer: this.telemetry,
      configDir: config.configDir,
    });
    this.identity = new SettableNodeIdentity(config.address);

    this.registry = new PeerRegistry({
      peers: config.peers,
      session: {
        pingIntervalMs: config.btp.pingIntervalMs,
        maxBufferedBytes: UNREAD_OUTPUT_FRAMES * config.btp.maxPayloadBytes,
      },
      frames: this.frames,
      logger: logger.child({ component: 'btp' }),
    });
    this.broadcaster = new RouteBroadcaster({
      config,
      identity: this.identity,
      routingTable: this.routingTable,
      peerLink: this.registry,
      logger: logger.child({ component: 'routing' }),
    });
    this.pipeline = new PacketPipeline({
      config,
      identity: this.identity,
      routingTable: this.routingTable,
      ledger: this.ledger,
      peerLink: this.registry,
      telemetry: this.telemetry,
      logger: logger.child({ component: 'packet' }),
      ildcpHost: new IldcpHost({ peers: config.peers, identity: this.identity }),
      ccp: this.broadcaster,
    });
    this.engine = new PacketEngine({
      processor: this.pipeline,
      engine: config.engine,
      logger: logger.child({ component: 'engine' }),
    });
    this.registry.setIlpHandler(this.engine);
    this.registry.addListener(this.broadcaster);

    this.btpServer = new BtpServer({
      btp: config.btp,
      peers: config.peers,
      registry: this.registry,
      frames: this.frames,
      logger: logger.child({ component: 'btp' }),
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
      packetsInFlight: () => this.engine.inFlight.value,
      engineMaxQueue: () => this.config.engine.maxQueue,
      engineQueueDepth: () => this.engine.queueDepth,
      engineBatches: () => this.engine.batchesDispatched,
      peers: () => this.registry.peerStates(),
      peerLimits: () =>
        this.config.peers
          .filter((p) => p.enabled)
          .map((p) => ({ peerId: p.id, assetCode: p.assetCode, assetScale: p.assetScale, ...p.balance })),
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
      balances: () => readBalanceReport(this.ledger),
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
