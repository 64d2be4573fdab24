import { ReceiverCounters } from '../../src/peers/receiver-counters';

describe('ReceiverCounters', () => {
  it('counts fulfilled and rejected Prepares and sums the fulfilled amounts', () => {
    const c = new ReceiverCounters();
    c.countFulfilled(5);
    c.countFulfilled(1000);
    c.countRejected();
    expect([c.prepares, c.fulfilled, c.rejected, c.fulfilledAmount]).toEqual([3, 2, 1, 1005]);
  });

  it('counts a frame that was not a Prepare as rejected only', () => {
    const c = new ReceiverCounters();
    c.countNotPrepare();
    expect([c.prepares, c.fulfilled, c.rejected]).toEqual([0, 0, 1]);
  });

  it('shows the writer’s counts to a reader of the same SharedArrayBuffer', () => {
    const writer = new ReceiverCounters(new SharedArrayBuffer(ReceiverCounters.BYTES));
    const reader = new ReceiverCounters(writer.buffer);
    writer.countFulfilled(7);
    writer.countRejected();
    expect([reader.prepares, reader.fulfilled, reader.rejected, reader.fulfilledAmount]).toEqual([
      2, 1, 1, 7,
    ]);
  });

  it('refuses a buffer too small for every counter', () => {
    expect(() => new ReceiverCounters(new SharedArrayBuffer(8))).toThrow(RangeError);
  });
});
