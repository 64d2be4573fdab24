import { selectNextHop } from '../../../src/packet/stages/route';
import { RoutingTable } from '../../../src/routing/routing-table';

function table(routes: Record<string, string>): RoutingTable {
  const t = new RoutingTable();
  for (const [prefix, nextHop] of Object.entries(routes))
    t.insert(prefix, { nextHop, path: [], auth: Buffer.alloc(32) });
  return t;
}

describe('route stage', () => {
  it('picks the next hop of the longest matching prefix', () => {
    const t = table({ test: 'parent', 'test.ilpd.bob': 'bob' });
    expect(selectNextHop(t, 'test.ilpd.bob.x', 'alice')).toBe('bob');
    expect(selectNextHop(t, 'test.other', 'alice')).toBe('parent');
  });

  it('rejects F02 when no route matches', () => {
    expect(() => selectNextHop(table({ 'test.ilpd.bob': 'bob' }), 'test.nowhere', 'alice')).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_UNREACHABLE', message: 'no route to test.nowhere' }),
    );
  });

  it('rejects F02 rather than route a packet back to its sender', () => {
    expect(() => selectNextHop(table({ test: 'parent' }), 'test.elsewhere', 'parent')).toThrow(
      expect.objectContaining({
        code: 'ILPD_ERR_UNREACHABLE',
        message: expect.stringContaining('back to its sender'),
      }),
    );
  });

  it('rejects F02 for our own prefix, which has no peer behind it', () => {
    const t = table({ test: 'parent', 'test.ilpd': '' });
    expect(() => selectNextHop(t, 'test.ilpd.unknown-child', 'alice')).toThrow(
      expect.objectContaining({ code: 'ILPD_ERR_UNREACHABLE' }),
    );
  });
});
