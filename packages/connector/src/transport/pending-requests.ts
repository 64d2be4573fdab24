/** What PendingRequests stores: anything that knows its own BTP request id. */
export interface HasRequestId {
  readonly requestId: number;
}

/**
 * A session's requests awaiting an answer, by BTP request id: a power-of-two ring indexed by the low
 * bits of the id. Ids are allocated in sequence and an id whose slot is taken is skipped (`isFree`), so
 * every slot holds at most one request and tracking one allocates nothing. Removed entries leave no
 * reference behind: a Map churned at packet rate kept answered requests (and everything their promises
 * held) reachable long enough for the young-generation GC to promote them.
 */
export class PendingRequests<T extends HasRequestId> {
  private slots: (T | undefined)[];
  private mask: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.slots = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.count;
  }

  /** True when `id` may be allocated: its slot holds no request. Grows first if the ring is half full. */
  isFree(id: number): boolean {
    if (this.count * 2 >= this.slots.length) this.grow();
    return this.slots[id & this.mask] === undefined;
  }

  get(id: number): T | undefined {
    const entry = this.slots[id & this.mask];
    return entry !== undefined && entry.requestId === id ? entry : undefined;
  }

  /** Stores a request whose id was checked with isFree(). */
  add(entry: T): void {
    const slot = entry.requestId & this.mask;
    if (this.slots[slot] !== undefined) throw new Error(`request id ${entry.requestId} collides`);
    this.slots[slot] = entry;
    this.count++;
  }

  /** Removes and returns the request with this id, if it is pending. */
  take(id: number): T | undefined {
    const slot = id & this.mask;
    const entry = this.slots[slot];
    if (entry === undefined || entry.requestId !== id) return undefined;
    this.slots[slot] = undefined;
    this.count--;
    return entry;
  }

  /** Removes and returns every pending request. */
  takeAll(): T[] {
    const all: T[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const entry = this.slots[i];
      if (entry === undefined) continue;
      all.push(entry);
      this.slots[i] = undefined;
    }
    this.count = 0;
    return all;
  }

  /** Doubles the ring; ids distinct in the low bits stay distinct with one more bit. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const entry of old) if (entry !== undefined) this.slots[entry.requestId & this.mask] = entry;
  }
}
