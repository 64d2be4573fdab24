import { decodePrepare } from '@ilpd/codec';
import type { DaemonConfig, PeerConfig } from '../../src/config/types';
import { DaemonError } from '../../src/errors';
import { IldcpHost } from '../../src/ildcp/ildcp-host';
import { SettableNodeIdentity } from '../../src/node-identity';
import { rejectFromError } from '../../src/packet/reject';
import { answerPeerProtocol } from '../../src/packet/stages/local-destinations';
import type { PeerLink } from '../../src/ports';
import { RouteBroadcaster } from '../../src/routing/route-broadcaster';
import { RoutingTable } from '../../src/routing/routing-table';
import { PeerWarnings } from '../../src/telemetry/peer-warnings';
import { makeConfig, makePeer, silentLogger, type PinnedClock } from '../packet/factories';

/**
 * An in-memory network of route broadcasters: each node answers peer.* packets exactly as the packet
 * pipeline does, and links deliver packets between nodes without sockets.
 */
export class MeshNode {
  readonly routingTable = new RoutingTable();
  readonly link: MeshLink;
  readonly broadcaster: RouteBroadcaster;
  readonly identity: SettableNodeIdentity;
  private readonly ildcp: IldcpHost;
  /** Every CCP packet this node received, by sender. */
  readonly received: Array<{ from: string; destination: string }> = [];

  constructor(
    readonly name: string,
    readonly config: DaemonConfig,
    clock?: PinnedClock,
  ) {
    this.identity = new SettableNodeIdentity(config.address);
    this.link = new MeshLink();
    this.ildcp = new IldcpHost({ peers: config.peers, identity: this.identity });
    this.broadcaster = new RouteBroadcaster({
      config,
      identity: this.identity,
      routingTable: this.routingTable,
      peerLink: this.link,
      logger: silentLogger,
      warnings: new PeerWarnings({ logger: silentLogger, intervalMs: 10_000, count: () => undefined }),
      clock,
    });
  }

  async handle(fromPeer: string, ilp: Buffer): Promise<Buffer> {
    const prepare = decodePrepare(ilp);
    this.received.push({ from: fromPeer, destination: prepare.destination });
    try {
      return answerPeerProtocol(fromPeer, prepare, this.ildcp, this.broadcaster);
    } catch (err) {
      return rejectFromError(err, this.identity.address);
    }
  }

  nextHopFor(destination: string): string | undefined {
    return this.routingTable.resolve(destination)?.nextHop;
  }
}

export class MeshLink implements PeerLink {
  readonly remotes = new Map<string, (ilp: Buffer) => Promise<Buffer>>();
  readonly sent: Array<{ peerId: string; ilp: Buffer }> = [];

  isConnected(peerId: string): boolean {
    return this.remotes.has(peerId);
  }

  async sendIlp(peerId: string, ilp: Buffer): Promise<Buffer> {
    this.sent.push({ peerId, ilp });
    const remote = this.remotes.get(peerId);
    if (remote === undefined)
      throw new DaemonError('ILPD_ERR_PEER_UNREACHABLE', `${peerId} is not connected`);
    await Promise.resolve();
    return remote(ilp);
  }
}

/** Connects nodes a and b: a knows b as peer `bAtA`, b knows a as peer `aAtB`. */
export function connect(a: MeshNode, bAtA: string, b: MeshNode, aAtB: string): void {
  a.link.remotes.set(bAtA, (ilp) => b.handle(aAtB, ilp));
  b.link.remotes.set(aAtB, (ilp) => a.handle(bAtA, ilp));
  a.broadcaster.onPeerConnected(bAtA);
  b.broadcaster.onPeerConnected(aAtB);
}

export function disconnect(a: MeshNode, bAtA: string, b: MeshNode, aAtB: string): void {
  a.link.remotes.delete(bAtA);
  b.link.remotes.delete(aAtB);
  a.broadcaster.onPeerDisconnected(bAtA);
  b.broadcaster.onPeerDisconnected(aAtB);
}

export function meshConfig(
  address: string,
  peers: PeerConfig[],
  overrides: Partial<DaemonConfig> = {},
): DaemonConfig {
  return makeConfig({
    address,
    peers,
    routing: { broadcast: true, broadcastIntervalMs: 40, routeExpiryMs: 5000, maxRoutesPerPeer: 1000 },
    ...overrides,
  });
}

export function peer(
  id: string,
  relation: PeerConfig['relation'] = 'peer',
  overrides: Partial<PeerConfig> = {},
) {
  return makePeer(id, { relation, ...overrides });
}

export async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
