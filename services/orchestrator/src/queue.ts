// A bounded worker pool: at most `concurrency` tasks run at once; up to `capacity` more wait
// in FIFO order. `tryReserve(n)` is the admission check done before a job is accepted, so a
// job is either admitted whole or shed whole (the caller gets a 429).

export interface PoolHooks {
  /** Called whenever the number of waiting tasks changes. */
  onDepth?: (waiting: number) => void;
  /** Called as a task gets its worker slot, with the seconds it waited for it (0 when a slot was free). */
  onStart?: (waitedS: number) => void;
}

export class BoundedPool {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** Slots promised to admitted jobs whose tasks are not yet finished. */
  private reserved = 0;

  constructor(
    readonly concurrency: number,
    readonly capacity: number,
    private readonly hooks: PoolHooks = {},
  ) {}

  get depth(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  get outstanding(): number {
    return this.reserved;
  }

  /** Reserve room for `n` tasks (running or waiting); false when that would exceed concurrency + capacity. */
  tryReserve(n: number): boolean {
    if (this.reserved + n > this.concurrency + this.capacity) return false;
    this.reserved += n;
    return true;
  }

  /** Give back a reservation for a task that will not run (skipped, cancelled) or has finished. */
  release(n = 1): void {
    this.reserved = Math.max(0, this.reserved - n);
  }

  /** Run `fn` when a worker slot is free. The caller must hold a reservation for it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const queued = performance.now();
    if (this.running >= this.concurrency) {
      // Wait for a finishing task to hand its slot over (running stays the same).
      await new Promise<void>((resolve) => {
        this.waiting.push(resolve);
        this.hooks.onDepth?.(this.waiting.length);
      });
    } else {
      this.running++;
    }
    this.hooks.onStart?.((performance.now() - queued) / 1000);
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) {
        this.hooks.onDepth?.(this.waiting.length);
        next();
      } else {
        this.running--;
      }
    }
  }
}
