import type { LedgerObserver } from '../ledger/types';
import type { PacketOutcome, PacketTelemetry } from '../ports';
import type { DaemonMetrics } from './metrics';

/**
 * The hot path's telemetry sink. recordPacket writes two numbers into preallocated arrays; every
 * `bufferSize` outcomes or `flushIntervalMs` the buffer is aggregated into the prom-client metrics in
 * one pass, so per-packet cost never includes label hashing or histogram bucket search.
 * Ledger batch events (a few hundred per second at most) ride along in the same flush.
 */
const CODE_SLOTS = 302; // F/T/R × 00..99, then "" (fulfilled) and one slot for codes of another shape.
const NO_CODE = 300;
const ODD_CODE = 301;
const CLASS_LETTERS = 'FTR';

function codeSlot(code: string | undefined): number {
  if (code === undefined) return NO_CODE;
  if (code.length !== 3) return ODD_CODE;
  const cls = CLASS_LETTERS.indexOf(code[0]);
  const d1 = code.charCodeAt(1) - 48;
  const d2 = code.charCodeAt(2) - 48;
  if (cls < 0 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return ODD_CODE;
  return cls * 100 + d1 * 10 + d2;
}

function codeLabel(slot: number): string {
  if (slot === NO_CODE) return '';
  if (slot === ODD_CODE) return 'other';
  return `${CLASS_LETTERS[Math.floor(slot / 100)]}${String(slot % 100).padStart(2, '0')}`;
}

/** kind = ((local ? 1 : 0) * 2 + (rejected ? 1 : 0)) * CODE_SLOTS + codeSlot. */
const KINDS = 4 * CODE_SLOTS;

export interface TelemetryBufferOptions {
  readonly bufferSize: number;
  readonly flushIntervalMs: number;
}

export class TelemetryBuffer implements PacketTelemetry, LedgerObserver {
  private readonly kinds: Uint16Array;
  private readonly seconds: Float64Array;
  private count = 0;
  private readonly kindTotals = new Float64Array(KINDS);
  private ledgerSizes: number[] = [];
  private ledgerSeconds: number[] = [];
  private ledgerFailures = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly metrics: DaemonMetrics,
    private readonly options: TelemetryBufferOptions,
  ) {
    this.kinds = new Uint16Array(options.bufferSize);
    this.seconds = new Float64Array(options.bufferSize);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Stops the timer and flushes what is buffered, so no recorded outcome is lost on shutdown. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.flush();
  }

  recordPacket(outcome: PacketOutcome): void {
    const local = outcome.toPeer === undefined || outcome.rejectedLocally === true ? 1 : 0;
    const rejected = outcome.result === 'rejected' ? 1 : 0;
    const i = this.count;
    this.kinds[i] = (local * 2 + rejected) * CODE_SLOTS + (rejected === 1 ? codeSlot(outcome.code) : NO_CODE);
    this.seconds[i] = outcome.seconds;
    this.count = i + 1;
    if (this.count === this.kinds.length) this.flush();
  }

  onBatchFlushed(size: number, seconds: number, ok: boolean): void {
    this.ledgerSizes.push(size);
    this.ledgerSeconds.push(seconds);
    if (!ok) this.ledgerFailures++;
  }

  /** Moves everything buffered into the metrics. */
  flush(): void {
    const n = this.count;
    const ledgerEvents = this.ledgerSizes.length;
    if (n === 0 && ledgerEvents === 0) return;
    this.count = 0;
    const totals = this.kindTotals;
    const fulfilledDuration = this.metrics.packetDuration.labels('fulfilled');
    const rejectedDuration = this.metrics.packetDuration.labels('rejected');
    for (let i = 0; i < n; i++) {
      const kind = this.kinds[i];
      totals[kind]++;
      const rejected = Math.floor(kind / CODE_SLOTS) % 2 === 1;
      (rejected ? rejectedDuration : fulfilledDuration).observe(this.seconds[i]);
    }
    for (let kind = 0; kind < KINDS; kind++) {
      if (totals[kind] === 0) continue;
      const group = Math.floor(kind / CODE_SLOTS);
      this.metrics.packets.inc(
        {
          type: group >= 2 ? 'local' : 'forwarded',
          result: group % 2 === 1 ? 'rejected' : 'fulfilled',
          code: codeLabel(kind % CODE_SLOTS),
        },
        totals[kind],
      );
      totals[kind] = 0;
    }
    if (ledgerEvents > 0) this.flushLedgerEvents();
    this.metrics.telemetryFlushes.inc();
  }

  private flushLedgerEvents(): void {
    const sizes = this.ledgerSizes;
    const seconds = this.ledgerSeconds;
    const failures = this.ledgerFailures;
    this.ledgerSizes = [];
    this.ledgerSeconds = [];
    this.ledgerFailures = 0;
    for (let i = 0; i < sizes.length; i++) {
      this.metrics.ledgerBatchSize.observe(sizes[i]);
      this.metrics.ledgerFlushDuration.observe(seconds[i]);
    }
    if (sizes.length > failures) this.metrics.ledgerFlushes.inc({ result: 'ok' }, sizes.length - failures);
    if (failures > 0) this.metrics.ledgerFlushes.inc({ result: 'error' }, failures);
  }
}
