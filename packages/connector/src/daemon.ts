import { encodeReject } from '@ilpd/codec';
import type { DestinationStream } from 'pino';
import { ConfigChanges, type AppliedChange, type ChangeOrigin } from './config/config-changes';
import { departingPeerIds, diffConfig, type ConfigChange } from './config/config-diff';
import type { BtpClientSide, DaemonConfig, PeerConfig } from './config/types';
import { DaemonError } from './errors';
import { AdminApiServer } from './http/admin-api';
import { AdminServer, type Readiness } from './http/admin-server';
import { channelViewJson, registerChannelAdminRoutes } from './http/channel-admin-routes';
import { registerPeerAdminRoutes } from './http/peer-admin-routes';
import { IldcpHost } from './ildcp/ildcp-host';
import { fetchAddressFromParent } from './ildcp/ildcp-client';
import { createLedger, type DaemonLedger } from './ledger';
import { readBalanceReport } from './ledger/balance-report';
import { addressOrEmpty, SettableNodeIdentity } from './node-identity';
import { InFlight, NO_PEER_BUDGET } from './engine/in-flight';
import { PacketEngine } from './engine/packet-engine';
import { PacketPipeline } from './packet/pipeline';
import { RouteBroadcaster } from './routing/route-broadcaster';
import { createSettlement, settlementConfigured } from './settlement/create-settlement';
import type { SettlementService } from './settlement/settlement-service';
import { createSignatureVerifier, type SignatureVerifier } from './settlement/signature-pool';
import { RoutingTable } from './routing/routing-table';
import { FrameCounters } from './telemetry/frame-counters';
import { createLogger, resolveLogFormat, type LogFormat, type Logger } from './telemetry/logger';
import { DaemonMetrics } from './telemetry/metrics';
import { PeerWarnings } from './telemetry/peer-warnings';
import { SettlementMetrics } from './telemetry/settlement-metrics';
import { TelemetryBuffer } from './telemetry/telemetry-buffer';
import { BtpClient } from './transport/btp-client';
import { BtpServer } from './transport/btp-server';
import { PeerRegistry } from './transport/peer-registry';

const ILDCP_RETRY_MS = 1000;

export interface DaemonOptions {
  /**
   * The file the config was loaded from, and its text: runtime changes (admin API, SIGHUP) edit and
   * re-read it. Without it the daemon runs its config as given and refuses runtime changes.
   */
  readonly configFile?: { readonly path: string; readonly text: string };
  /** Where logs go (stdout when omitted). */
  readonly logDestination?: DestinationStream;
  /** Overrides `log.format` (`ilpd start --log-format`). */
  readonly logFormat?: LogFormat;
}

export interface ListeningAddresses {
  readonly address: string;
  readonly btp: { readonly host: string; readonly port: number };
  readonly http: { readonly host: string; readonly port: number };
  /** The admin write API, when admin.enabled. */
  readonly admin?: { readonly host: string; readonly port: number };
}

/**
 * The composition root: every component of the daemon is constructed here, from the config, and
 * wired to its collaborators. Reading this class top to bottom is reading the system:
 *
 *   BTP (server + clients) ─► PeerRegistry/PeerSession ─► PacketEngine (decode/validate, inline or
 *   worker pool) ─► PacketPipeline ─► ledger, routing, next hop
 *                                                              └► TelemetryBuffer ─► metrics ─► /metrics
 *
 * The peer set changes at runtime through one path, `applyConfig`: the admin write API and SIGHUP
 * both reach it through ConfigChanges (edit or re-read the YAML file, validate, then apply), and it
 * hands the new peer set to every component that keeps one (installPeers).
 */
export class Daemon {
  readonly logger: Logger;
  readonly metrics = new DaemonMetrics();
  readonly frames = new FrameCounters();
  readonly telemetry: TelemetryBuffer;
  readonly warnings: PeerWarnings;
  readonly inFlight: InFlight;
  readonly ledger: DaemonLedger;
  readonly identity: SettableNodeIdentity;
  readonly routingTable = new RoutingTable();
  readonly registry: PeerRegistry;
  readonly broadcaster: RouteBroadcaster;
  readonly pipeline: PacketPipeline;
  readonly engine: PacketEngine;
  readonly settlementMetrics: SettlementMetrics;
  /** Where claim signatures are checked (settlement.workers); undefined when nothing settles. */
  readonly signatures: SignatureVerifier | undefined;
  /** Payment channels with the peers that settle; undefined when the config sets up no settlement. */
  readonly settlement: SettlementService | undefined;
  readonly btpServer: BtpServer;
  /** One per enabled client-role peer: we dial it. */
  readonly btpClients = new Map<string, BtpClient>();
  readonly ildcpHost: IldcpHost;
  readonly admin: AdminServer;
  /** The write side of the admin API (admin.enabled). */
  readonly adminApi: AdminApiServer | undefined;
  /** Runtime config changes (admin API, SIGHUP); undefined without a config file. */
  readonly configChanges: ConfigChanges | undefined;
  private current: DaemonConfig;
  private phase: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopPromise: Promise<void> | undefined;

  constructor(config: DaemonConfig, options: DaemonOptions = {}) {
    this.current = config;
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
    this.ildcpHost = new IldcpHost({ peers: config.peers, identity: this.identity });
    // Settlement beside forwarding: the pipeline tells it after each durable post that we owe the next
    // hop more; claims travel as BTP sub-protocol frames; it never blocks a packet.
    this.settlementMetrics = new SettlementMetrics(this.metrics.registry);
    this.signatures = settlementConfigured(config)
      ? createSignatureVerifier(config.settlement.workers)
      : undefined;
    this.settlement =
      this.signatures === undefined
        ? undefined
        : createSettlement(config, {
            ledger: this.ledger,
            btp: this.registry,
            isConnected: (peerId) => this.registry.isConnected(peerId),
            observer: this.settlementMetrics,
            verifier: this.signatures,
            logger: logger.child({ component: 'settlement' }),
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
      ildcpHost: this.ildcpHost,
      ccp: this.broadcaster,
      settlement: this.settlement,
    });
    this.engine = new PacketEngine({
      processor: this.pipeline,
      engine: config.engine,
      logger: logger.child({ component: 'engine' }),
      inFlight: this.inFlight,
    });
    this.registry.setIlpHandler(this.engine);
    this.registry.addListener(this.broadcaster);
    if (this.settlement !== undefined) {
      this.registry.setSubProtocolHandler(this.settlement);
      this.registry.addListener(this.settlement);
      const settlement = this.settlement;
      this.settlementMetrics.collectFrom({
        unsettled: () => settlement.unsettled(),
        channels: () => settlement.channels(),
        endpointStates: () => settlement.endpointStates(),
        chainsReachable: () => settlement.chainsReachable(),
        scales: (peerId) => settlement.scales(peerId),
      });
    }

    this.btpServer = new BtpServer({
      btp: config.btp,
      peers: config.peers,
      registry: this.registry,
      frames: this.frames,
      logger: logger.child({ component: 'btp' }),
      warnings: this.warnings,
      onAuthFailure: (reason) => this.metrics.authFailures.inc({ reason }),
    });
    this.syncBtpClients(config.peers);

    this.metrics.collectFrom({
      packetsInFlight: () => this.inFlight.value,
      bytesInFlight: () => this.inFlight.bytes,
      inFlightByPeer: () => this.inFlight.perPeer(),
      engineMaxQueue: () => this.config.engine.maxQueue,
      engineQueueDepth: () => this.engine.queueDepth,
      engineBatches: () => this.engine.batchesDispatched,
      unauthenticatedConnections: () => this.btpServer.unauthenticatedCount,
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
        this.config.peers.map((p) => ({
          id: p.id,
          relation: p.relation,
          enabled: p.enabled,
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
      channels: () => this.settlement?.channels().map(channelViewJson) ?? [],
    });

    this.configChanges =
      options.configFile === undefined
        ? undefined
        : new ConfigChanges({
            path: options.configFile.path,
            text: options.configFile.text,
            env: process.env,
            current: () => this.config,
            apply: (next, change) => this.applyConfig(next, change),
            logger: logger.child({ component: 'config' }),
            onOutcome: (origin, result) => {
              this.metrics.configChanges.inc({ source: origin.source, result });
              this.metrics.configLastChangeSuccessful.set(result === 'applied' ? 1 : 0);
            },
          });
    this.adminApi = config.admin.enabled
      ? new AdminApiServer({
          admin: config.admin,
          token: () => this.config.admin.token,
          logger: logger.child({ component: 'admin' }),
        })
      : undefined;
    if (this.adminApi !== undefined) {
      registerPeerAdminRoutes(this.adminApi, {
        editPeers: (edit, origin) => this.requireConfigChanges().editPeers(edit, origin),
        reload: (origin) => this.requireConfigChanges().reload(origin),
      });
      if (this.settlement !== undefined) registerChannelAdminRoutes(this.adminApi, this.settlement);
    }
  }

  /** The running config: the startup config with every runtime change applied since. */
  get config(): DaemonConfig {
    return this.current;
  }

  /** SIGHUP: applies the config file as it is now (see ConfigChanges). */
  reload(origin: ChangeOrigin): Promise<AppliedChange> {
    return this.requireConfigChanges().reload(origin);
  }

  /**
   * The one path by which a new, validated config reaches the running components. Peers whose
   * sessions end (removed, disabled, or changed in what their session or routes depend on) are first
   * taken out of service — their new Prepares refused (F00), their routes withdrawn, their connections
   * refused — and drained: every packet they take part in is answered and settled in the ledger
   * (bounded by shutdown.drainTimeoutMs) before their sessions close. Their ledger accounts and
   * balances stay. Then the new peer set, static routes and FX settings are installed everywhere.
   */
  async applyConfig(
    next: DaemonConfig,
    change: ConfigChange = diffConfig(this.config, next),
  ): Promise<{ drained: boolean }> {
    if (this.phase !== 'running') {
      throw new DaemonError(
        'ILPD_ERR_BUSY',
        `ilpd is ${this.phase}: config changes apply only while it runs`,
      );
    }
    if (change.refused.length > 0) {
      throw new DaemonError('ILPD_ERR_CONFIG_CHANGE_REFUSED', change.refused.join('; '));
    }
    const p = change.peers;
    // Accounts first (creating them, or applying new limits): the one step that depends on something
    // outside the process (the ledger); when it fails, no component has changed yet.
    for (const peer of [...p.added, ...p.updated, ...p.reconnected, ...p.enabled]) {
      await this.ledger.registerPeer(ledgerAccountOf(peer));
    }
    const departing = departingPeerIds(change);
    let drained = true;
    if (departing.length > 0) {
      const leaving = new Set(departing);
      const outOfService = (peer: PeerConfig): PeerConfig => ({ ...peer, enabled: false });
      const interim = [
        ...next.peers.map((peer) =>
          leaving.has(peer.id)
            ? outOfService(this.config.peers.find((old) => old.id === peer.id) ?? peer)
            : peer,
        ),
        ...p.removed.map(outOfService),
      ];
      this.installPeers(interim, next);
      drained = await this.withDrainTimeout(this.pipeline.whenPeersIdle(departing));
      if (!drained) {
        this.logger.warn(
          { peers: departing, drainTimeoutMs: this.config.shutdown.drainTimeoutMs },
          'peer drain timeout: closing sessions with packets still in flight (they are rejected T01 and voided)',
        );
      }
      await Promise.all(
        departing.map((id) => this.registry.closePeer(id, 'peer disabled or reconfigured by the operator')),
      );
    }
    this.installPeers(next.peers, next);
    this.current = next;
    return { drained };
  }

  /** Hands a peer set (and the static routes and FX that go with it) to every component that keeps one. */
  private installPeers(peers: readonly PeerConfig[], config: DaemonConfig): void {
    // The packet path first: from here on it refuses Prepares from peers out of service.
    this.pipeline.applyPeers(peers, config.fx);
    // Admission budgets: every peer of the new set gets its own; a removed peer's share goes back to
    // the pool (its packets in flight keep counting until they are answered).
    const kept = new Set(peers.map((peer) => peer.id));
    for (const peer of this.config.peers) if (!kept.has(peer.id)) this.inFlight.removePeer(peer.id);
    for (const peer of peers) this.inFlight.setPeer(peer.id, peer.budget);
    this.btpServer.setPeers(peers);
    this.ildcpHost.setPeers(peers);
    this.registry.setPeers(peers);
    this.broadcaster.applyPeers(peers, config.routes);
    this.settlement?.applyPeerConfigs(peers);
    this.syncBtpClients(peers);
  }

  /** One client per enabled client-role peer; new btp settings get a new client (the old one stops). */
  private syncBtpClients(peers: readonly PeerConfig[]): void {
    const wanted = new Map(
      peers
        .filter(isClientPeer)
        .filter((p) => p.enabled)
        .map((p) => [p.id, p]),
    );
    for (const [id, client] of this.btpClients) {
      // A client dials with the peer's btp settings only: other changes (limits) keep it, and its session.
      const peer = wanted.get(id);
      if (peer !== undefined && JSON.stringify(peer.btp) === JSON.stringify(client.peer.btp)) continue;
      client.stop();
      this.btpClients.delete(id);
    }
    for (const [id, peer] of wanted) {
      if (this.btpClients.has(id)) continue;
      const client = new BtpClient({
        peer,
        btp: this.config.btp,
        registry: this.registry,
        frames: this.frames,
        logger: this.logger.child({ component: 'btp' }),
      });
      this.btpClients.set(id, client);
      if (this.phase === 'running') client.start();
    }
  }

  private requireConfigChanges(): ConfigChanges {
    if (this.configChanges === undefined) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG_CHANGE_REFUSED',
        'this daemon was started without a config file to change',
      );
    }
    return this.configChanges;
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
    // Disabled peers too: their balances stay visible and their limits hold when they come back.
    for (const peer of this.config.peers) await this.ledger.registerPeer(ledgerAccountOf(peer));
    // Before any session: claims that arrive must find our best claims loaded.
    await this.settlement?.start();
    const http = await this.admin.listen();
    const admin = await this.adminApi?.listen();
    this.engine.start();
    const btp = await this.btpServer.listen();
    for (const client of this.btpClients.values()) client.start();
    if (!this.identity.isSet) await this.learnAddressFromParent();
    this.assertStillStarting();
    this.broadcaster.start();
    this.phase = 'running';
    const listening = {
      address: this.identity.address,
      btp: { host: btp.address, port: btp.port },
      http: { host: http.address, port: http.port },
      ...(admin === undefined ? {} : { admin: { host: admin.address, port: admin.port } }),
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
    // A settlement chain that cannot be reached does not stop forwarding (the balance limits bound the
    // credit not yet settled): it is reported here and in metrics, never a reason to go unready.
    const notes = (this.settlement?.chainsReachable() ?? [])
      .filter((c) => !c.reachable)
      .map(
        (c) => `settlement chain ${c.chain} is unreachable (forwarding continues within the balance limits)`,
      );
    return { ready: reasons.length === 0, reasons, notes };
  }

  private async shutdown(): Promise<void> {
    const wasStarted = this.phase !== 'new';
    this.phase = 'stopping';
    this.logger.info({ inFlight: this.inFlight.value }, 'ilpd stopping: draining in-flight packets');
    this.btpServer.stopAccepting();
    this.admin.stopAccepting();
    this.adminApi?.stopAccepting();
    for (const client of this.btpClients.values()) client.stop();
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
        { inFlight: this.inFlight.value, drainTimeoutMs: this.config.shutdown.drainTimeoutMs },
        'drain timeout: closing sessions with packets still in flight',
      );
    }
    this.broadcaster.stop();
    await this.settlement?.stop();
    await this.registry.closeAll();
    await this.engine.stop();
    this.telemetry.stop();
    this.warnings.stop();
    if (wasStarted) await this.ledger.stop();
    await this.signatures?.close();
    this.admin.closeAll();
    this.adminApi?.closeAll();
    this.phase = 'stopped';
    this.logger.info('ilpd stopped');
  }

  /** True when every in-flight packet was answered within shutdown.drainTimeoutMs. */
  private drainInFlight(): Promise<boolean> {
    return this.withDrainTimeout(this.inFlight.whenIdle());
  }

  /** True when `idle` resolved within shutdown.drainTimeoutMs. */
  private async withDrainTimeout(idle: Promise<void>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.shutdown.drainTimeoutMs);
    });
    try {
      return await Promise.race([idle.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Retries until the parent answers: a child connector is useless without its address. */
  private async learnAddressFromParent(): Promise<void> {
    const parent = this.config.peers.find((p) => p.relation === 'parent' && p.enabled);
    if (parent === undefined) {
      throw new DaemonError(
        'ILPD_ERR_CONFIG',
        'no address and no enabled parent to ask for one: set address, or enable the parent peer',
      );
    }
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

function ledgerAccountOf(peer: PeerConfig) {
  return {
    peerId: peer.id,
    assetCode: peer.assetCode,
    assetScale: peer.assetScale,
    maximum: peer.balance.maximum,
    minimum: peer.balance.minimum,
  };
}

function isClientPeer(peer: PeerConfig): peer is PeerConfig & { readonly btp: BtpClientSide } {
  return peer.btp.role === 'client';
}

function hostPort(address: { address: string; port: number }): string {
  return address.address.includes(':')
    ? `[${address.address}]:${address.port}`
    : `${address.address}:${address.port}`;
}
