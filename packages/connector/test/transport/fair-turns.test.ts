import { encodeFulfill, encodeReject } from '@ilpd/codec';
import { EventEmitter } from 'node:events';
import type WebSocket from 'ws';
import { FairTurns, FRAMES_PER_TURN, isRefusal } from '../../src/transport/fair-turns';

const reject = (code: string, message = '') =>
  encodeReject({ code, triggeredBy: 'test.me', message, data: Buffer.alloc(0) });
const FULFILL = encodeFulfill({ fulfillment: Buffer.alloc(32), data: Buffer.alloc(0) });

/** Just enough of a ws for FairTurns: pause/resume are recorded. */
function fakeSocket() {
  const calls: string[] = [];
  const ws = Object.assign(new EventEmitter(), {
    readyState: 1,
    pause: () => calls.push('pause'),
    resume: () => calls.push('resume'),
  });
  return { ws: ws as unknown as WebSocket, calls };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('isRefusal', () => {
  it('recognises T01, T02, T03, T05, F01 and F02 Rejects, whatever the length of their envelope', () => {
    for (const code of ['T01', 'T02', 'T03', 'T05', 'F01', 'F02']) {
      expect(isRefusal(reject(code))).toBe(true);
      expect(isRefusal(reject(code, 'x'.repeat(300)))).toBe(true);
    }
    for (const other of ['T00', 'T04', 'F00', 'F03', 'F99', 'R00', 'F11'])
      expect(isRefusal(reject(other))).toBe(false);
    expect(isRefusal(FULFILL)).toBe(false);
    expect(isRefusal(Buffer.from([14]))).toBe(false);
  });
});

describe('FairTurns', () => {
  it('handles a turn’s share at once, queues the rest with the socket paused, and resumes it when done', async () => {
    const { ws, calls } = fakeSocket();
    const handled: number[] = [];
    const turns = new FairTurns(ws, (frame) => handled.push(frame[0]));
    for (let i = 0; i < 100; i++) turns.receive(Buffer.from([i]));
    expect(handled).toHaveLength(FRAMES_PER_TURN);
    expect(calls).toEqual(['pause']);
    await turn();
    expect(handled).toHaveLength(2 * FRAMES_PER_TURN);
    for (let i = 0; i < 3; i++) await turn();
    expect(handled).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(calls).toEqual(['pause', 'resume']);
  });

  it('counts bytes too: one large frame is a whole turn', async () => {
    const { ws } = fakeSocket();
    const handled: number[] = [];
    const turns = new FairTurns(ws, (frame) => handled.push(frame.length));
    turns.receive(Buffer.alloc(70_000));
    turns.receive(Buffer.alloc(10));
    expect(handled).toEqual([70_000]);
    await turn();
    expect(handled).toEqual([70_000, 10]);
  });

  it('throttles a connection most of whose Prepares were refused for a budget, and lifts it when they are not', async () => {
    const { ws } = fakeSocket();
    const handled: number[] = [];
    let warned = 0;
    const turns = new FairTurns(
      ws,
      (frame) => handled.push(frame[0]),
      () => warned++,
    );
    for (let i = 0; i < 256; i++) turns.noteAnswer(i % 4 === 0 ? FULFILL : reject('T05'));
    expect(turns.isThrottled).toBe(true);
    expect(warned).toBe(1);
    // The throttled share runs on a 1 ms timer: with the clock pinned, exactly 4 frames per tick.
    jest.useFakeTimers();
    try {
      for (let i = 0; i < 40; i++) turns.receive(Buffer.from([i]));
      expect(handled).toHaveLength(4);
      jest.advanceTimersByTime(0);
      expect(handled).toHaveLength(4);
      jest.advanceTimersByTime(1);
      expect(handled).toHaveLength(8);
      jest.advanceTimersByTime(2);
      expect(handled).toHaveLength(16);
    } finally {
      jest.useRealTimers();
    }
    for (let i = 0; i < 256; i++) turns.noteAnswer(i % 2 === 0 ? FULFILL : reject('T02'));
    expect(turns.isThrottled).toBe(true);
    expect(warned).toBe(1);
    for (let i = 0; i < 256; i++) turns.noteAnswer(reject('F99'));
    expect(turns.isThrottled).toBe(false);
    turns.stop();
  });
});
