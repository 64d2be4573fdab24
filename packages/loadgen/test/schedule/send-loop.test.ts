import { OpenLoopSchedule } from '../../src/schedule/open-loop-schedule';
import { SendLoop, type PacketSink } from '../../src/schedule/send-loop';

class RecordingSink implements PacketSink {
  readonly bursts: number[][] = [];
  private current: number[] | undefined;
  beginBurst(): void {
    this.current = [];
  }
  send(scheduledAtMs: number): void {
    if (!this.current) throw new Error('send outside a burst');
    this.current.push(scheduledAtMs);
  }
  endBurst(): void {
    if (this.current) this.bursts.push(this.current);
    this.current = undefined;
  }
}

describe('SendLoop', () => {
  it('sends every packet whose scheduled time has passed in one burst, stamped with that time', () => {
    let clock = 1000;
    const sink = new RecordingSink();
    const loop = new SendLoop(new OpenLoopSchedule([{ rate: 1000, durationMs: 100 }]), sink, {
      tickMs: 1,
      maxBurst: 1000,
      now: () => clock,
    });
    void loop.run(1000);
    loop.stop();
    clock = 1004.5;
    expect(loop.runTick()).toBe(4);
    // The first packet (t=0) went out when run() started; this burst carries t = 1..4 ms.
    expect(sink.bursts.at(-1)).toEqual([1001, 1002, 1003, 1004]);
  });

  it('caps a burst at maxBurst and continues with the backlog on the next tick', () => {
    let clock = 0;
    const sink = new RecordingSink();
    const loop = new SendLoop(new OpenLoopSchedule([{ rate: 10_000, durationMs: 1000 }]), sink, {
      tickMs: 1,
      maxBurst: 100,
      now: () => clock,
    });
    void loop.run(0);
    loop.stop();
    clock = 50;
    expect(loop.runTick()).toBe(100);
    expect(loop.runTick()).toBe(100);
    expect(sink.bursts.flat()).toHaveLength(1 + 200);
  });

  it('does not open a burst when nothing is due', () => {
    const sink = new RecordingSink();
    const loop = new SendLoop(new OpenLoopSchedule([{ rate: 1, durationMs: 5000 }]), sink, {
      tickMs: 1,
      maxBurst: 10,
      now: () => 0,
    });
    void loop.run(0);
    loop.stop();
    expect(loop.runTick()).toBe(0);
    expect(sink.bursts).toHaveLength(1);
  });

  it('resolves once the whole schedule has been sent on real timers', async () => {
    const sink = new RecordingSink();
    const loop = new SendLoop(new OpenLoopSchedule([{ rate: 2000, durationMs: 50 }]), sink, {
      tickMs: 1,
      maxBurst: 1000,
      now: () => performance.now(),
    });
    await loop.run();
    expect(sink.bursts.flat()).toHaveLength(100);
  });
});
