import type { ChannelState } from '../../../src/settlement/channel-engine';
import { checkIncomingChannel } from '../../../src/settlement/xrpl/channel-acceptance';

const US = 'rPT1Sjq2YGrBMTttX4GZHjKu9dyfzbpAYe';
const TERMS = { ourAddress: US, minSettleDelaySeconds: 3600 };

function channel(overrides: Partial<ChannelState> = {}): ChannelState {
  return {
    chain: 'xrpl',
    channelId: 'AB'.repeat(32),
    sender: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh',
    receiver: US,
    deposit: 10_000_000n,
    paidOut: 0n,
    status: 'open',
    publicKey: `ED${'11'.repeat(32)}`,
    settleDelaySeconds: 86_400,
    ...overrides,
  };
}

describe('checkIncomingChannel', () => {
  it('accepts an open channel to us with a usable key and a long enough settle delay', () => {
    expect(checkIncomingChannel(channel(), TERMS)).toEqual({ accepted: true });
    expect(checkIncomingChannel(channel({ settleDelaySeconds: 3600 }), TERMS)).toEqual({ accepted: true });
    expect(checkIncomingChannel(channel({ publicKey: `03${'22'.repeat(32)}` }), TERMS)).toEqual({
      accepted: true,
    });
  });

  it.each<[string, Partial<ChannelState>, string, string]>([
    ['another destination', { receiver: 'rHb9CJAWyB4rj91VRWn96DkukG4bwdtyTh' }, 'wrong-channel', 'not us'],
    ['another chain', { chain: 'evm' }, 'wrong-channel', 'not the XRP Ledger'],
    ['no claim key', { publicKey: undefined }, 'malformed', 'no usable claim key'],
    ['an uncompressed key', { publicKey: `04${'33'.repeat(64)}` }, 'malformed', 'no usable claim key'],
    ['CancelAfter set', { cancelAfterMs: Date.UTC(2030, 0, 1) }, 'unsafe-terms', 'CancelAfter'],
    [
      'a close requested',
      { status: 'closing', closesAtMs: Date.UTC(2030, 0, 1) },
      'channel-closing',
      'expires 2030-01-01T00:00:00.000Z',
    ],
    [
      'an expired channel',
      { status: 'closed', closesAtMs: Date.UTC(2020, 0, 1) },
      'channel-closing',
      'is closed',
    ],
    ['a short settle delay', { settleDelaySeconds: 3599 }, 'unsafe-terms', 'settle delay of 3599 s'],
  ])('refuses %s', (_what, overrides, reason, message) => {
    expect(checkIncomingChannel(channel(overrides), TERMS)).toEqual({
      accepted: false,
      reason,
      message: expect.stringContaining(message),
    });
  });
});
