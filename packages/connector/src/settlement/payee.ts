import { BtpPacketType, encodeBtp } from '@ilpd/codec';
import type { Logger } from 'pino';
import type { ClaimRecord, SettlementLedger } from '../ledger/types';
import type { ChannelEngine, ChannelState, ClaimRefusal } from './channel-engine';
import { claimRefusalFrame, type ClaimMessage } from './claim-protocol';
import type { SettlementObserver } from './settlement-observer';
import { sameAddress, type SettlingPeer } from './settling-peer';

export interface PayeeDeps {
  readonly ledger: SettlementLedger;
  readonly observer: SettlementObserver;
  readonly logger: Logger;
  /** A channel read from the chain is trusted for this long before a claim reads it again. */
  readonly channelMaxAgeMs: number;
  /** The sender address a peer announced for a chain (undefined until it does). */
  announcedAddress(peerId: string, chain: string): string | undefined;
}

interface WaitingClaim {
  readonly peer: SettlingPeer;
  readonly engine: ChannelEngine;
  readonly claim: ClaimMessage;
  readonly requestId: number;
  answer(frame: Buffer): void;
}

interface ReceivedChannel {
  readonly peerId: string;
  best: ClaimRecord | undefined;
  state: ChannelState | undefined;
  readAtMs: number;
  /** Claims on one channel are judged one at a time; those that arrive meanwhile wait here. */
  waiting: WaitingClaim[];
  judging: boolean;
  /** A background read of the channel is under way. */
  refreshing: boolean;
}

class Refusal extends Error {
  constructor(
    readonly reason: ClaimRefusal,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Our side of being paid: judges each claim a peer sends on its channel to us and credits only the
 * increase over the best claim we hold, in the same durable commit that stores it. A claim that is
 * malformed, not higher, over the deposit, on a channel that is not the peer's or not to us, closing,
 * or badly signed changes nothing and is refused with its reason. The first claim stored on a channel
 * binds the channel to the peer that sent it.
 */
export class ClaimAcceptor {
  private readonly channels = new Map<string, ReceivedChannel>();

  constructor(private readonly deps: PayeeDeps) {}

  /** Claims read from the ledger at start. */
  load(claim: ClaimRecord): void {
    const known = this.channels.get(claim.channelId);
    if (known === undefined) {
      this.channels.set(claim.channelId, this.newChannel(claim.peerId, claim));
    } else if (known.best === undefined || known.best.cumulative < claim.cumulative) {
      known.best = claim;
    }
  }

  /** Every channel we hold a claim on, with its best claim and last known state. */
  held(): { peerId: string; best: ClaimRecord | undefined; state: ChannelState | undefined }[] {
    return [...this.channels.values()].map((c) => ({ peerId: c.peerId, best: c.best, state: c.state }));
  }

  /** Updates the cached state of a channel (the watcher read it). */
  observe(channelId: string, state: ChannelState | undefined): void {
    const known = this.channels.get(channelId);
    if (known === undefined) return;
    known.state = state;
    known.readAtMs = performance.now();
  }

  /** Judges one claim; resolves with the BTP answer frame (Response, or Error F00 naming the reason). */
  accept(peer: SettlingPeer, engine: ChannelEngine, claim: ClaimMessage, requestId: number): Promise<Buffer> {
    const known = this.channels.get(claim.channelId);
    if (known !== undefined && known.peerId !== peer.peerId) {
      return Promise.resolve(
        this.refuse(peer, requestId, 'wrong-channel', `channel ${claim.channelId} is another peer's`),
      );
    }
    const channel = known ?? this.newChannel(peer.peerId, undefined);
    if (known === undefined) this.channels.set(claim.channelId, channel);
    return new Promise<Buffer>((answer) => {
      channel.waiting.push({ peer, engine, claim, requestId, answer });
      if (!channel.judging) void this.drain(channel);
    });
  }

  /**
   * Judges the claims waiting on a channel, highest first: claims are cumulative, so once the highest
   * is credited every lower one that waited with it is covered (answered not-increasing, as a replay
   * would be, without a check or a write of its own). A sender that pipelines claims faster than they
   * can be written one by one is thus caught up with one write per batch. If the highest is refused,
   * the next is judged on its own.
   */
  private async drain(channel: ReceivedChannel): Promise<void> {
    channel.judging = true;
    try {
      while (channel.waiting.length > 0) {
        const batch = channel.waiting
          .splice(0)
          .sort((x, y) => (x.claim.cumulative > y.claim.cumulative ? -1 : 1));
        for (const waiting of batch) {
          const best = channel.best?.cumulative ?? 0n;
          if (waiting !== batch[0] && waiting.claim.cumulative <= best) {
            waiting.answer(
              claimRefusalFrame(waiting.requestId, 'not-increasing', `covered by the best claim ${best}`),
            );
            continue;
          }
          waiting.answer(
            await this.judge(waiting.peer, waiting.engine, channel, waiting.claim, waiting.requestId),
          );
        }
      }
    } catch (err) {
      // judge() answers every claim itself; reaching here is a bug: fail loudly, never leave a claim unanswered.
      this.deps.logger.error({ err }, 'claim judging failed');
      for (const waiting of channel.waiting.splice(0)) {
        waiting.answer(claimRefusalFrame(waiting.requestId, 'malformed', 'internal error'));
      }
    } finally {
      channel.judging = false;
    }
  }

  private async judge(
    peer: SettlingPeer,
    engine: ChannelEngine,
    channel: ReceivedChannel,
    claim: ClaimMessage,
    requestId: number,
  ): Promise<Buffer> {
    const started = performance.now();
    try {
      const best = channel.best?.cumulative ?? 0n;
      if (claim.cumulative <= best) {
        throw new Refusal(
          'not-increasing',
          `cumulative ${claim.cumulative} is not above the best claim ${best}`,
        );
      }
      const state = await this.channelState(engine, channel, claim);
      this.checkChannel(peer, engine, state, claim);
      const verifyStarted = performance.now();
      const valid = await engine.verifyClaim(state, claim.cumulative, claim.signature);
      this.deps.observer.verified(valid, (performance.now() - verifyStarted) / 1000);
      if (!valid)
        throw new Refusal(
          'bad-signature',
          `the signature does not match channel ${claim.channelId}'s sender`,
        );
      const record: ClaimRecord = { peerId: peer.peerId, direction: 'received', ...claim };
      const outcome = await this.deps.ledger.recordSettlement(
        record,
        peer.scale.increment(best, claim.cumulative),
      );
      if (outcome === 'stale')
        throw new Refusal('not-increasing', `a claim at least as high is already booked`);
      if (outcome === 'foreign-channel')
        throw new Refusal('wrong-channel', `channel ${claim.channelId} is another peer's`);
      channel.best = record;
      this.deps.observer.settled(peer.peerId, 'received', 'ok', (performance.now() - started) / 1000);
      return encodeBtp({ type: BtpPacketType.Response, requestId, protocolData: [] });
    } catch (err) {
      if (err instanceof Refusal) return this.refuse(peer, requestId, err.reason, err.message);
      // The chain or the ledger could not answer: nothing was booked; the peer sends the claim again.
      this.deps.observer.settled(peer.peerId, 'received', 'failed', (performance.now() - started) / 1000);
      this.deps.logger.warn(
        { peer: peer.peerId, err: (err as Error).message },
        'could not judge a claim now',
      );
      return encodeBtp({
        type: BtpPacketType.Error,
        requestId,
        code: 'T00',
        name: 'UnreachableError',
        triggeredAt: new Date(),
        data: Buffer.from(`try again later: ${(err as Error).message}`.slice(0, 300)),
        protocolData: [],
      });
    }
  }

  /**
   * The channel as the chain says. A claim within the deposit of an open channel we read before is
   * judged against that copy at once (signature and increase checked as always); a copy older than
   * channelMaxAgeMs is read again beside it, so a channel the sender starts closing is seen within that
   * long (the watcher redeems it), and no claim waits for the chain while the channel covers it. That
   * also keeps claims flowing while the chain cannot be reached: the sender cannot take its deposit back
   * faster than its challenge period / settle delay. A claim above the deposit we know, or on a channel
   * we have not read, waits for the chain.
   */
  private async channelState(
    engine: ChannelEngine,
    channel: ReceivedChannel,
    claim: ClaimMessage,
  ): Promise<ChannelState> {
    const cached = channel.state;
    if (cached !== undefined && cached.status === 'open' && claim.cumulative <= cached.deposit) {
      if (performance.now() - channel.readAtMs >= this.deps.channelMaxAgeMs)
        this.refresh(engine, channel, claim.channelId);
      return cached;
    }
    const state = await engine.readChannel(claim.channelId);
    if (state === undefined)
      throw new Refusal('unknown-channel', `no channel ${claim.channelId} on ${engine.chain}`);
    channel.state = state;
    channel.readAtMs = performance.now();
    return state;
  }

  /** Reads a channel again in the background (one read at a time per channel). */
  private refresh(engine: ChannelEngine, channel: ReceivedChannel, channelId: string): void {
    if (channel.refreshing) return;
    channel.refreshing = true;
    engine
      .readChannel(channelId)
      .then(
        (state) => {
          channel.state = state;
          channel.readAtMs = performance.now();
        },
        (err: unknown) =>
          this.deps.logger.debug(
            { channel: channelId, err: (err as Error).message },
            'channel refresh failed',
          ),
      )
      .finally(() => (channel.refreshing = false));
  }

  private checkChannel(
    peer: SettlingPeer,
    engine: ChannelEngine,
    state: ChannelState,
    claim: ClaimMessage,
  ): void {
    if (!sameAddress(peer.chain, state.receiver, engine.ourAddress)) {
      throw new Refusal('wrong-channel', `channel ${claim.channelId} pays ${state.receiver}, not us`);
    }
    const sender = peer.peerAddress ?? this.deps.announcedAddress(peer.peerId, peer.chain);
    if (sender !== undefined && !sameAddress(peer.chain, state.sender, sender)) {
      throw new Refusal(
        'wrong-channel',
        `channel ${claim.channelId} is funded by ${state.sender}, not ${peer.peerId}`,
      );
    }
    if (state.status !== 'open') {
      throw new Refusal('channel-closing', `channel ${claim.channelId} is ${state.status}`);
    }
    const check = engine.checkIncomingChannel?.(state);
    if (check !== undefined && !check.accepted) throw new Refusal(check.reason, check.message);
    if (claim.cumulative > state.deposit) {
      throw new Refusal(
        'over-deposit',
        `cumulative ${claim.cumulative} exceeds the deposit ${state.deposit}`,
      );
    }
  }

  private refuse(peer: SettlingPeer, requestId: number, reason: ClaimRefusal, detail: string): Buffer {
    this.deps.observer.settled(peer.peerId, 'received', 'refused', 0);
    this.deps.logger.info({ peer: peer.peerId, reason, detail }, 'refused a claim');
    return claimRefusalFrame(requestId, reason, detail);
  }

  private newChannel(peerId: string, best: ClaimRecord | undefined): ReceivedChannel {
    return {
      peerId,
      best,
      state: undefined,
      readAtMs: -Infinity,
      waiting: [],
      judging: false,
      refreshing: false,
    };
  }
}
