// Named queries over task_events, shared by the analytics API, the Grafana dashboards and the
// benchmarks: a query that more than one of them runs lives here, once.
//
// Every builder returns { name, sql, params }: the SQL text only ever contains identifiers and
// expressions taken from the allow-lists below; every value from a caller travels as a typed
// query parameter ({name:Type}, sent as `query_params`). Nothing from input is spliced into SQL.
//
// Exactness: task_events is a ReplacingMergeTree keyed by event_id, and merges happen lazily, so
// a redelivered event can exist twice until a merge. Every figure a query returns is computed
// from `task_events FINAL`, which collapses duplicates at read time.
// One exception in *how* rows are found, not in what is returned: the unfiltered "most
// expensive jobs first" page (listJobs sort=cost desc, no filters, first page — the dashboards'
// and the benchmark's top-N) uses the job_costs rollup to prune which jobs it must aggregate
// (see rollupPrunedCostPage: the rollup is an upper bound, the page is then computed and ranked
// exactly from task_events FINAL). docs/performance.md has the measurements.
//
// Money: cost columns are Decimal(18, 9); sums are Decimal(38, 9) and leave the engine as
// fixed-scale strings (toDecimalString(…, 9)), never as floats.

export interface NamedQuery {
  /** Stable name: used in logs, metrics and benchmark output. */
  name: string;
  sql: string;
  /** Values for the {name:Type} placeholders in sql. */
  params: Record<string, unknown>;
}

export const EVENTS_TABLE = 'task_events';
const FROM_EVENTS = `${EVENTS_TABLE} FINAL`;
export const MONEY_SCALE = 9;
export const CURRENCY = 'USD' as const;

/** Dimensions a caller may filter or group by → the column that holds them. */
export const DIMENSIONS = {
  model: 'request_model',
  provider: 'provider',
  service: 'service',
  task: 'task_name',
  operation: 'operation',
  tenant: 'tenant',
  user: 'user',
  repository: 'repository',
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** Dimensions an attribution may group by (the issue's list). */
export const GROUP_BY_DIMENSIONS = ['model', 'provider', 'service', 'task', 'tenant', 'user', 'repository'] as const;
export type GroupByDimension = (typeof GROUP_BY_DIMENSIONS)[number];

export const BUCKETS = {
  hour: 'toStartOfHour(ended_at)',
  day: 'toStartOfDay(ended_at)',
  month: "toDateTime(toStartOfMonth(ended_at), 'UTC')",
} as const;
export type Bucket = keyof typeof BUCKETS;

export const JOB_STATUSES = ['ok', 'error', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job has failed when any task errored or timed out; cancelled when any was cancelled; else ok. */
const JOB_STATUS_EXPR =
  "multiIf(countIf(status IN ('error', 'timeout')) > 0, 'error', countIf(status = 'cancelled') > 0, 'cancelled', 'ok')";

const money = (expr: string) => `toDecimalString(ifNull(${expr}, toDecimal128(0, ${MONEY_SCALE})), ${MONEY_SCALE})`;
const COST_SUM = 'sum(cost_usd)';

/** Aggregates shared by every per-group query (job, task, model, attribution row). */
const TOTALS = [
  'count() AS tasks',
  "countIf(status != 'ok') AS failed_tasks",
  `${money(COST_SUM)} AS cost_usd_sum`,
  `${money('sum(provided_cost_usd)')} AS provided_cost_usd_sum`,
  'countIf(cost_usd IS NULL) AS unpriced_tasks',
  'sum(input_tokens) AS input_tokens_sum',
  'sum(output_tokens) AS output_tokens_sum',
  'sum(cache_read_tokens) AS cache_read_tokens_sum',
  'sum(cache_write_tokens) AS cache_write_tokens_sum',
  'sum(reasoning_tokens) AS reasoning_tokens_sum',
  'sum(total_tokens) AS total_tokens_sum',
];
const LATENCY = [
  'avg(latency_ms) AS latency_avg_ms',
  // Linear interpolation between closest ranks (numpy's default): exact, not sampled.
  'quantilesExactInclusive(0.5, 0.95)(latency_ms) AS latency_quantiles_ms',
  'max(latency_ms) AS latency_max_ms',
  'sum(latency_ms) AS latency_total_ms',
];

/** DateTime64(3) parameter text for a JS time (UTC, millisecond precision). */
export function chTime(t: Date | string | number): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time: ${String(t)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** A DateTime64 value as the engine prints it ('2026-11-23 10:00:00.000') → RFC 3339 UTC. */
export function isoTime(v: string): string {
  return `${v.replace(' ', 'T')}${v.includes('.') ? '' : '.000'}Z`;
}

export interface EventFilters {
  /** Inclusive lower bound on ended_at. */
  from?: Date | string | undefined;
  /** Exclusive upper bound on ended_at. */
  to?: Date | string | undefined;
  tenant?: string | undefined;
  user?: string | undefined;
  repository?: string | undefined;
  service?: string | undefined;
  model?: string | undefined;
  provider?: string | undefined;
  task?: string | undefined;
  operation?: string | undefined;
}

function timeConditions(f: EventFilters, params: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (f.from !== undefined) {
    params.from = chTime(f.from);
    out.push("ended_at >= {from:DateTime64(3, 'UTC')}");
  }
  if (f.to !== undefined) {
    params.to = chTime(f.to);
    out.push("ended_at < {to:DateTime64(3, 'UTC')}");
  }
  return out;
}

function dimensionFilters(f: EventFilters): [Dimension, string][] {
  return DIMENSION_NAMES.filter((d) => f[d] !== undefined).map((d) => [d, f[d] as string]);
}

/** Event-level WHERE conditions for the time range and every dimension filter. */
function eventConditions(f: EventFilters, params: Record<string, unknown>): string[] {
  const out = timeConditions(f, params);
  for (const [d, v] of dimensionFilters(f)) {
    params[`f_${d}`] = v;
    out.push(`${DIMENSIONS[d]} = {f_${d}:String}`);
  }
  return out;
}

const where = (conds: string[]) => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');

export const ping: NamedQuery = { name: 'ping', sql: 'SELECT 1 AS ok', params: {} };

// ---------------------------------------------------------------------------------------------
// One job

/** Totals of one job; zero rows when the job is unknown. */
export function jobSummary(jobId: string): NamedQuery {
  return {
    name: 'job_summary',
    sql: `SELECT
  job_id,
  ${[...TOTALS, ...LATENCY].join(',\n  ')},
  countIf(status = 'ok') AS ok_tasks,
  countIf(status = 'error') AS error_tasks,
  countIf(status = 'timeout') AS timeout_tasks,
  countIf(status = 'cancelled') AS cancelled_tasks,
  toString(min(started_at)) AS first_seen,
  toString(max(ended_at)) AS last_seen,
  ${JOB_STATUS_EXPR} AS job_status,
  arraySort(groupUniqArray(service)) AS services,
  arraySort(groupUniqArrayIf(tenant, tenant != '')) AS tenants,
  arraySort(groupUniqArrayIf(user, user != '')) AS users,
  arraySort(groupUniqArrayIf(repository, repository != '')) AS repositories
FROM ${FROM_EVENTS}
WHERE job_id = {job_id:String}
GROUP BY job_id`,
    params: { job_id: jobId },
  };
}

/** One job's totals per task name, most expensive first. */
export function jobTaskBreakdown(jobId: string): NamedQuery {
  return {
    name: 'job_task_breakdown',
    sql: `SELECT
  task_name,
  ${[...TOTALS, ...LATENCY].join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE job_id = {job_id:String}
GROUP BY task_name
ORDER BY sum(cost_usd) DESC NULLS LAST, task_name ASC`,
    params: { job_id: jobId },
  };
}

/** One job's totals per (provider, model), most expensive first. */
export function jobModelUsage(jobId: string): NamedQuery {
  return {
    name: 'job_model_usage',
    sql: `SELECT
  provider,
  request_model AS model,
  ${[...TOTALS, ...LATENCY].join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE job_id = {job_id:String}
GROUP BY provider, request_model
ORDER BY sum(cost_usd) DESC NULLS LAST, provider ASC, model ASC`,
    params: { job_id: jobId },
  };
}

export interface JobEventsCursor {
  startedAt: string;
  eventId: string;
}

/** One job's events in time order (started_at, then event_id), keyset-paginated. */
export function jobEvents(jobId: string, limit: number, after?: JobEventsCursor): NamedQuery {
  const params: Record<string, unknown> = { job_id: jobId, limit: limitOf(limit, 1000) };
  let cond = '';
  if (after) {
    params.after_started = chTime(after.startedAt);
    params.after_event = after.eventId;
    cond = `AND (started_at, event_id) > ({after_started:DateTime64(3, 'UTC')}, {after_event:UUID})`;
  }
  return {
    name: 'job_events',
    sql: `SELECT
  toString(event_id) AS event_id_s, toString(started_at) AS started_at_s, toString(ended_at) AS ended_at_s,
  task_id, parent_task_id, service, task_name, operation, provider, request_model, response_model,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens,
  latency_ms, time_to_first_token_ms, status, error_type,
  if(cost_usd IS NULL, NULL, toDecimalString(cost_usd, ${MONEY_SCALE})) AS cost_usd_s,
  if(provided_cost_usd IS NULL, NULL, toDecimalString(provided_cost_usd, ${MONEY_SCALE})) AS provided_cost_usd_s,
  pricing_status, price_version, tenant, user, repository, attributes, trace_id, span_id, source
FROM ${FROM_EVENTS}
WHERE job_id = {job_id:String} ${cond}
ORDER BY started_at ASC, event_id ASC
LIMIT {limit:UInt32}`,
    params,
  };
}

// ---------------------------------------------------------------------------------------------
// Jobs list

/** Sort keys → (aggregate expression, parameter type of its cursor value). */
export const JOB_SORTS = {
  cost: { expr: `ifNull(${COST_SUM}, toDecimal128(0, ${MONEY_SCALE}))`, type: `Decimal(38, ${MONEY_SCALE})` },
  tokens: { expr: 'sum(total_tokens)', type: 'UInt64' },
  latency: { expr: 'avg(latency_ms)', type: 'Float64' },
  tasks: { expr: 'count()', type: 'UInt64' },
  time: { expr: 'max(ended_at)', type: "DateTime64(3, 'UTC')" },
} as const;
export type JobSort = keyof typeof JOB_SORTS;
export const JOB_SORT_NAMES = Object.keys(JOB_SORTS) as JobSort[];

export interface JobsCursor {
  /** The sort value of the last row returned, as text (decimal, integer, float or time). */
  value: string;
  jobId: string;
}

export interface ListJobsOptions {
  filters: EventFilters & { status?: JobStatus | undefined };
  sort: JobSort;
  order: 'asc' | 'desc';
  limit: number;
  after?: JobsCursor | undefined;
  /** false: never prune with the job_costs rollup (reference path for tests and benchmarks). */
  rollup?: boolean | undefined;
}

/**
 * Jobs with activity in the time range, with their totals over that range. Dimension filters
 * select jobs that involve the value (any of their events in range matches) and keep the job's
 * full totals; `status` filters on the job's derived status. Keyset pagination on
 * (sort value, job_id): stable under concurrent inserts, no OFFSET scans.
 */
export function listJobs(o: ListJobsOptions): NamedQuery {
  const sort = JOB_SORTS[o.sort];
  const params: Record<string, unknown> = { limit: limitOf(o.limit, 1000) };
  const conds = timeConditions(o.filters, params);
  const having: string[] = [];
  for (const [d, v] of dimensionFilters(o.filters)) {
    params[`f_${d}`] = v;
    having.push(`countIf(${DIMENSIONS[d]} = {f_${d}:String}) > 0`);
  }
  if (o.filters.status !== undefined) {
    params.f_status = o.filters.status;
    having.push('job_status = {f_status:String}');
  }
  const dir = o.order === 'asc' ? 'ASC' : 'DESC';
  if (o.after) {
    params.after_value = o.after.value;
    params.after_job = o.after.jobId;
    const cmp = o.order === 'asc' ? '>' : '<';
    having.push(
      `(sort_value ${cmp} {after_value:${sort.type}} OR (sort_value = {after_value:${sort.type}} AND job_id > {after_job:String}))`,
    );
  }
  // Two phases (measured ~2× faster at 1M events than one pass): pick the page's job ids with the
  // sort value alone, then compute the full aggregates for those ids only (a primary-key read).
  const pruned = o.sort === 'cost' && o.order === 'desc' && having.length === 0 && o.rollup !== false;
  const page = pruned
    ? rollupPrunedCostPage(o.filters, params)
    : `SELECT job_id, ${sort.expr} AS sort_value${o.filters.status !== undefined ? `, ${JOB_STATUS_EXPR} AS job_status` : ''}
    FROM ${FROM_EVENTS}
    ${where(conds)}
    GROUP BY job_id
    ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
    ORDER BY sort_value ${dir}, job_id ASC
    LIMIT {limit:UInt32}`;
  return {
    name: `list_jobs_by_${o.sort}`,
    sql: `SELECT
  job_id,
  ${TOTALS.join(',\n  ')},
  avg(latency_ms) AS latency_avg_ms,
  toString(min(started_at)) AS first_seen,
  toString(max(ended_at)) AS last_seen,
  ${JOB_STATUS_EXPR} AS job_status,
  arraySort(groupUniqArray(service)) AS services,
  ${sort.expr} AS sort_value,
  toString(sort_value) AS sort_value_s
FROM ${FROM_EVENTS}
WHERE job_id IN (SELECT job_id FROM (${page}))${conds.length ? ` AND ${conds.join(' AND ')}` : ''}
GROUP BY job_id
ORDER BY sort_value ${dir}, job_id ASC
LIMIT {limit:UInt32}`,
    params,
  };
}

/** The job_costs rollup (0002): per (job_id, kafka_partition) sums, merged eventually. */
export const JOB_COSTS_TABLE = 'job_costs';

/**
 * Candidate job ids for the first page of "most expensive jobs first" without filters, found
 * through the job_costs rollup instead of aggregating every event in the range — exact:
 *
 *  R(j) = the job's rollup cost (all its events, any time) is an upper bound of E(j), its exact
 *  cost inside [from, to): costs are never negative (schema: minimum 0), the range only removes
 *  events, and a duplicate that FINAL collapses is at most counted twice by the rollup.
 *  1. C = the `limit` jobs first by (R desc, job_id asc) that can have events in range
 *     (max(ended_at) >= from, min(started_at) < to: started_at <= ended_at is validated);
 *  2. θ = (E, job_id) of the last of C in the page's order (E desc, job_id asc), computed
 *     exactly from task_events FINAL for C only (a primary-key read); when fewer than `limit`
 *     of them have events in range, θ = (-1, '') (no pruning);
 *  3. candidates = every job with R > θ.E, or R = θ.E and job_id <= θ.job_id. A job of the
 *     true first `limit` ranks at or before θ (C holds `limit` jobs ranked at or before θ), so
 *     E > θ.E, or E = θ.E and job_id <= θ.job_id; with R >= E it is a candidate, ties included.
 * The caller then computes every figure exactly for the candidates only and ranks them.
 * Assumes the rollup holds every stored event: true except for at most one block per partition
 * between a consumer crash and its restart (the consumer replays it at start, docs/clickhouse.md).
 */
function rollupPrunedCostPage(f: EventFilters, params: Record<string, unknown>): string {
  const overlap: string[] = [];
  if (f.from !== undefined) overlap.push("max(last_ended_at) >= {from:DateTime64(3, 'UTC')}");
  if (f.to !== undefined) overlap.push("min(first_started_at) < {to:DateTime64(3, 'UTC')}");
  const conds = timeConditions(f, params);
  const zero = `toDecimal128(0, ${MONEY_SCALE})`;
  const top = `SELECT job_id FROM ${JOB_COSTS_TABLE}
          GROUP BY job_id ${overlap.length ? `HAVING ${overlap.join(' AND ')}` : ''}
          ORDER BY sum(cost_usd) DESC, job_id ASC
          LIMIT {limit:UInt32}`;
  // argMax over (-c, job_id): the lowest cost, then the highest job id = the last in page order.
  const theta = `SELECT if(count() < {limit:UInt32}, (toDecimal128(-1, ${MONEY_SCALE}), ''), (min(c), argMax(job_id, (-c, job_id))))
      FROM (
        SELECT job_id, ifNull(${COST_SUM}, ${zero}) AS c
        FROM ${FROM_EVENTS}
        WHERE job_id IN (${top})${conds.length ? ` AND ${conds.join(' AND ')}` : ''}
        GROUP BY job_id)`;
  return `WITH (${theta}) AS theta
    SELECT job_id FROM ${JOB_COSTS_TABLE}
    GROUP BY job_id
    HAVING ${[...overlap, '(sum(cost_usd) > theta.1 OR (sum(cost_usd) = theta.1 AND job_id <= theta.2))'].join(' AND ')}`;
}

/** Top jobs by cost over a time range: the dashboards' and the benchmark's top-N query. */
export function topJobsByCost(
  from: Date | string,
  to: Date | string,
  limit = 100,
  opts: { rollup?: boolean } = {},
): NamedQuery {
  return {
    ...listJobs({ filters: { from, to }, sort: 'cost', order: 'desc', limit, rollup: opts.rollup }),
    name: 'top_jobs_by_cost',
  };
}

// ---------------------------------------------------------------------------------------------
// Attribution

export interface AttributionOptions {
  groupBy: readonly GroupByDimension[];
  bucket?: Bucket | undefined;
  filters: EventFilters & { from: Date | string; to: Date | string };
  limit: number;
}

/** Cost, tokens and task counts per time bucket × the chosen dimensions, for charts and chargeback. */
export function attribution(o: AttributionOptions): NamedQuery {
  const groups = [...new Set(o.groupBy)];
  for (const g of groups)
    if (!(GROUP_BY_DIMENSIONS as readonly string[]).includes(g)) throw new RangeError(`cannot group by ${g}`);
  if (o.bucket !== undefined && !(o.bucket in BUCKETS)) throw new RangeError(`unknown bucket ${String(o.bucket)}`);
  const params: Record<string, unknown> = { limit: limitOf(o.limit, 10_000) };
  const conds = eventConditions(o.filters, params);
  const keys = [
    ...(o.bucket ? [`toString(${BUCKETS[o.bucket]}) AS bucket`] : []),
    ...groups.map((g) => `${DIMENSIONS[g]} AS \`${g}\``),
  ];
  const groupKeys = [...(o.bucket ? ['bucket'] : []), ...groups.map((g) => `\`${g}\``)];
  return {
    name: `attribution_${o.bucket ?? 'total'}_by_${groups.join('_') || 'none'}`,
    sql: `SELECT
  ${[...keys, ...TOTALS, 'avg(latency_ms) AS latency_avg_ms', 'uniqExact(job_id) AS jobs'].join(',\n  ')}
FROM ${FROM_EVENTS}
${where(conds)}
${groupKeys.length ? `GROUP BY ${groupKeys.join(', ')}` : ''}
ORDER BY ${[...(o.bucket ? ['bucket ASC'] : []), 'sum(cost_usd) DESC NULLS LAST', ...groupKeys.filter((k) => k !== 'bucket').map((k) => `${k} ASC`)].join(', ')}
LIMIT {limit:UInt32}`,
    params,
  };
}

// ---------------------------------------------------------------------------------------------
// Budgets

export const BUDGET_SCOPES = ['global', 'provider', 'model', 'tenant', 'user', 'repository'] as const;
export type BudgetScope = (typeof BUDGET_SCOPES)[number];

export interface BudgetWindow {
  scope: BudgetScope;
  /** The scope's value (provider name, model, tenant, …); ignored for global. */
  value?: string | undefined;
  from: Date | string;
  to: Date | string;
}

/**
 * Spend of many budgets in one scan: one sumIf per budget, named spend_0, spend_1, … in input
 * order. The scan covers the union of the windows.
 */
export function budgetSpend(windows: readonly BudgetWindow[]): NamedQuery {
  if (windows.length === 0) throw new RangeError('budgetSpend needs at least one budget');
  const params: Record<string, unknown> = {};
  const cols = windows.map((w, i) => {
    params[`from_${i}`] = chTime(w.from);
    params[`to_${i}`] = chTime(w.to);
    const conds = [`ended_at >= {from_${i}:DateTime64(3, 'UTC')}`, `ended_at < {to_${i}:DateTime64(3, 'UTC')}`];
    if (w.scope !== 'global') {
      if (!(BUDGET_SCOPES as readonly string[]).includes(w.scope))
        throw new RangeError(`unknown budget scope ${String(w.scope)}`);
      params[`v_${i}`] = w.value ?? '';
      conds.push(`${DIMENSIONS[w.scope]} = {v_${i}:String}`);
    }
    return `${money(`sumIf(cost_usd, ${conds.join(' AND ')})`)} AS spend_${i}`;
  });
  const minFrom = windows.reduce((m, w) => Math.min(m, new Date(w.from).getTime()), Infinity);
  const maxTo = windows.reduce((m, w) => Math.max(m, new Date(w.to).getTime()), -Infinity);
  params.scan_from = chTime(minFrom);
  params.scan_to = chTime(maxTo);
  return {
    name: 'budget_spend',
    sql: `SELECT
  ${cols.join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE ended_at >= {scan_from:DateTime64(3, 'UTC')} AND ended_at < {scan_to:DateTime64(3, 'UTC')}`,
    params,
  };
}

function limitOf(n: number, max: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`limit must be a positive integer, got ${n}`);
  return Math.min(n, max);
}
