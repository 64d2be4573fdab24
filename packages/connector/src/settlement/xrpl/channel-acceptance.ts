import type { ChannelCheck, ChannelState, ClaimRefusal } from '../channel-engine';
import { claimKeyType } from './claim-signature';

/**
 * Whether a peer's channel to us is safe to credit claims on. A claim is only worth what we can still
 * redeem, so the channel must not be able to end under us faster than we can react:
 *  - CancelAfter set: the channel dies at that time whatever we hold, refused;
 *  - Expiration already set: the source has asked to close, refused (no new credit on a closing channel);
 *  - SettleDelay below our minimum: after the source's close request we would have too little time to
 *    redeem, refused;
 *  - the destination must be us, and the PublicKey one that can sign claims rippled accepts.
 * Pure: the core calls it before crediting a channel, and again when it re-reads one.
 */
export type { ChannelCheck };

export interface ChannelTerms {
  readonly ourAddress: string;
  readonly minSettleDelaySeconds: number;
}

export function checkIncomingChannel(channel: ChannelState, terms: ChannelTerms): ChannelCheck {
  const refuse = (reason: ClaimRefusal, message: string): ChannelCheck => ({
    accepted: false,
    reason,
    message: `channel ${channel.channelId}: ${message}`,
  });
  if (channel.chain !== 'xrpl') return refuse('wrong-channel', `is on ${channel.chain}, not the XRP Ledger`);
  if (channel.receiver !== terms.ourAddress) {
    return refuse('wrong-channel', `pays ${channel.receiver}, not us (${terms.ourAddress})`);
  }
  if (channel.publicKey === undefined || claimKeyType(channel.publicKey) === undefined) {
    return refuse('malformed', `has no usable claim key (${channel.publicKey ?? 'none'})`);
  }
  if (channel.cancelAfterMs !== undefined) {
    return refuse(
      'unsafe-terms',
      `has CancelAfter set (${new Date(channel.cancelAfterMs).toISOString()}): it can expire under unredeemed claims`,
    );
  }
  if (channel.status !== 'open' || channel.closesAtMs !== undefined) {
    const when =
      channel.closesAtMs === undefined ? '' : ` (expires ${new Date(channel.closesAtMs).toISOString()})`;
    return refuse('channel-closing', `is ${channel.status}: its source has asked to close it${when}`);
  }
  if (channel.settleDelaySeconds < terms.minSettleDelaySeconds) {
    return refuse(
      'unsafe-terms',
      `has a settle delay of ${channel.settleDelaySeconds} s, below our minimum of ${terms.minSettleDelaySeconds} s`,
    );
  }
  return { accepted: true };
}
