// Deterministic pseudo-random numbers for simulations, demo workloads and seeded test datasets:
// one generator for the whole repository (pure-rand's xoroshiro128+; not for cryptography).
// A stream depends only on (seed, key), so e.g. a simulated task's draws do not depend on the
// order in which concurrent tasks run.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** 32-bit FNV-1a of a string: turns (seed, key) into a generator seed. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normal with the given mean and standard deviation (Box–Muller). */
  normal(mean: number, sd: number): number;
  /** Log-normal whose median is `median` and whose spread is `sigma` (in log space). */
  logNormal(median: number, sigma: number): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function createRng(seed: number | string, key = ''): Rng {
  const g = xoroshiro128plus(hash32(`${String(seed)}\u0000${key}`) | 0);
  const next = (): number => uniformFloat64(g);
  const normal = (mean: number, sd: number): number => {
    const u = Math.max(next(), Number.EPSILON);
    const v = next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    logNormal: (median, sigma) => median * Math.exp(normal(0, sigma)),
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as T;
    },
  };
}
