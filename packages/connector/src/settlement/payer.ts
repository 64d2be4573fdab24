import type { Logger } from 'pino';
import { DaemonError } from '../errors';
import type { ClaimRecord, SettlementLedger } from '../ledger/types';
import type { BtpRequester } from '../ports';
import type { ChannelEngine, ChannelState } from './channel-engine';
import { encodeClaimTransfer, readClaimAnswer } from './claim-protocol';
import type { SettlementObserver } from './settlement-observer';
import { sameAddress, type SettlingPeer } from './settling-peer';

export interface PayerDeps {
  readonly engine: ChannelEngine;
  readonly ledger: SettlementLedger;
  readonly btp: BtpRequester;
  readonly observer: SettlementObserver;
  readonly logger: Logger;
  readonly claimTimeoutMs: number;
  /** The peer's address on the chain as it announced it (undefined until it does). */
  announcedAddress(): string | undefined;
  isConnected(): boolean;
}

/** Delay before retrying a settlement that failed (chain or ledger unreachable), doubling to the cap. */
const RETRY_INITIAL_MS = 1000;
const RETRY_MAX_MS = 30_000;

/**
 * Our side of paying one peer: whenever we owe it at least its threshold, sign a claim on our channel
 * to it that pays the debt down to settleTo, book it (durably, before it leaves: a claim is a payment
 * the moment the peer holds it) and send it over BTP. Runs one settlement at a time; posts that arrive
 * meanwhile are folded into the next claim. Never on the packet path: `owedMore` only marks the peer.
 */
export class PeerPayer {
  /** Best claim we signed, per channel (from the ledger at start, then as we pay). */
  private readonly paid = new Map<string, ClaimRecord>();
  private channel: ChannelState | undefined;
  private dirty = false;
  private running = false;
  private retryMs = RETRY_INITIAL_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The highest cumulative the peer acknowledged (for the channel list and resends). */
  private acknowledged = 0n;
  private unsent: { claim: ClaimRecord; amount: bigint } | undefined;
  private resendTimer: NodeJS.Timeout | undefined;
  private resendMs = RETRY_INITIAL_MS;
  /** Until the ledger's claims are loaded, paying could start a channel over at 0: nothing is paid. */
  private loaded = false;

  constructor(
    private settling: SettlingPeer,
    private readonly deps: PayerDeps,
  ) {}

  get peer(): SettlingPeer {
    return this.settling;
  }

  /** New thresholds or addresses from a runtime config change; the chain stays (a new engine needs a new payer). */
  reconfigure(peer: SettlingPeer): void {
    this.settling = peer;
    this.channel = undefined;
    this.owedMore();
  }

  /** Every claim the ledger holds for this peer is loaded: paying may start. */
  markLoaded(): void {
    this.loaded = true;
    this.owedMore();
  }

  /** Claims read from the ledger at start. */
  load(claim: ClaimRecord): void {
    const known = this.paid.get(claim.channelId);
    if (known === undefined || known.cumulative < claim.cumulative) this.paid.set(claim.channelId, claim);
  }

  get currentChannel(): ChannelState | undefined {
    return this.channel;
  }

  get acknowledgedCumulative(): bigint {
    return this.acknowledged;
  }

  /** The best claim signed on `channelId`. */
  bestClaim(channelId: string): ClaimRecord | undefined {
    return this.paid.get(channelId);
  }

  /** What we owe the peer beyond settleTo (asset units; 0 when nothing is due). */
  unsettled(): bigint {
    const balance = this.deps.ledger.postedBalance(this.peer.peerId) ?? 0n;
    const owed = -balance - this.peer.settleTo;
    return owed > 0n ? owed : 0n;
  }

  owedMore(): void {
    this.dirty = true;
    if (this.loaded && !this.running && this.retryTimer === undefined) void this.run();
  }

  /** Something that may unblock a failed settlement changed (the peer connected or announced its address). */
  retryNow(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryMs = RETRY_INITIAL_MS;
    this.owedMore();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.resendTimer !== undefined) clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
  }

  /** Sends our best claim again (after a reconnect: the peer may have missed it). */
  resendLatest(): void {
    const channel = this.channel;
    const claim =
      this.unsent?.claim ?? (channel === undefined ? this.latestClaim() : this.paid.get(channel.channelId));
    if (claim === undefined) return;
    // The Transfer's amount is informational (the peer books from the cumulative claim alone).
    void this.send(claim, this.unsent?.amount ?? 0n);
  }

  /** Forgets the cached channel so the next settlement reads it again (after an operator's change). */
  refreshChannel(channel: ChannelState | undefined): void {
    this.channel = channel;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.dirty && !this.stopped) {
        this.dirty = false;
        await this.payDown();
      }
      this.retryMs = RETRY_INITIAL_MS;
    } catch (err) {
      this.deps.observer.settled(this.peer.peerId, 'paid', 'failed', 0);
      this.deps.logger.warn(
        { peer: this.peer.peerId, err: (err as Error).message, retryInMs: this.retryMs },
        'settlement with peer failed; retrying',
      );
      this.scheduleRetry();
    } finally {
      this.running = false;
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.owedMore();
    }, delay);
    this.retryTimer.unref();
  }

  private async payDown(): Promise<void> {
    const { peer, engine, ledger, observer } = { peer: this.peer, ...this.deps };
    const balance = ledger.postedBalance(peer.peerId);
    if (balance === undefined) return;
    const owed = -balance;
    if (owed <= 0n || owed < peer.threshold || owed <= peer.settleTo) return;
    const started = performance.now();
    const wanted = peer.scale.chainAmount(owed - peer.settleTo);
    if (wanted === 0n) return;
    let channel = await this.ensureChannel(wanted);
    const previous = this.paid.get(channel.channelId)?.cumulative ?? 0n;
    let cumulative = previous + wanted;
    if (cumulative > channel.deposit && peer.autoOpenDeposit !== undefined) {
      const topUp = maxOf(peer.scale.chainAmount(peer.autoOpenDeposit), cumulative - channel.deposit);
      channel = await engine.deposit(channel.channelId, topUp);
      this.channel = channel;
      observer.chainTransaction(peer.chain, 'deposit', 'ok');
      this.deps.logger.info(
        { peer: peer.peerId, channel: channel.channelId, deposit: channel.deposit.toString() },
        'topped up our channel to the peer',
      );
    }
    if (cumulative > channel.deposit) cumulative = channel.deposit;
    if (cumulative <= previous) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_CHANNEL_EXHAUSTED',
        `our channel ${channel.channelId} to ${peer.peerId} has nothing left (deposit ${channel.deposit}); ` +
          'deposit more (ilpd channels deposit) or set settlement.autoOpen',
      );
    }
    const signature = await engine.signClaim(channel, cumulative);
    const claim: ClaimRecord = {
      peerId: peer.peerId,
      direction: 'paid',
      chain: peer.chain,
      channelId: channel.channelId,
      cumulative,
      signature,
    };
    const amount = peer.scale.increment(previous, cumulative);
    const outcome = await ledger.recordSettlement(claim, amount);
    if (outcome !== 'applied') {
      // Only this payer writes our claims on this channel: anything else is a second writer on the ledger.
      throw new DaemonError(
        'ILPD_ERR_INTERNAL',
        `the ledger refused our own claim ${cumulative} on ${channel.channelId}: ${outcome}`,
      );
    }
    this.paid.set(channel.channelId, claim);
    observer.settled(peer.peerId, 'paid', 'ok', (performance.now() - started) / 1000);
    void this.send(claim, amount);
  }

  /** Sends a booked claim; a peer that is away gets it again on reconnect. Never throws. */
  private async send(claim: ClaimRecord, amount: bigint): Promise<void> {
    const { btp, logger, observer, claimTimeoutMs } = this.deps;
    if (!this.deps.isConnected()) {
      this.unsent = { claim, amount };
      return;
    }
    try {
      const answer = await btp.request(
        this.peer.peerId,
        (requestId) => encodeClaimTransfer(requestId, amount, { ...claim, chain: this.peer.chain }),
        claimTimeoutMs,
      );
      const read = readClaimAnswer(answer);
      // A claim the peer already holds (or beats) is as good as accepted: claims are cumulative.
      if (read.accepted || read.reason === 'not-increasing') {
        if (claim.cumulative > this.acknowledged) this.acknowledged = claim.cumulative;
        if (this.unsent !== undefined && this.unsent.claim.cumulative <= claim.cumulative)
          this.unsent = undefined;
        this.resendMs = RETRY_INITIAL_MS;
        return;
      }
      if (read.temporary) {
        this.deliverLater(claim, amount, read.detail);
        return;
      }
      observer.settled(this.peer.peerId, 'paid', 'refused', 0);
      // The channel is no longer one the peer credits (closed or closing on chain): later claims go to a
      // channel read again (or a new one).
      if (
        read.reason === 'channel-closing' ||
        read.reason === 'unknown-channel' ||
        read.reason === 'wrong-channel'
      ) {
        if (this.channel?.channelId === claim.channelId) this.channel = undefined;
      }
      logger.error(
        {
          peer: this.peer.peerId,
          channel: claim.channelId,
          cumulative: claim.cumulative.toString(),
          detail: read.detail,
        },
        'the peer refused our claim: our ledger counts it as paid, the peer does not; check both configurations',
      );
    } catch (err) {
      this.deliverLater(claim, amount, (err as Error).message);
    }
  }

  /**
   * Keeps the claim to send again (after a backoff, and when the peer reconnects): it is booked, so the
   * peer must get it (or a later one). Only the best unsent claim is kept: claims are cumulative.
   */
  private deliverLater(claim: ClaimRecord, amount: bigint, why: string): void {
    if (this.unsent === undefined || this.unsent.claim.cumulative < claim.cumulative)
      this.unsent = { claim, amount };
    this.deps.logger.warn(
      { peer: this.peer.peerId, err: why, resendInMs: this.resendMs },
      'could not deliver our claim; sending it again',
    );
    if (this.resendTimer !== undefined || this.stopped) return;
    const delay = this.resendMs;
    this.resendMs = Math.min(this.resendMs * 2, RETRY_MAX_MS);
    this.resendTimer = setTimeout(() => {
      this.resendTimer = undefined;
      if (this.unsent !== undefined) this.resendLatest();
    }, delay);
    this.resendTimer.unref();
  }

  private async ensureChannel(needed: bigint): Promise<ChannelState> {
    const { peer } = this;
    const { engine, logger, observer } = this.deps;
    if (this.channel?.status === 'open') return this.channel;
    const receiver = peer.peerAddress ?? this.deps.announcedAddress();
    if (receiver === undefined) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_NO_CHANNEL',
        `${peer.peerId} has not told us its ${peer.chain} address yet (set peers[].settlement.peerAddress, or ` +
          'wait for it to connect)',
      );
    }
    for (const claim of [...this.paid.values()].sort((a, b) => (a.cumulative > b.cumulative ? -1 : 1))) {
      const channel = await engine.readChannel(claim.channelId);
      if (channel?.status === 'open' && sameAddress(peer.chain, channel.receiver, receiver)) {
        this.channel = channel;
        return channel;
      }
    }
    if (peer.autoOpenDeposit === undefined) {
      throw new DaemonError(
        'ILPD_ERR_SETTLEMENT_NO_CHANNEL',
        `no open ${peer.chain} channel to ${peer.peerId} (${receiver}): open one with \`ilpd channels open\` or ` +
          'set peers[].settlement.autoOpen',
      );
    }
    const deposit = maxOf(peer.scale.chainAmount(peer.autoOpenDeposit), needed);
    const channel = await engine.openChannel(receiver, deposit);
    observer.chainTransaction(peer.chain, 'open', 'ok');
    logger.info(
      { peer: peer.peerId, channel: channel.channelId, deposit: channel.deposit.toString() },
      'opened a channel to the peer',
    );
    this.channel = channel;
    return channel;
  }

  private latestClaim(): ClaimRecord | undefined {
    let best: ClaimRecord | undefined;
    for (const claim of this.paid.values())
      if (best === undefined || claim.cumulative > best.cumulative) best = claim;
    return best;
  }
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
