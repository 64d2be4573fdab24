import { encodeIldcpResponse, type PrepareView } from '@ilpd/codec';
import type { PeerConfig } from '../config/types';
import { DaemonError } from '../errors';
import { childAddress } from '../node-identity';
import type { IldcpRequestHandler, NodeIdentity } from '../ports';

export interface IldcpHostOptions {
  readonly peers: readonly PeerConfig[];
  readonly identity: NodeIdentity;
}

/**
 * ILDCP host (RFC 31): tells a child its address (`<our address>.<peer id>`) and the asset code/scale of
 * its account with us. Only children may ask; anyone else gets F00 (as ilp-connector, whose child
 * address lookup fails for other relations). Answers are built once per child and reused.
 */
export class IldcpHost implements IldcpRequestHandler {
  private peers: Map<string, PeerConfig>;
  private readonly identity: NodeIdentity;
  private readonly answers = new Map<string, Buffer>();

  constructor(options: IldcpHostOptions) {
    this.peers = new Map(options.peers.map((peer) => [peer.id, peer]));
    this.identity = options.identity;
  }

  /** A new peer set (runtime config change): answers are rebuilt, a child's asset may have changed. */
  setPeers(peers: readonly PeerConfig[]): void {
    this.peers = new Map(peers.map((peer) => [peer.id, peer]));
    this.answers.clear();
  }

  answer(fromPeer: string, _prepare: PrepareView): Buffer {
    const cached = this.answers.get(fromPeer);
    if (cached !== undefined) return cached;
    const peer = this.peers.get(fromPeer);
    if (peer === undefined || peer.relation !== 'child') {
      throw new DaemonError(
        'ILPD_ERR_BAD_REQUEST',
        `peer.config is only served to children, not ${fromPeer}`,
      );
    }
    const fulfill = encodeIldcpResponse({
      clientAddress: childAddress(this.identity.address, peer.id),
      assetCode: peer.assetCode,
      assetScale: peer.assetScale,
    });
    this.answers.set(fromPeer, fulfill);
    return fulfill;
  }
}
