import { ForwardingTable } from '../../src/routing/forwarding-table';

const via = (nextHop: string) => ({ nextHop, path: ['test.me'], auth: Buffer.alloc(32) });

describe('ForwardingTable', () => {
  it('gives every change the next epoch', () => {
    const table = new ForwardingTable();
    expect(table.record('test.a', via('a')).epoch).toBe(0);
    expect(table.record('test.b', via('b')).epoch).toBe(1);
    expect(table.currentEpoch).toBe(2);
  });

  it('sends a peer catching up only the latest change per prefix', () => {
    const table = new ForwardingTable();
    table.record('test.a', via('a'));
    table.record('test.b', via('b'));
    table.record('test.a', undefined);
    const { updates, toEpoch } = table.updatesFrom(0, 50);
    expect(updates.map((u) => [u.prefix, u.route?.nextHop])).toEqual([
      ['test.b', 'b'],
      ['test.a', undefined],
    ]);
    expect(toEpoch).toBe(3);
  });

  it('pages the log by epochs', () => {
    const table = new ForwardingTable();
    for (let i = 0; i < 120; i++) table.record(`test.p${i}`, via('x'));
    expect(table.updatesFrom(0, 50)).toMatchObject({ toEpoch: 50 });
    expect(table.updatesFrom(100, 50).updates).toHaveLength(20);
    expect(table.updatesFrom(120, 50)).toEqual({ updates: [], toEpoch: 120 });
  });

  it('finds the routed prefixes covering a prefix on segment boundaries', () => {
    const table = new ForwardingTable();
    table.record('test.a', via('a'));
    table.record('test.ab', via('b'));
    table.record('test.a.b', undefined);
    expect(table.routedEntriesAbove('test.a.b.c').map((e) => e.prefix)).toEqual(['test.a']);
  });

  it('keeps one entry per prefix, so a flapping route costs epochs, not memory', () => {
    const table = new ForwardingTable();
    for (let i = 0; i < 100_000; i++) table.record('test.flap', i % 2 === 0 ? via('a') : undefined);
    expect(table.currentEpoch).toBe(100_000);
    expect(table.updatesFrom(0, 1_000_000).updates).toEqual([
      { prefix: 'test.flap', route: undefined, epoch: 99_999 },
    ]);
    expect(table.compact()).toBe(false);
  });

  it('compacts under a new table id once withdrawals outnumber live routes and 1024', () => {
    const table = new ForwardingTable();
    table.record('test.live', via('a'));
    for (let i = 0; i < 1024; i++) {
      table.record(`test.gone${i}`, via('x'));
      table.record(`test.gone${i}`, undefined);
    }
    const id = table.routingTableId;
    expect(table.compact()).toBe(false);
    table.record('test.gone-one-more', undefined);
    expect(table.compact()).toBe(true);
    expect(table.routingTableId).not.toBe(id);
    expect(table.currentEpoch).toBe(1);
    expect(table.updatesFrom(0, 50).updates.map((u) => [u.prefix, u.epoch])).toEqual([['test.live', 0]]);
    expect(table.get('test.gone0')).toBeUndefined();
  });

  it('uses a fresh routing table id per instance (per process)', () => {
    expect(new ForwardingTable().routingTableId).not.toBe(new ForwardingTable().routingTableId);
  });
});
