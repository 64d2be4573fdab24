import { BtpPacketType, decodeBtp, decodeReject, findBtpIlpData } from '@ilpd/codec';
import { BtpSession } from '../btp/btp-session';
import type { PacketSink } from '../schedule/send-loop';
import type { RunRecorder } from '../stats/run-recorder';
import { formatIlpTimestamp, type PacketPool } from '../workload/packet-pool';

const ILP_FULFILL = 13;
const ILP_REJECT = 14;
/** In-flight slots (power of two); at 50K packets/s this covers 40 s of unanswered packets. */
const RING_BITS = 21;
const RING_MASK = (1 << RING_BITS) - 1;

export interface LoadSenderOptions {
  readonly url: string;
  readonly username: string;
  readonly token: string;
  readonly pool: PacketPool;
  /** Prepare expiry relative to the send time. */
  readonly expiryMs: number;
  /** ILP code the receiver uses for packets the workload asked it to reject. */
  readonly expectedRejectCode: string;
  /** Monotonic milliseconds, the same clock as the send loop's. */
  readonly now: () => number;
}

/**
 * The sending peer: patches pre-generated frames (request id, expiry) and tracks each in-flight packet
 * in flat typed arrays indexed by request id, so the hot path allocates nothing per packet.
 */
export class LoadSender implements PacketSink {
  readonly session: BtpSession;
  private recorder: RunRecorder | undefined;
  private readonly scheduledAt = new Float64Array(RING_MASK + 1);
  private readonly ids = new Uint32Array(RING_MASK + 1);
  private readonly poolIndex = new Int32Array(RING_MASK + 1);
  private readonly state = new Uint8Array(RING_MASK + 1);
  private poolCursor = 0;
  private readonly expiry = Buffer.alloc(17);
  private expiryWrittenForMs = -1;
  private burstAtMs = 0;
  private oldestId = 0;
  private lastId = 0;
  inFlight = 0;
  /** Responses that arrived after their packet was already counted as timed out. */
  lateResponses = 0;
  /** Fulfilled amounts over the session's whole life (warm-up included), for the ledger check. */
  fulfilledAmountTotal = 0;

  constructor(private readonly options: LoadSenderOptions) {
    this.session = new BtpSession(
      { url: options.url, username: options.username, token: options.token },
      { onResponse: (id, type, frame) => this.onResponse(id, type, frame) },
    );
  }

  async start(): Promise<void> {
    await this.session.connect();
  }

  /** Where outcomes are counted; swapped between warm-up and measurement, and between search steps. */
  useRecorder(recorder: RunRecorder): void {
    this.recorder = recorder;
  }

  beginBurst(nowMs: number): void {
    this.burstAtMs = nowMs;
    const wall = Date.now();
    if (wall !== this.expiryWrittenForMs) {
      this.expiry.write(formatIlpTimestamp(wall + this.options.expiryMs), 0, 'ascii');
      this.expiryWrittenForMs = wall;
    }
    this.session.cork();
  }

  send(scheduledAtMs: number): void {
    const pool = this.options.pool;
    const p = this.poolCursor;
    this.poolCursor = p + 1 === pool.frames.length ? 0 : p + 1;
    const frame = pool.frames[p];
    const id = this.session.allocateRequestId();
    frame.writeUInt32BE(id, 1);
    this.expiry.copy(frame, pool.expiryOffsets[p]);
    const slot = id & RING_MASK;
    if (this.state[slot] === 1) {
      // More packets in flight than slots: the oldest one is given up as timed out.
      this.inFlight--;
      this.recorder?.recordTimedOut();
    }
    this.state[slot] = 1;
    this.ids[slot] = id;
    this.scheduledAt[slot] = scheduledAtMs;
    this.poolIndex[slot] = p;
    if (this.inFlight === 0) this.oldestId = id;
    this.lastId = id;
    this.inFlight++;
    this.recorder?.recordSent((this.burstAtMs - scheduledAtMs) * 1000);
    // ws copies the frame while masking it, so the pooled buffer can be patched again right away.
    this.session.sendFrame(frame);
  }

  endBurst(): void {
    this.session.uncork();
  }

  /** Counts packets unanswered for longer than their expiry plus `graceMs` as timed out. */
  sweepTimeouts(nowMs: number, graceMs: number): void {
    const limit = this.options.expiryMs + graceMs;
    while (this.inFlight > 0) {
      const slot = this.oldestId & RING_MASK;
      if (this.state[slot] === 1 && this.ids[slot] === this.oldestId) {
        if (nowMs - this.scheduledAt[slot] <= limit) return;
        this.state[slot] = 0;
        this.inFlight--;
        this.recorder?.recordTimedOut();
      }
      if (this.oldestId === this.lastId) return;
      this.oldestId = this.oldestId === 0xffffffff ? 1 : this.oldestId + 1;
    }
  }

  /** Resolves when nothing is in flight, or after timeoutMs (leftovers are then counted as timed out). */
  async drain(timeoutMs: number, graceMs: number): Promise<void> {
    const deadline = this.options.now() + timeoutMs;
    while (this.inFlight > 0 && this.options.now() < deadline && !this.session.closedWith) {
      await new Promise((r) => setTimeout(r, 20));
      this.sweepTimeouts(this.options.now(), graceMs);
    }
    if (this.inFlight > 0) this.sweepTimeouts(Number.POSITIVE_INFINITY, 0);
  }

  async stop(): Promise<void> {
    await this.session.close();
  }

  private onResponse(requestId: number, type: number, frame: Buffer): void {
    const slot = requestId & RING_MASK;
    if (this.state[slot] !== 1 || this.ids[slot] !== requestId) {
      this.lateResponses++;
      return;
    }
    this.state[slot] = 0;
    this.inFlight--;
    const recorder = this.recorder;
    const latencyUs = (this.options.now() - this.scheduledAt[slot]) * 1000;
    const p = this.poolIndex[slot];
    if (type === BtpPacketType.Response) {
      const ilp = findBtpIlpData(frame);
      const ilpType = ilp && ilp.length > 0 ? ilp[0] : -1;
      if (ilpType === ILP_FULFILL) {
        const amount = this.options.pool.amounts[p];
        this.fulfilledAmountTotal += amount;
        recorder?.recordFulfilled(latencyUs, amount);
      } else if (ilpType === ILP_REJECT && ilp) {
        const code = rejectCode(ilp);
        const expected = this.options.pool.expectReject[p] === 1 && code === this.options.expectedRejectCode;
        recorder?.recordRejected(code, expected);
      } else {
        recorder?.recordRejected('invalid-response', false);
      }
    } else {
      recorder?.recordRejected(`btp-${btpErrorCode(frame)}`, false);
    }
  }
}

function rejectCode(ilp: Buffer): string {
  try {
    return decodeReject(ilp).code;
  } catch {
    return 'invalid-reject';
  }
}

function btpErrorCode(frame: Buffer): string {
  try {
    const p = decodeBtp(frame);
    return p.type === BtpPacketType.Error ? p.code : 'unknown';
  } catch {
    return 'invalid';
  }
}
