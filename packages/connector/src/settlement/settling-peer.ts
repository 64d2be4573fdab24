import type { PeerConfig } from '../config/types';
import { ChainScale } from './amounts';
import type { ChainName, ChannelEngine } from './channel-engine';

/** One peer we settle with, as the settlement subsystem sees it. */
export interface SettlingPeer {
  readonly peerId: string;
  readonly chain: ChainName;
  /** Asset units ↔ the chain's unit. */
  readonly scale: ChainScale;
  /** We pay once we owe the peer this much (asset units) ... */
  readonly threshold: bigint;
  /** ... down to owing this. */
  readonly settleTo: bigint;
  /** Where our channel to the peer pays, when configured (else: what the peer announces). */
  readonly peerAddress?: string;
  /** Deposit (asset units) of channels opened on demand; undefined = operators open them. */
  readonly autoOpenDeposit?: bigint;
}

export function settlingPeerOf(peer: PeerConfig, engine: ChannelEngine): SettlingPeer | undefined {
  const settlement = peer.settlement;
  if (settlement === undefined) return undefined;
  return {
    peerId: peer.id,
    chain: settlement.engine,
    scale: new ChainScale(peer.assetScale, engine.chainScale),
    threshold: settlement.threshold,
    settleTo: settlement.settleTo,
    peerAddress: settlement.peerAddress,
    autoOpenDeposit: settlement.autoOpen?.deposit,
  };
}

/** EVM addresses compare without case (checksums are mixed case); XRPL addresses exactly. */
export function sameAddress(chain: ChainName, a: string, b: string): boolean {
  return chain === 'evm' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
