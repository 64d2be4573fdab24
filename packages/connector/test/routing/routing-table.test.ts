import fc from 'fast-check';
import { coversPrefix, RoutingTable } from '../../src/routing/routing-table';

function route(nextHop: string) {
  return { nextHop, path: [], auth: Buffer.alloc(32) };
}

function tableOf(routes: Record<string, string>): RoutingTable {
  const table = new RoutingTable();
  for (const [prefix, nextHop] of Object.entries(routes)) table.insert(prefix, route(nextHop));
  return table;
}

describe('RoutingTable', () => {
  it('matches a prefix itself and addresses below it', () => {
    const table = tableOf({ 'g.a': 'a' });
    expect(table.resolve('g.a')?.nextHop).toBe('a');
    expect(table.resolve('g.a.x')?.nextHop).toBe('a');
    expect(table.resolve('g.a.x.y.z')?.nextHop).toBe('a');
  });

  it('matches only on segment boundaries: g.a does not match g.ab', () => {
    const table = tableOf({ 'g.a': 'a' });
    expect(table.resolve('g.ab')).toBeUndefined();
    expect(table.resolve('g')).toBeUndefined();
  });

  it('prefers the longest matching prefix', () => {
    const table = tableOf({ g: 'parent', 'g.a': 'a', 'g.a.b': 'b', 'g.a.b.c.d': 'd' });
    expect(table.resolve('g.a.b.c')?.nextHop).toBe('b');
    expect(table.resolve('g.a.b.c.d.e')?.nextHop).toBe('d');
    expect(table.resolve('g.a.bb')?.nextHop).toBe('a');
    expect(table.resolve('g.z')?.nextHop).toBe('parent');
    expect(table.resolvePrefix('g.a.b.c')).toBe('g.a.b');
  });

  it('uses the empty prefix as a catch-all default route', () => {
    const table = tableOf({ '': 'parent', 'g.a': 'a' });
    expect(table.resolve('test.anything')?.nextHop).toBe('parent');
    expect(table.resolve('g.a.x')?.nextHop).toBe('a');
    expect(table.resolvePrefix('test.anything')).toBe('');
  });

  it('forgets deleted prefixes and falls back to shorter ones', () => {
    const table = tableOf({ g: 'parent', 'g.a': 'a' });
    expect(table.delete('g.a')).toBe(true);
    expect(table.delete('g.a')).toBe(false);
    expect(table.resolve('g.a.x')?.nextHop).toBe('parent');
    table.delete('g');
    expect(table.resolve('g.a.x')).toBeUndefined();
    expect(table.size).toBe(0);
  });

  it('keeps lookups right when several prefixes share a length', () => {
    const table = tableOf({ 'g.aa': 'x', 'g.bb': 'y' });
    table.delete('g.aa');
    expect(table.resolve('g.bb.c')?.nextHop).toBe('y');
    expect(table.resolve('g.aa.c')).toBeUndefined();
  });

  it('replaces the route of an existing prefix', () => {
    const table = tableOf({ 'g.a': 'a' });
    table.insert('g.a', route('b'));
    expect(table.size).toBe(1);
    expect(table.resolve('g.a.x')?.nextHop).toBe('b');
  });

  it('lists the prefixes under a prefix on segment boundaries', () => {
    const table = tableOf({ 'g.a': 'a', 'g.a.b': 'b', 'g.ab': 'c', g: 'p' });
    expect(table.keysUnder('g.a').sort()).toEqual(['g.a', 'g.a.b']);
  });

  it('agrees with a brute-force longest match on random tables', () => {
    const address = fc
      .array(fc.constantFrom('a', 'b', 'ab', 'c'), { maxLength: 4 })
      .map((segments) => ['g', ...segments].join('.'));
    fc.assert(
      fc.property(
        fc.uniqueArray(address, { maxLength: 8 }),
        fc.array(address, { minLength: 1, maxLength: 20 }),
        (prefixes, destinations) => {
          const table = new RoutingTable();
          prefixes.forEach((prefix, i) => table.insert(prefix, route(`hop${i}`)));
          for (const destination of destinations) {
            const expected = prefixes
              .filter((prefix) => coversPrefix(prefix, destination))
              .sort((x, y) => y.length - x.length)[0];
            expect(table.resolvePrefix(destination)).toBe(expected);
            expect(table.resolve(destination)).toBe(expected === undefined ? undefined : table.get(expected));
          }
        },
      ),
    );
  });
});
