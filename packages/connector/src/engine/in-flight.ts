/**
 * The one count of incoming Prepares admitted to the packet path and not yet answered: the engine
 * counts (admission against engine.maxQueue), shutdown waits for zero, /metrics reports it.
 */
export class InFlightCounter {
  private count = 0;
  private idleWaiters: (() => void)[] = [];

  get value(): number {
    return this.count;
  }

  begin(): void {
    this.count++;
  }

  end(): void {
    this.count--;
    if (this.count === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves once nothing is in flight (immediately if nothing is). */
  whenIdle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
