import { PendingRequests } from '../../src/transport/pending-requests';

interface Entry {
  readonly requestId: number;
  readonly label: string;
}

const entry = (requestId: number, label = `r${requestId}`): Entry => ({ requestId, label });

describe('PendingRequests', () => {
  it('finds, takes and counts requests by id', () => {
    const pending = new PendingRequests<Entry>(16);
    pending.add(entry(1));
    pending.add(entry(2));
    expect(pending.size).toBe(2);
    expect(pending.get(1)?.label).toBe('r1');
    expect(pending.take(1)?.label).toBe('r1');
    expect(pending.take(1)).toBeUndefined();
    expect(pending.get(1)).toBeUndefined();
    expect(pending.size).toBe(1);
  });

  it('does not answer for an id that only shares a slot with a pending one', () => {
    const pending = new PendingRequests<Entry>(16);
    pending.add(entry(3));
    expect(pending.isFree(3 + 16)).toBe(false);
    expect(pending.get(3 + 16)).toBeUndefined();
    expect(pending.take(3 + 16)).toBeUndefined();
    expect(pending.size).toBe(1);
  });

  it('refuses to overwrite a taken slot', () => {
    const pending = new PendingRequests<Entry>(16);
    pending.add(entry(5));
    expect(() => pending.add(entry(5 + 16))).toThrow('collides');
    expect(pending.get(5)?.label).toBe('r5');
  });

  it('grows before it is half full and keeps every request findable', () => {
    const pending = new PendingRequests<Entry>(16);
    const ids: number[] = [];
    for (let id = 100; ids.length < 200; id++) {
      if (!pending.isFree(id)) continue;
      pending.add(entry(id));
      ids.push(id);
    }
    expect(pending.size).toBe(200);
    for (const id of ids) expect(pending.get(id)?.requestId).toBe(id);
  });

  it('takes everything at once and is empty afterwards', () => {
    const pending = new PendingRequests<Entry>(16);
    for (const id of [7, 8, 0xffffffff]) pending.add(entry(id));
    expect(
      pending
        .takeAll()
        .map((e) => e.requestId)
        .sort(),
    ).toEqual([0xffffffff, 7, 8].sort());
    expect(pending.size).toBe(0);
    expect(pending.isFree(7)).toBe(true);
  });
});
