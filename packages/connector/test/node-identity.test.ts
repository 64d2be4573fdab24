import { addressOrEmpty, SettableNodeIdentity } from '../src/node-identity';

describe('SettableNodeIdentity', () => {
  it('is known from construction when config has an address', () => {
    expect(new SettableNodeIdentity('test.ilpd').address).toBe('test.ilpd');
  });

  it('can be set once at startup and then read', () => {
    const identity = new SettableNodeIdentity();
    expect(identity.isSet).toBe(false);
    identity.set('test.parent.ilpd');
    expect(identity.address).toBe('test.parent.ilpd');
    identity.set('test.parent.ilpd');
  });

  it('refuses a second, different address', () => {
    const identity = new SettableNodeIdentity('test.ilpd');
    expect(() => identity.set('test.other')).toThrow(expect.objectContaining({ code: 'ILPD_ERR_INTERNAL' }));
  });

  it('refuses an invalid ILP address', () => {
    expect(() => new SettableNodeIdentity('not an address')).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_CONFIG' }),
    );
  });

  it('throws when read before it is known, while addressOrEmpty stays total', () => {
    const identity = new SettableNodeIdentity();
    expect(() => identity.address).toThrow(expect.objectContaining({ code: 'ILPD_ERR_INTERNAL' }));
    expect(addressOrEmpty(identity)).toBe('');
  });
});
