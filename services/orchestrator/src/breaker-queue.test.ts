import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from './circuit-breaker.js';
import { BoundedPool } from './queue.js';

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures, fails fast, half-opens after the cooldown, closes on a good probe', async () => {
    let now = 0;
    const states: BreakerState[] = [];
    const b = new CircuitBreaker('openai', {
      failureThreshold: 3,
      cooldownMs: 1000,
      now: () => now,
      onStateChange: (s) => states.push(s),
    });
    const fail = () => Promise.reject(new Error('boom'));
    for (let i = 0; i < 3; i++) await expect(b.run(fail)).rejects.toThrow('boom');
    expect(b.current).toBe('open');
    let called = false;
    await expect(b.run(() => ((called = true), Promise.resolve(1)))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(called).toBe(false);
    now = 1000;
    expect(b.current).toBe('half_open');
    await expect(b.run(() => Promise.resolve(7))).resolves.toBe(7);
    expect(b.current).toBe('closed');
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed probe reopens; successes reset the failure count; only one probe at a time', async () => {
    let now = 0;
    const b = new CircuitBreaker('anthropic', { failureThreshold: 2, cooldownMs: 10, now: () => now });
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    await b.run(() => Promise.resolve(1));
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    expect(b.current).toBe('closed');
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    expect(b.current).toBe('open');
    now = 10;
    let release!: () => void;
    const probe = b.run(() =>
      new Promise<void>((r) => (release = r)).then(() => Promise.reject(new Error('still down'))),
    );
    await expect(b.run(() => Promise.resolve(1))).rejects.toBeInstanceOf(CircuitOpenError);
    release();
    await expect(probe).rejects.toThrow('still down');
    expect(b.current).toBe('open');
  });
});

describe('CircuitBreaker management', () => {
  it('snapshot: state, failures, probe time, availability; reset closes it and is reported', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const states: BreakerState[] = [];
    const b = new CircuitBreaker('openai', {
      failureThreshold: 2,
      cooldownMs: 5000,
      now: () => now,
      onStateChange: (s) => states.push(s),
    });
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 1, available: true, openedAt: null });
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    expect(b.snapshot()).toEqual({
      provider: 'openai',
      state: 'open',
      consecutiveFailures: 2,
      failureThreshold: 2,
      cooldownMs: 5000,
      openedAt: '2026-01-01T00:00:00.000Z',
      probeAt: '2026-01-01T00:00:05.000Z',
      available: false,
    });
    now += 5000;
    // Half-open with its one probe slot free: available; with the probe in flight: not.
    expect(b.snapshot()).toMatchObject({ state: 'half_open', available: true, probeAt: null });
    let release!: () => void;
    const probe = b.run(() => new Promise<void>((r) => (release = r)));
    expect(b.available).toBe(false);
    release();
    await probe;
    expect(b.current).toBe('closed');
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    await expect(b.run(() => Promise.reject(new Error('x')))).rejects.toThrow();
    b.reset();
    expect(b.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, available: true });
    b.reset(); // already closed: nothing to report
    expect(states).toEqual(['open', 'half_open', 'closed', 'open', 'closed']);
  });
});

describe('BoundedPool', () => {
  it('runs at most `concurrency` at once, FIFO, and reports queue depth', async () => {
    const depths: number[] = [];
    const pool = new BoundedPool(2, 10, { onDepth: (n) => depths.push(n) });
    expect(pool.tryReserve(5)).toBe(true);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const gates: (() => void)[] = [];
    const tasks = [0, 1, 2, 3, 4].map((i) =>
      pool.run(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(i);
        await new Promise<void>((r) => gates.push(r));
        running--;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(pool.depth).toBe(3);
    while (gates.length) {
      gates.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await Promise.all(tasks);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(depths).toEqual([1, 2, 3, 2, 1, 0]);
  });

  it('reports each task’s wait for a worker slot as it starts (0 when a slot is free)', async () => {
    const waits: number[] = [];
    const pool = new BoundedPool(1, 5, { onStart: (s) => waits.push(s) });
    let release!: () => void;
    const first = pool.run(() => new Promise<void>((r) => (release = r)));
    const second = pool.run(() => Promise.resolve());
    expect(waits).toHaveLength(1); // the first started at once; the second waits
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeLessThan(0.01);
    // The second waited for the first (held 50 ms); timers may fire a little early, never much.
    expect(waits[1]).toBeGreaterThanOrEqual(0.045);
  });

  it('refuses reservations beyond concurrency + capacity until released', () => {
    const pool = new BoundedPool(2, 3);
    expect(pool.tryReserve(4)).toBe(true);
    expect(pool.tryReserve(2)).toBe(false);
    expect(pool.tryReserve(1)).toBe(true);
    pool.release(3);
    expect(pool.tryReserve(3)).toBe(true);
    expect(pool.outstanding).toBe(5);
  });
});
