/**
 * BTP frames counted by plain array increments on the hot path; the metrics registry reads the totals
 * when Prometheus scrapes, so no prom-client label lookup happens per frame.
 */
export type FrameDirection = 'in' | 'out';
export const FRAME_DIRECTIONS: readonly FrameDirection[] = ['in', 'out'];
export const FRAME_TYPES = ['response', 'error', 'message', 'transfer', 'other'] as const;
export type FrameTypeLabel = (typeof FRAME_TYPES)[number];

/** BTP type byte → index into FRAME_TYPES (RFC 23: 1 Response, 2 Error, 6 Message, 7 Transfer). */
function typeIndex(btpType: number): number {
  switch (btpType) {
    case 1:
      return 0;
    case 2:
      return 1;
    case 6:
      return 2;
    case 7:
      return 3;
    default:
      return 4;
  }
}

export class FrameCounters {
  private readonly counts = new Float64Array(FRAME_DIRECTIONS.length * FRAME_TYPES.length);

  countIn(btpType: number): void {
    this.counts[typeIndex(btpType)]++;
  }

  countOut(btpType: number): void {
    this.counts[FRAME_TYPES.length + typeIndex(btpType)]++;
  }

  total(direction: FrameDirection, type: FrameTypeLabel): number {
    return this.counts[FRAME_DIRECTIONS.indexOf(direction) * FRAME_TYPES.length + FRAME_TYPES.indexOf(type)];
  }
}
