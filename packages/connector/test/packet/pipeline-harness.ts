import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonConfig, PeerConfig } from '../../src/config/types';
import { InFlight, NO_PEER_BUDGET } from '../../src/engine/in-flight';
import { PacketEngine } from '../../src/engine/packet-engine';
import { IldcpHost } from '../../src/ildcp/ildcp-host';
import { createLedger, type InspectableLedger } from '../../src/ledger';
import type { Ledger, PeerBalance } from '../../src/ledger/types';
import { SettableNodeIdentity } from '../../src/node-identity';
import { PacketPipeline } from '../../src/packet/pipeline';
import { RouteBroadcaster } from '../../src/routing/route-broadcaster';
import { RoutingTable } from '../../src/routing/routing-table';
import { PeerWarnings } from '../../src/telemetry/peer-warnings';
import { FakePeerLink, makeConfig, PinnedClock, RecordingTelemetry, silentLogger } from './factories';

/**
 * The packet path wired as daemon.ts wires it (an inline PacketEngine in front of the PacketPipeline),
 * with the real embedded ledger in a temp dir, an in-memory PeerLink and a pinned clock (pinned to the
 * real time at setup: the ledger keeps real time). `handle` is the transport's entry.
 */
export interface PipelineHarness {
  readonly pipeline: PacketPipeline;
  readonly engine: PacketEngine;
  handle(fromPeerId: string, ilp: Buffer): Promise<Buffer>;
  readonly link: FakePeerLink;
  readonly telemetry: RecordingTelemetry;
  readonly ledger: InspectableLedger;
  readonly clock: PinnedClock;
  readonly config: DaemonConfig;
  readonly routingTable: RoutingTable;
  balance(peerId: string): Promise<PeerBalance>;
  close(): Promise<void>;
}

export async function pipelineHarness(
  overrides: Partial<DaemonConfig> = {},
  wrapLedger: (ledger: Ledger) => Ledger = (ledger) => ledger,
): Promise<PipelineHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'ilpd-pipeline-'));
  const base = makeConfig(overrides);
  const config = makeConfig({
    ...overrides,
    ledger: { ...base.ledger, embedded: { path: join(dir, 'ledger.sqlite') } },
    configDir: dir,
  });
  const ledger = createLedger(config.ledger, { logger: silentLogger, configDir: dir });
  await ledger.start();
  for (const peer of config.peers) await ledger.registerPeer(accountOf(peer));
  const clock = new PinnedClock(Date.now());
  const identity = new SettableNodeIdentity(config.address);
  const routingTable = new RoutingTable();
  const link = new FakePeerLink();
  const broadcaster = new RouteBroadcaster({
    config: { ...config, routing: { ...config.routing, broadcast: false } },
    identity,
    routingTable,
    peerLink: link,
    logger: silentLogger,
    warnings: new PeerWarnings({ logger: silentLogger, intervalMs: 10_000, count: () => undefined }),
    clock,
  });
  broadcaster.start();
  const telemetry = new RecordingTelemetry();
  const pool = { maxPackets: config.engine.maxQueue, maxBytes: config.engine.maxInFlightBytes };
  const inFlight = new InFlight(pool, NO_PEER_BUDGET);
  for (const peer of config.peers) inFlight.setPeer(peer.id, peer.budget);
  const pipeline = new PacketPipeline({
    config,
    identity,
    routingTable,
    ledger: wrapLedger(ledger),
    peerLink: link,
    nextHops: inFlight,
    telemetry,
    logger: silentLogger,
    ildcpHost: new IldcpHost({ peers: config.peers, identity }),
    ccp: broadcaster,
    clock,
  });
  const engine = new PacketEngine({
    processor: pipeline,
    engine: config.engine,
    logger: silentLogger,
    clock,
    inFlight,
  });
  engine.start();
  return {
    pipeline,
    engine,
    handle: (fromPeerId, ilp) => engine.handleIlp(fromPeerId, ilp),
    link,
    telemetry,
    ledger,
    clock,
    config,
    routingTable,
    async balance(peerId) {
      const found = (await ledger.balances()).find((b) => b.peerId === peerId);
      if (found === undefined) throw new Error(`no balance for ${peerId}`);
      return found;
    },
    async close() {
      await engine.stop();
      broadcaster.stop();
      await ledger.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Ledger that delegates to `ledger` except for the methods in `overrides` (to spy on or fail them). */
export function delegatingLedger(ledger: Ledger, overrides: Partial<Ledger>): Ledger {
  return {
    backend: ledger.backend,
    start: () => ledger.start(),
    stop: () => ledger.stop(),
    isReady: () => ledger.isReady(),
    registerPeer: (account) => ledger.registerPeer(account),
    reserve: (reservation) => ledger.reserve(reservation),
    post: (handle) => ledger.post(handle),
    void: (handle) => ledger.void(handle),
    balances: () => ledger.balances(),
    ...overrides,
  };
}

function accountOf(peer: PeerConfig) {
  return {
    peerId: peer.id,
    assetCode: peer.assetCode,
    assetScale: peer.assetScale,
    maximum: peer.balance.maximum,
    minimum: peer.balance.minimum,
  };
}
