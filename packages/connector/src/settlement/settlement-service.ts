import { BtpPacketType, encodeBtp, type BtpPacket } from '@ilpd/codec';
import type { Logger } from 'pino';
import { DaemonError } from '../errors';
import type { SettlementLedger } from '../ledger/types';
import type { BtpRequester, BtpSubProtocolHandler, PeerLifecycleListener, SettlementTrigger } from '../ports';
import type { ChainName, ChannelEngine, ChannelState, TxOutcome } from './channel-engine';
import {
  ClaimMessageError,
  SETTLEMENT_INFO_PROTOCOL,
  claimRefusalFrame,
  decodeClaim,
  decodeSettlementInfo,
  encodeSettlementInfo,
  type SettlementInfo,
} from './claim-protocol';
import { ClaimAcceptor } from './payee';
import { PeerPayer } from './payer';
import type { SettlementObserver } from './settlement-observer';
import type { PeerConfig } from '../config/types';
import { settlingPeerOf, type SettlingPeer } from './settling-peer';

export interface SettlementServiceOptions {
  readonly peers: readonly SettlingPeer[];
  readonly engines: ReadonlyMap<ChainName, ChannelEngine>;
  readonly ledger: SettlementLedger;
  readonly btp: BtpRequester;
  readonly isConnected: (peerId: string) => boolean;
  readonly claimTimeoutMs: number;
  readonly watchIntervalMs: number;
  readonly observer: SettlementObserver;
  readonly logger: Logger;
}

/** A channel as the admin API and `ilpd channels list` show it. */
export interface ChannelView {
  readonly peerId: string;
  /** outgoing: ours, we pay the peer over it; incoming: the peer's, it pays us. */
  readonly direction: 'outgoing' | 'incoming';
  readonly chain: ChainName;
  readonly channelId: string;
  readonly deposit?: bigint;
  /** Best claim signed (outgoing) or received (incoming), chain units. */
  readonly claimed: bigint;
  /** Outgoing: what the peer acknowledged. */
  readonly acknowledged?: bigint;
  /** Already paid out on chain. */
  readonly paidOut?: bigint;
  readonly status?: ChannelState['status'];
  readonly closesAtMs?: number;
}

/** A peer's channel is redeemed on chain once it can be finalised within this long without us. */
const REDEEM_MARGIN_MS = 60 * 60 * 1000;

/**
 * Settlement beside forwarding: pays peers (PeerPayer per peer) once what we owe crosses their
 * threshold, judges and credits the claims peers pay us with (ClaimAcceptor), speaks the BTP
 * sub-protocol (claim-protocol.ts), re-sends our latest claim when a peer reconnects, and watches the
 * chain: a peer's channel that starts closing or nears its expiry is redeemed with our best claim.
 * The packet path only calls `owedMore` after a durable post; nothing here blocks a packet.
 */
export class SettlementService implements SettlementTrigger, PeerLifecycleListener, BtpSubProtocolHandler {
  private readonly peers = new Map<string, SettlingPeer>();
  private readonly payers = new Map<string, PeerPayer>();
  private readonly acceptor: ClaimAcceptor;
  private readonly announced = new Map<string, SettlementInfo>();
  private dirty = new Set<string>();
  private flushScheduled = false;
  private watcher: NodeJS.Timeout | undefined;
  private watching = false;
  private running = false;

  constructor(private readonly options: SettlementServiceOptions) {
    this.acceptor = new ClaimAcceptor({
      ledger: options.ledger,
      observer: options.observer,
      logger: options.logger,
      channelMaxAgeMs: options.watchIntervalMs,
      announcedAddress: (peerId, chain) => this.announcedAddress(peerId, chain),
    });
    for (const peer of options.peers) this.addPeer(peer);
  }

  /**
   * The settling peers after a runtime config change: new ones start paying, changed ones take their
   * new thresholds, removed ones stop paying (the claims they hold stay in the ledger, and channels
   * they pay us over are still watched and redeemed).
   */
  applyPeers(peers: readonly SettlingPeer[]): void {
    const wanted = new Map(peers.map((p) => [p.peerId, p]));
    for (const [peerId, payer] of this.payers) {
      const next = wanted.get(peerId);
      if (next !== undefined && next.chain === payer.peer.chain) continue;
      payer.stop();
      this.payers.delete(peerId);
      this.peers.delete(peerId);
    }
    for (const peer of peers) {
      const payer = this.payers.get(peer.peerId);
      this.peers.set(peer.peerId, peer);
      if (payer === undefined) this.addPeer(peer);
      else payer.reconfigure(peer);
    }
  }

  /** applyPeers from a runtime config's peers (enabled peers with settlement over a configured chain). */
  applyPeerConfigs(peers: readonly PeerConfig[]): void {
    const settling: SettlingPeer[] = [];
    for (const peer of peers) {
      const engine =
        peer.settlement === undefined ? undefined : this.options.engines.get(peer.settlement.engine);
      if (engine === undefined || !peer.enabled) continue;
      settling.push(settlingPeerOf(peer, engine) as SettlingPeer);
    }
    this.applyPeers(settling);
  }

  /** Asset and chain scales of a settling peer (for metrics in whole units). */
  scales(peerId: string): { assetScale: number; chainScale: number } | undefined {
    const peer = this.peers.get(peerId);
    const engine = peer === undefined ? undefined : this.options.engines.get(peer.chain);
    return peer === undefined || engine === undefined
      ? undefined
      : { assetScale: peer.scale.assetScale, chainScale: engine.chainScale };
  }

  private addPeer(peer: SettlingPeer): void {
    const engine = this.engineFor(peer.chain);
    const { options } = this;
    this.peers.set(peer.peerId, peer);
    const payer = new PeerPayer(peer, {
      engine,
      ledger: options.ledger,
      btp: options.btp,
      observer: options.observer,
      logger: options.logger,
      claimTimeoutMs: options.claimTimeoutMs,
      announcedAddress: () => this.announcedAddress(peer.peerId, peer.chain),
      isConnected: () => options.isConnected(peer.peerId),
    });
    this.payers.set(peer.peerId, payer);
    if (!this.running) return; // start() loads every payer's claims
    // A peer added (or back) at runtime resumes from the claims the ledger holds for it.
    void options.ledger.claims().then(
      (claims) => {
        for (const claim of claims)
          if (claim.direction === 'paid' && claim.peerId === peer.peerId) payer.load(claim);
        payer.markLoaded();
      },
      (err: unknown) =>
        options.logger.error({ peer: peer.peerId, err }, 'could not read the claims of a new peer'),
    );
  }

  /** Starts the chain engines (unreachable chains do not stop the daemon), loads our claims, pays what is due. */
  async start(): Promise<void> {
    for (const engine of this.options.engines.values()) await engine.start();
    for (const claim of await this.options.ledger.claims()) {
      if (claim.direction === 'paid') this.payers.get(claim.peerId)?.load(claim);
      else this.acceptor.load(claim);
    }
    this.running = true;
    this.watcher = setInterval(() => void this.watch(), this.options.watchIntervalMs);
    this.watcher.unref();
    for (const payer of this.payers.values()) payer.markLoaded();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.watcher !== undefined) clearInterval(this.watcher);
    this.watcher = undefined;
    for (const payer of this.payers.values()) payer.stop();
    for (const engine of this.options.engines.values()) await engine.stop();
  }

  /** True when every configured chain has a usable endpoint (reported by /readyz, never gating it). */
  chainsReachable(): { chain: ChainName; reachable: boolean }[] {
    return [...this.options.engines.values()].map((e) => ({ chain: e.chain, reachable: e.isAvailable() }));
  }

  endpointStates(): { chain: ChainName; endpoint: string; state: string }[] {
    return [...this.options.engines.values()].flatMap((e) =>
      e.endpointStates().map((s) => ({ chain: e.chain, ...s })),
    );
  }

  /** Per peer: what we owe beyond settleTo, not yet covered by a claim (asset units). */
  unsettled(): { peerId: string; amount: bigint }[] {
    return [...this.payers.values()].map((p) => ({ peerId: p.peer.peerId, amount: p.unsettled() }));
  }

  // SettlementTrigger: called on the packet path after a durable post; marks and returns.
  owedMore(peerId: string): void {
    if (!this.running || !this.payers.has(peerId)) return;
    this.dirty.add(peerId);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      const dirty = this.dirty;
      this.dirty = new Set();
      for (const id of dirty) this.payers.get(id)?.owedMore();
    });
  }

  onPeerConnected(peerId: string): void {
    const peer = this.peers.get(peerId);
    if (peer === undefined) return;
    const info = this.ourInfo();
    this.options.btp
      .request(peerId, (requestId) => encodeSettlementInfo(requestId, info), this.options.claimTimeoutMs)
      .catch((err: unknown) =>
        this.options.logger.debug(
          { peer: peerId, err: (err as Error).message },
          'could not announce our addresses',
        ),
      );
    const payer = this.payers.get(peerId);
    payer?.resendLatest();
    payer?.retryNow();
  }

  onPeerDisconnected(): void {
    // Claims not acknowledged are sent again on reconnect; nothing to do now.
  }

  handleTransfer(
    peerId: string,
    frame: BtpPacket & { readonly type: BtpPacketType.Transfer },
  ): Promise<Buffer> {
    const peer = this.peers.get(peerId);
    if (peer === undefined) {
      return Promise.resolve(
        claimRefusalFrame(frame.requestId, 'wrong-channel', `we do not settle with ${peerId}`),
      );
    }
    let claim;
    try {
      claim = decodeClaim(frame.protocolData);
    } catch (err) {
      if (err instanceof ClaimMessageError) {
        return Promise.resolve(claimRefusalFrame(frame.requestId, 'malformed', err.message));
      }
      throw err;
    }
    if (claim.chain !== peer.chain) {
      return Promise.resolve(
        claimRefusalFrame(
          frame.requestId,
          'wrong-channel',
          `we settle with ${peerId} over ${peer.chain}, not ${claim.chain}`,
        ),
      );
    }
    return this.acceptor.accept(peer, this.engineFor(peer.chain), claim, frame.requestId);
  }

  handleMessage(peerId: string, frame: BtpPacket): Promise<Buffer> | undefined {
    if (!frame.protocolData.some((p) => p.protocolName === SETTLEMENT_INFO_PROTOCOL)) return undefined;
    const answer = (): Buffer =>
      encodeBtp({ type: BtpPacketType.Response, requestId: frame.requestId, protocolData: [] });
    if (!this.peers.has(peerId)) return Promise.resolve(answer());
    try {
      this.announced.set(peerId, decodeSettlementInfo(frame.protocolData));
    } catch (err) {
      return Promise.resolve(claimRefusalFrame(frame.requestId, 'malformed', (err as Error).message));
    }
    this.payers.get(peerId)?.retryNow();
    return Promise.resolve(answer());
  }

  /** Our channels and the peers' channels to us. */
  channels(): ChannelView[] {
    const views: ChannelView[] = [];
    for (const payer of this.payers.values()) {
      const channel = payer.currentChannel;
      if (channel === undefined) continue;
      views.push({
        peerId: payer.peer.peerId,
        direction: 'outgoing',
        chain: channel.chain,
        channelId: channel.channelId,
        deposit: channel.deposit,
        claimed: payer.bestClaim(channel.channelId)?.cumulative ?? 0n,
        acknowledged: payer.acknowledgedCumulative,
        paidOut: channel.paidOut,
        status: channel.status,
        closesAtMs: channel.closesAtMs,
      });
    }
    for (const held of this.acceptor.held()) {
      if (held.best === undefined) continue;
      views.push({
        peerId: held.peerId,
        direction: 'incoming',
        chain: held.best.chain as ChainName,
        channelId: held.best.channelId,
        deposit: held.state?.deposit,
        claimed: held.best.cumulative,
        paidOut: held.state?.paidOut,
        status: held.state?.status,
        closesAtMs: held.state?.closesAtMs,
      });
    }
    return views;
  }

  /** Opens our channel to a peer with `deposit` asset units (operators: `ilpd channels open`). */
  async open(peerId: string, deposit: bigint): Promise<ChannelState> {
    const { peer, payer, engine } = this.settling(peerId);
    const receiver = peer.peerAddress ?? this.announcedAddress(peerId, peer.chain);
    if (receiver === undefined) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_NO_CHANNEL',
        `${peerId} has not told us its ${peer.chain} address`,
      );
    }
    const channel = await this.transaction(peer.chain, 'open', () =>
      engine.openChannel(receiver, peer.scale.chainAmount(deposit)),
    );
    payer.refreshChannel(channel);
    payer.owedMore();
    return channel;
  }

  async deposit(peerId: string, amount: bigint): Promise<ChannelState> {
    const { peer, payer, engine } = this.settling(peerId);
    const channel = this.ourChannel(peerId);
    const updated = await this.transaction(peer.chain, 'deposit', () =>
      engine.deposit(channel.channelId, peer.scale.chainAmount(amount)),
    );
    payer.refreshChannel(updated);
    payer.owedMore();
    return updated;
  }

  /**
   * Closes with a peer: our channel starts closing (the peer has the challenge period / settle delay to
   * redeem), and every channel of the peer's to us is redeemed with our best claim and closed.
   */
  async close(peerId: string): Promise<TxOutcome[]> {
    const { peer, payer, engine } = this.settling(peerId);
    const outcomes: TxOutcome[] = [];
    const ours = payer.currentChannel;
    if (ours !== undefined && ours.status === 'open') {
      outcomes.push(await this.transaction(peer.chain, 'close', () => engine.startClose(ours)));
      payer.refreshChannel(await engine.readChannel(ours.channelId));
    }
    outcomes.push(...(await this.redeemFrom(peerId, true)));
    return outcomes;
  }

  /** Redeems the best claim of each of the peer's channels to us now (the chain pays it out). */
  settle(peerId: string): Promise<TxOutcome[]> {
    this.settling(peerId);
    return this.redeemFrom(peerId, false);
  }

  private async redeemFrom(peerId: string, close: boolean): Promise<TxOutcome[]> {
    const outcomes: TxOutcome[] = [];
    for (const held of this.acceptor.held()) {
      if (held.peerId !== peerId || held.best === undefined) continue;
      outcomes.push(await this.redeem(held.best.channelId, close));
    }
    return outcomes;
  }

  private async redeem(channelId: string, close: boolean): Promise<TxOutcome> {
    const held = this.acceptor.held().find((h) => h.best?.channelId === channelId);
    const best = held?.best;
    if (held === undefined || best === undefined) {
      throw new DaemonError('ILPD_ERR_SETTLEMENT_NO_CHANNEL', `no claim held on channel ${channelId}`);
    }
    const engine = this.engineFor(best.chain as ChainName);
    const state = await engine.readChannel(channelId);
    if (state === undefined)
      throw new DaemonError('ILPD_ERR_SETTLEMENT_NO_CHANNEL', `channel ${channelId} is gone`);
    const outcome = await this.transaction(engine.chain, 'redeem', () =>
      engine.redeem(state, best.cumulative, best.signature, close),
    );
    this.acceptor.observe(channelId, await engine.readChannel(channelId));
    this.options.logger.info(
      {
        peer: held.peerId,
        channel: channelId,
        cumulative: best.cumulative.toString(),
        tx: outcome.hash,
        fee: outcome.fee.toString(),
      },
      'redeemed a claim on chain',
    );
    return outcome;
  }

  /** Reads the channels we hold claims on: a peer's channel that can close without us is redeemed. */
  private async watch(): Promise<void> {
    if (this.watching || !this.running) return;
    this.watching = true;
    try {
      for (const held of this.acceptor.held()) {
        const best = held.best;
        if (best === undefined) continue;
        const engine = this.options.engines.get(best.chain as ChainName);
        if (engine === undefined || !engine.isAvailable()) continue;
        try {
          const state = await engine.readChannel(best.channelId);
          this.acceptor.observe(best.channelId, state);
          if (state === undefined || state.status === 'closed' || state.paidOut >= best.cumulative) continue;
          const closing = state.status === 'closing';
          const expiring = state.closesAtMs !== undefined && state.closesAtMs - Date.now() < REDEEM_MARGIN_MS;
          if (closing || expiring) await this.redeem(best.channelId, true);
        } catch (err) {
          this.options.logger.warn(
            { channel: best.channelId, err: (err as Error).message },
            'channel watch failed',
          );
        }
      }
      for (const payer of this.payers.values()) {
        const cached = payer.currentChannel;
        if (cached === undefined) continue;
        const engine = this.engineFor(cached.chain);
        if (!engine.isAvailable()) continue;
        let ours: ChannelState | undefined;
        try {
          // Our own channel as the chain says: closed or closing by the peer (it redeemed), the payer
          // must stop signing claims on it.
          ours = await engine.readChannel(cached.channelId);
        } catch (err) {
          this.options.logger.warn(
            { channel: cached.channelId, err: (err as Error).message },
            'channel watch failed',
          );
          continue;
        }
        if (ours === undefined || ours.status === 'closed') {
          payer.refreshChannel(undefined);
          continue;
        }
        if (ours.status !== 'open' || ours.deposit !== cached.deposit) payer.refreshChannel(ours);
        if (ours.status !== 'closing' || ours.closesAtMs === undefined) continue;
        if (ours.closesAtMs > Date.now()) continue;
        try {
          await this.transaction(ours.chain, 'finish-close', () => engine.finishClose(ours));
          payer.refreshChannel(undefined);
        } catch (err) {
          this.options.logger.warn(
            { channel: ours.channelId, err: (err as Error).message },
            'finishing our close failed',
          );
        }
      }
    } finally {
      this.watching = false;
    }
  }

  private async transaction<T>(chain: ChainName, action: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      this.options.observer.chainTransaction(chain, action, 'ok');
      return result;
    } catch (err) {
      this.options.observer.chainTransaction(chain, action, 'failed');
      throw err;
    }
  }

  private settling(peerId: string): { peer: SettlingPeer; payer: PeerPayer; engine: ChannelEngine } {
    const peer = this.peers.get(peerId);
    const payer = this.payers.get(peerId);
    if (peer === undefined || payer === undefined) {
      throw new DaemonError('ILPD_ERR_SETTLEMENT_NO_CHANNEL', `peer ${peerId} has no settlement configured`);
    }
    return { peer, payer, engine: this.engineFor(peer.chain) };
  }

  private ourChannel(peerId: string): ChannelState {
    const channel = this.payers.get(peerId)?.currentChannel;
    if (channel === undefined) {
      throw new DaemonError('ILPD_ERR_SETTLEMENT_NO_CHANNEL', `no channel of ours to ${peerId} is known yet`);
    }
    return channel;
  }

  private engineFor(chain: ChainName): ChannelEngine {
    const engine = this.options.engines.get(chain);
    if (engine === undefined)
      throw new DaemonError('ILPD_ERR_CONFIG', `settlement.${chain} is not configured`);
    return engine;
  }

  private announcedAddress(peerId: string, chain: string): string | undefined {
    const info = this.announced.get(peerId);
    return chain === 'evm' ? info?.evm?.address : chain === 'xrpl' ? info?.xrpl?.account : undefined;
  }

  private ourInfo(): SettlementInfo {
    const evm = this.options.engines.get('evm');
    const xrpl = this.options.engines.get('xrpl');
    return {
      ...(evm === undefined ? {} : { evm: { address: evm.ourAddress, chainId: Number(evm.chainId ?? 0n) } }),
      ...(xrpl === undefined ? {} : { xrpl: { account: xrpl.ourAddress } }),
    };
  }
}
