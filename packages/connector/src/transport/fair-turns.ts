import WebSocket from 'ws';

/**
 * Frames, and bytes of frames, one connection may have handled per turn of the event loop (at least
 * one frame, however large). A flooding peer's socket holds megabytes, and libuv reads up to 32 × 64
 * KiB of it per poll, which ws would turn into thousands of synchronous 'message' events while every
 * other peer waits; beyond this share its frames wait (its socket paused) for the next turn, so each
 * connection gets its turn in round robin.
 */
export const FRAMES_PER_TURN = 32;
export const BYTES_PER_TURN = 65_536;

/**
 * A connection whose recent Prepares were mostly refused — for a budget (T02, T03, T05: its own, the
 * pool's, or its destination's), as invalid (F01), or as unroutable (F02, T01: no route, next hop not
 * connected) — gets a smaller share, on a timer: THROTTLED_FRAMES_PER_TURN frames per
 * THROTTLED_TURN_MS. Refusing a flood costs CPU, and round robin alone would let a peer flooding at
 * full speed spend all the CPU the honest peers leave idle; this caps it at ~4,000 frames/s, which TCP
 * pushes back to the flooder. Judged every ANSWERS_PER_VERDICT answers; a peer that slows down is back
 * to the full share one window later.
 */
const THROTTLED_FRAMES_PER_TURN = 4;
const THROTTLED_TURN_MS = 1;
const ANSWERS_PER_VERDICT = 256;
const REFUSED_SHARE_TO_THROTTLE = 0.5;

/** ILP Reject type byte, and the characters of the codes that count as refusals. */
const ILP_REJECT = 14;
const F = 0x46;
const T = 0x54;
const ZERO = 0x30;

/**
 * Hands a connection's frames to `handle` in fair turns: at most a turn's share per turn of the event
 * loop, the rest queued (bounded by what was read before the socket was paused: one socket read).
 */
export class FairTurns {
  private framesThisTurn = 0;
  private bytesThisTurn = 0;
  private turnScheduled = false;
  private timer: NodeJS.Timeout | undefined;
  /** Frames beyond this turn's share, handled in the next turns while the socket is paused. */
  private backlog: Buffer[] = [];
  private answers = 0;
  private refused = 0;
  private throttled = false;
  private stopped = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly handle: (frame: Buffer) => void,
    /** Called when the connection goes from its full share to the throttled one. */
    private readonly onThrottled: () => void = () => undefined,
  ) {}

  /** True while the connection's share is the throttled one. */
  get isThrottled(): boolean {
    return this.throttled;
  }

  /** Handles a frame now, or, past this turn's share, queues it and pauses the socket. */
  receive(frame: Buffer): void {
    if (this.stopped) return;
    if (this.backlog.length === 0 && this.hasTurnLeft()) {
      this.framesThisTurn++;
      this.bytesThisTurn += frame.length;
      this.scheduleTurn();
      this.handle(frame);
      return;
    }
    if (this.backlog.length === 0) this.ws.pause();
    this.backlog.push(frame);
    this.scheduleTurn();
  }

  /** Every ILP answer sent on this connection to one of its Prepares, to judge its share. */
  noteAnswer(ilp: Buffer): void {
    this.answers++;
    if (isRefusal(ilp)) this.refused++;
    if (this.answers < ANSWERS_PER_VERDICT) return;
    const throttle = this.refused >= ANSWERS_PER_VERDICT * REFUSED_SHARE_TO_THROTTLE;
    if (throttle && !this.throttled) this.onThrottled();
    this.throttled = throttle;
    this.answers = 0;
    this.refused = 0;
  }

  /** Drops what is queued and the pending turn (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.backlog = [];
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private hasTurnLeft(): boolean {
    const frames = this.throttled ? THROTTLED_FRAMES_PER_TURN : FRAMES_PER_TURN;
    return this.framesThisTurn < frames && this.bytesThisTurn < BYTES_PER_TURN;
  }

  private scheduleTurn(): void {
    if (this.turnScheduled || this.stopped) return;
    this.turnScheduled = true;
    if (this.throttled) this.timer = setTimeout(this.nextTurn, THROTTLED_TURN_MS);
    else setImmediate(this.nextTurn);
  }

  private readonly nextTurn = (): void => {
    this.turnScheduled = false;
    this.timer = undefined;
    this.framesThisTurn = 0;
    this.bytesThisTurn = 0;
    const backlog = this.backlog;
    if (backlog.length === 0 || this.stopped) return;
    let count = 0;
    while (count < backlog.length && this.hasTurnLeft()) {
      this.framesThisTurn++;
      this.bytesThisTurn += backlog[count].length;
      count++;
    }
    const now = backlog.splice(0, count);
    this.scheduleTurn();
    for (const frame of now) this.handle(frame);
    if (this.backlog.length === 0 && this.ws.readyState === WebSocket.OPEN) this.ws.resume();
  };
}

/**
 * A Reject with code T01, T02, T03, T05, F01 or F02, read in place: type, envelope length prefix,
 * then the code.
 */
export function isRefusal(ilp: Buffer): boolean {
  if (ilp.length < 6 || ilp[0] !== ILP_REJECT) return false;
  const prefix = ilp[1];
  const at = prefix < 0x80 ? 2 : 2 + (prefix & 0x7f);
  if (at + 3 > ilp.length || ilp[at + 1] !== ZERO) return false;
  const digit = ilp[at + 2] - ZERO;
  if (ilp[at] === F) return digit === 1 || digit === 2;
  return ilp[at] === T && (digit === 1 || digit === 2 || digit === 3 || digit === 5);
}
