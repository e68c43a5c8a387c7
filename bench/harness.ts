// Shared helpers for benchmark files (bench/*.bench.ts). Each bench file is run in its own
// process by bench/run.ts and reports with `report({...})`: one line on stdout that the runner
// merges into bench/results.json. Figures are medians of several runs; comparisons are ratios of
// figures measured side by side in the same process.

export interface BenchReport {
  /** Partial results: top-level keys are sections of bench/results.json, values numbers only. */
  results: Record<string, Record<string, number>>;
  /** Rows for the printed table and docs/benchmarks.md. */
  rows: { benchmark: string; figure: string; value: number; unit: string; target?: string; met?: boolean }[];
  /** Free-text notes (what limits a figure, before/after of an optimisation). */
  notes?: string[];
}

export const RESULT_PREFIX = 'AUREA_BENCH_RESULT ';

export function report(r: BenchReport): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(r)}\n`);
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Run `fn` `times` times and return the median of what it returns. */
export async function medianOf(
  times: number,
  fn: (i: number) => Promise<number> | number,
): Promise<{ median: number; runs: number[] }> {
  const runs: number[] = [];
  for (let i = 0; i < times; i++) runs.push(await fn(i));
  return { median: median(runs), runs };
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;
