// Engine rows → API objects. The engine's names (…_sum, …_s) never leak into responses.
import { isoTime } from '@aurea/clickhouse/queries';
import { money } from './money.js';

export interface TotalsRow {
  tasks: number;
  failed_tasks: number;
  unpriced_tasks: number;
  cost_usd_sum: string;
  provided_cost_usd_sum: string;
  input_tokens_sum: number;
  output_tokens_sum: number;
  cache_read_tokens_sum: number;
  cache_write_tokens_sum: number;
  reasoning_tokens_sum: number;
  total_tokens_sum: number;
}

export interface LatencyRow {
  latency_avg_ms: number;
  latency_quantiles_ms: [number, number];
  latency_max_ms: number;
  latency_total_ms: number;
}

export function totals(r: TotalsRow) {
  return {
    tasks: Number(r.tasks),
    failed_tasks: Number(r.failed_tasks),
    unpriced_tasks: Number(r.unpriced_tasks),
    cost_usd: money(r.cost_usd_sum),
    provided_cost_usd: money(r.provided_cost_usd_sum),
    tokens: {
      input: Number(r.input_tokens_sum),
      output: Number(r.output_tokens_sum),
      cache_read: Number(r.cache_read_tokens_sum),
      cache_write: Number(r.cache_write_tokens_sum),
      reasoning: Number(r.reasoning_tokens_sum),
      total: Number(r.total_tokens_sum),
    },
  };
}

export function latency(r: LatencyRow) {
  return {
    avg: r.latency_avg_ms,
    p50: r.latency_quantiles_ms[0],
    p95: r.latency_quantiles_ms[1],
    max: r.latency_max_ms,
    total: r.latency_total_ms,
  };
}

export const time = isoTime;
/** '' is how the table stores "none" for optional strings. */
export const orNull = (s: string | null | undefined): string | null => (s === '' || s === undefined ? null : s);
