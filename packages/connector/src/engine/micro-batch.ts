/**
 * Packets collected for one hand-off to the worker pool, in arrival order, as parallel arrays (no
 * object per packet). Answers are given strictly in order, so `answered` says which are still open.
 */
export class MicroBatch {
  readonly from: string[] = [];
  readonly packets: Buffer[] = [];
  readonly receivedAt: number[] = [];
  private readonly answers: Array<(answer: Buffer | Promise<Buffer>) => void> = [];
  private answeredCount = 0;

  get size(): number {
    return this.packets.length;
  }

  /** Packets answered so far: always the first `answered` of the batch. */
  get answered(): number {
    return this.answeredCount;
  }

  add(
    fromPeerId: string,
    ilp: Buffer,
    receivedAt: number,
    answer: (answer: Buffer | Promise<Buffer>) => void,
  ): void {
    this.from.push(fromPeerId);
    this.packets.push(ilp);
    this.receivedAt.push(receivedAt);
    this.answers.push(answer);
  }

  /** Answers the next unanswered packet. */
  answerNext(answer: Buffer | Promise<Buffer>): void {
    this.answers[this.answeredCount++](answer);
  }
}
