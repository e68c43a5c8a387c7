// Engine rows → API objects. The engine's names (…_sum, …_s) never leak into responses.
import { isoTime, type StoredEvent } from '@aurea/clickhouse/rows';
import { TOKEN_TYPES, tokenField, type NormalizedTokenUsage, type TokenType } from '@aurea/events';
import { money } from './money.js';
import { JOB_EVENT_OMITS } from './schemas.js';

type TokenSums = { [T in TokenType as `${T}_tokens_sum`]: number };
export interface TotalsRow extends TokenSums {
  tasks: number;
  failed_tasks: number;
  unpriced_tasks: number;
  cost_usd_sum: string;
  provided_cost_usd_sum: string;
  total_tokens_sum: number;
}

type Tokens = Record<TokenType | 'total', number>;
/** Token counts by type (API names) plus their total. */
function tokens(count: (t: TokenType) => number): Tokens {
  const out = {} as Tokens;
  let total = 0;
  for (const t of TOKEN_TYPES) total += out[t] = count(t);
  out.total = total;
  return out;
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
    tokens: { ...tokens((t) => Number(r[`${t}_tokens_sum`])), total: Number(r.total_tokens_sum) },
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

type Omitted = (typeof JOB_EVENT_OMITS)[number];
export type ApiEvent = Omit<StoredEvent, Omitted | 'usage'> & { tokens: Tokens };

/** A stored event as the API returns it: the job's id and the contract version left out, usage as tokens. */
export function apiEvent(e: StoredEvent): ApiEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if ((JOB_EVENT_OMITS as readonly string[]).includes(k)) continue;
    if (k === 'usage') out.tokens = tokens((t) => (v as NormalizedTokenUsage)[tokenField(t)]);
    else out[k] = v;
  }
  return out as ApiEvent;
}
