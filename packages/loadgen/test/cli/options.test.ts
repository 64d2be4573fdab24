import { receiverThreadFromFlags, UsageError } from '../../src/cli/options';

describe('--receiver-thread', () => {
  it('defaults to on', () => {
    expect(receiverThreadFromFlags({})).toBe(true);
  });

  it('accepts on and off', () => {
    expect(receiverThreadFromFlags({ 'receiver-thread': 'on' })).toBe(true);
    expect(receiverThreadFromFlags({ 'receiver-thread': 'off' })).toBe(false);
  });

  it('refuses anything else with a usage error', () => {
    expect(() => receiverThreadFromFlags({ 'receiver-thread': 'yes' })).toThrow(UsageError);
    expect(() => receiverThreadFromFlags({ 'receiver-thread': 'yes' })).toThrow(
      '--receiver-thread: expected on or off, got "yes"',
    );
  });
});
