// Named queries over the Aurea tables, shared by every reader: the analytics API (and the CLI,
// which reads through it), the Grafana boards (grafana/src/boards/clickhouse.ts) and the
// benchmarks. A figure shown in two places is computed by one builder here.
//
// Every builder returns { name, sql, params }. The SQL text only contains identifiers and
// expressions from the allow-lists below and what its Inputs (inputs.ts) render for the caller's
// range, filters and values: typed query parameters ({name:Type}, sent as `query_params`) for the
// API, Grafana variables and plugin macros for the boards. Nothing from input is spliced into SQL.
//
// Exactness: task_events is a ReplacingMergeTree keyed by event_id, and merges happen lazily, so
// a redelivered event can exist twice until a merge. Every figure a query returns is computed
// from `task_events FINAL`, which collapses duplicates at read time — the daily trend
// (dailyCostTrend) through the daily_costs rollup, which is recomputed from it (see there).
// One exception in *how* rows are found, not in what is returned: the unfiltered "most
// expensive jobs first" page (listJobs sort=cost desc, no filters, first page — the
// benchmark's top-N) uses the job_costs rollup to prune which jobs it must aggregate
// (see rollupPrunedCostPage: the rollup is an upper bound, the page is then computed and ranked
// exactly from task_events FINAL). docs/performance.md has the measurements.
//
// Money: cost columns are Decimal(18, 9); sums are Decimal(38, 9) and leave the engine as
// fixed-scale strings (API) or as the Decimal itself (boards) — never as floats.
// Latency percentiles: quantilesExactInclusive (linear interpolation between closest ranks).
import {
  DIMENSIONS,
  DIMENSION_NAMES,
  MONEY_SCALE,
  ZERO_MONEY,
  boundInputs,
  chTime,
  type Dimension,
  type EventFilters,
  type FilterKey,
  type Inputs,
  type TimeBucket,
} from './inputs.js';
import { EVENT_COLUMNS, readColumns } from './rows.js';
import { TABLES } from './tables.js';
import { TASK_STATUSES, TOKEN_TYPES, tokenField, type TaskStatus } from '@aurea/events';

/** `sum(<type>_tokens) AS <type>_tokens_sum` for every token type of the model. */
const TOKEN_SUMS = TOKEN_TYPES.map((t) => `sum(${tokenField(t)}) AS ${tokenField(t)}_sum`);

export * from './inputs.js';
export * from './tables.js';
export * from './bench-queries.js';

export interface NamedQuery {
  /** Stable name: used in logs, metrics and benchmark output. */
  name: string;
  sql: string;
  /** Values for the {name:Type} placeholders in sql. */
  params: Record<string, unknown>;
}

export const EVENTS_TABLE = TABLES.events;
/** The job_costs rollup (0005): per-job sums recomputed from task_events FINAL by a refreshable view. */
export const JOB_COSTS_TABLE = TABLES.jobCosts;
const FROM_EVENTS = `${TABLES.events} FINAL`;

/** Dimensions an attribution may group by (the issue's list). */
export const GROUP_BY_DIMENSIONS = [
  'model',
  'provider',
  'service',
  'environment',
  'task',
  'tenant',
  'user',
  'repository',
] as const;
export type GroupByDimension = (typeof GROUP_BY_DIMENSIONS)[number];

export const JOB_STATUSES = ['ok', 'error', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** A job has failed when any task errored or timed out; cancelled when any was cancelled; else ok. */
export const JOB_STATUS_EXPR =
  "multiIf(countIf(status IN ('error', 'timeout')) > 0, 'error', countIf(status = 'cancelled') > 0, 'cancelled', 'ok')";

/** The group value that stands for every group outside an attribution's `top` groups. */
export const OTHER_GROUP = '(other)';

const COST_SUM = 'sum(cost_usd)';

/** Aggregates shared by every per-group query (job, task, model, attribution row). */
const totals = (i: Inputs) => [
  'count() AS tasks',
  "countIf(status != 'ok') AS failed_tasks",
  `${i.money(COST_SUM)} AS cost_usd_sum`,
  `${i.money('sum(provided_cost_usd)')} AS provided_cost_usd_sum`,
  'countIf(cost_usd IS NULL) AS unpriced_tasks',
  ...TOKEN_SUMS,
  'sum(total_tokens) AS total_tokens_sum',
];
const LATENCY = [
  'avg(latency_ms) AS latency_avg_ms',
  // Linear interpolation between closest ranks (numpy's default): exact, not sampled.
  'quantilesExactInclusive(0.5, 0.95)(latency_ms) AS latency_quantiles_ms',
  'max(latency_ms) AS latency_max_ms',
  'sum(latency_ms) AS latency_total_ms',
];
/** Who a job ran for ('' = none recorded). */
const PEOPLE = [
  "arraySort(groupUniqArrayIf(tenant, tenant != '')) AS tenants",
  "arraySort(groupUniqArrayIf(user, user != '')) AS users",
  "arraySort(groupUniqArrayIf(repository, repository != '')) AS repositories",
];

const defined = <T>(x: T | undefined): x is T => x !== undefined;

/** Conditions bounding `column` to the inputs' range [from, to). */
function rangeConditions(i: Inputs, column = 'ended_at'): string[] {
  const r = i.range();
  return [r.from && `${column} >= ${r.from}`, r.to && `${column} < ${r.to}`].filter(defined);
}

const filterColumn = (k: FilterKey) => (k === 'job' ? 'job_id' : DIMENSIONS[k]);

/** Conditions for the inputs' filters on `keys` (every dimension, then the job, by default). */
function filterConditions(i: Inputs, keys: readonly FilterKey[] = [...DIMENSION_NAMES, 'job']): string[] {
  return keys.map((k) => i.filter(k, filterColumn(k))).filter(defined);
}

const where = (conds: string[]) => (conds.length ? `WHERE ${conds.join(' AND ')}` : '');

/**
 * A reader's tenant scope (an analytics API key limited to tenants, docs/api.md): only events
 * whose tenant is one of these exist for the query — a row-level condition, so a job's figures
 * count the scope's events only. Undefined: every tenant; empty: no event.
 */
export type TenantScope = readonly string[] | undefined;

function scopeConditions(i: Inputs, tenants: TenantScope): string[] {
  if (tenants === undefined) return [];
  if (tenants.length === 0) return ['0'];
  return [`tenant IN (${tenants.map((t, n) => i.value(`scope_tenant_${n}`, 'String', t)).join(', ')})`];
}

export const ping: NamedQuery = { name: 'ping', sql: 'SELECT 1 AS ok', params: {} };

/**
 * Select `columns` (expressions over `q`'s output columns) from `q`'s rows, in `q`'s order
 * unless `tail` (ORDER BY / LIMIT) says otherwise: how a reader shows a subset of a query's
 * figures, renamed or in other units, without computing them again.
 */
export function project(q: NamedQuery, columns: readonly string[], tail = ''): NamedQuery {
  return {
    name: q.name,
    sql: `SELECT\n  ${columns.join(',\n  ')}\nFROM (\n${q.sql}\n)${tail ? `\n${tail}` : ''}`,
    params: q.params,
  };
}

// ---------------------------------------------------------------------------------------------
// One job

const jobInputs = (job: string | Inputs): Inputs => (typeof job === 'string' ? boundInputs({ job }) : job);

function jobCondition(i: Inputs): string {
  const c = i.filter('job', 'job_id');
  if (c === undefined) throw new RangeError('a job-scoped query needs a job');
  return c;
}

/** Totals of one job; zero rows when the job is unknown (or has no event in `tenants`). */
export function jobSummary(job: string | Inputs, tenants?: TenantScope): NamedQuery {
  const i = jobInputs(job);
  return {
    name: 'job_summary',
    sql: `SELECT
  job_id,
  ${[...totals(i), ...LATENCY].join(',\n  ')},
  countIf(status = 'ok') AS ok_tasks,
  countIf(status = 'error') AS error_tasks,
  countIf(status = 'timeout') AS timeout_tasks,
  countIf(status = 'cancelled') AS cancelled_tasks,
  countIf(status = 'refused') AS refused_tasks,
  ${i.time('min(started_at)')} AS first_seen,
  ${i.time('max(ended_at)')} AS last_seen,
  ${JOB_STATUS_EXPR} AS job_status,
  arraySort(groupUniqArray(service)) AS services,
  ${PEOPLE.join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE ${[jobCondition(i), ...scopeConditions(i, tenants)].join(' AND ')}
GROUP BY job_id`,
    params: i.params,
  };
}

/** One job's totals per task name (or per (provider, model)), most expensive first. */
function jobGroups(
  name: string,
  job: string | Inputs,
  keys: string[],
  groupBy: string,
  order: string,
  tenants: TenantScope,
): NamedQuery {
  const i = jobInputs(job);
  return {
    name,
    sql: `SELECT
  ${[...keys, ...totals(i), ...LATENCY].join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE ${[jobCondition(i), ...scopeConditions(i, tenants)].join(' AND ')}
GROUP BY ${groupBy}
ORDER BY ${COST_SUM} DESC NULLS LAST, ${order}`,
    params: i.params,
  };
}

/** One job's totals per task name, most expensive first. */
export function jobTaskBreakdown(job: string | Inputs, tenants?: TenantScope): NamedQuery {
  return jobGroups('job_task_breakdown', job, ['task_name'], 'task_name', 'task_name ASC', tenants);
}

/** One job's totals per (provider, model), most expensive first. */
export function jobModelUsage(job: string | Inputs, tenants?: TenantScope): NamedQuery {
  const keys = ['provider', 'request_model AS model'];
  return jobGroups('job_model_usage', job, keys, 'provider, request_model', 'provider ASC, model ASC', tenants);
}

export interface JobEventsCursor {
  startedAt: string;
  eventId: string;
}

/** Largest page of one job's events the API may ask for. */
export const JOB_EVENTS_PAGE_MAX = 1000;

/**
 * One job's events in time order (started_at, then event_id), keyset-paginated. `max` caps
 * `limit` (the API's page cap by default; a board's latency histogram reads more).
 */
export function jobEvents(
  job: string | Inputs,
  limit: number,
  after?: JobEventsCursor,
  max = JOB_EVENTS_PAGE_MAX,
  tenants?: TenantScope,
): NamedQuery {
  const i = jobInputs(job);
  const jobCond = [jobCondition(i), ...scopeConditions(i, tenants)].join(' AND ');
  const lim = i.value('limit', 'UInt32', limitOf(limit, max));
  let cond = '';
  if (after) {
    const started = i.value('after_started', "DateTime64(3, 'UTC')", chTime(after.startedAt));
    cond = `AND (started_at, event_id) > (${started}, ${i.value('after_event', 'UUID', after.eventId)})`;
  }
  return {
    name: 'job_events',
    // Every column of the model (rows.ts derives the list), rendered by the query's inputs.
    sql: `SELECT ${readColumns(EVENT_COLUMNS, i)}, total_tokens
FROM ${FROM_EVENTS}
WHERE ${jobCond} ${cond}
ORDER BY started_at ASC, event_id ASC
LIMIT ${lim}`,
    params: i.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Jobs list

/** Sort keys → (aggregate expression, parameter type of its cursor value). */
export const JOB_SORTS = {
  cost: { expr: `ifNull(${COST_SUM}, ${ZERO_MONEY})`, type: `Decimal(38, ${MONEY_SCALE})` },
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
  /** Range and filters as values (bound as parameters), and the job status filter. */
  filters: EventFilters & { status?: JobStatus | undefined };
  /** Another rendering of the range and filters (a board's); `filters` then only gives status. */
  inputs?: Inputs | undefined;
  sort: JobSort;
  order: 'asc' | 'desc';
  limit: number;
  after?: JobsCursor | undefined;
  /** false: never prune with the job_costs rollup (reference path for tests and benchmarks). */
  rollup?: boolean | undefined;
  /** Also return each job's tenants, users and repositories. */
  people?: boolean | undefined;
  /** Only events of these tenants (TenantScope). */
  tenants?: TenantScope;
}

/**
 * Jobs with activity in the time range, with their totals over that range. Dimension filters
 * select jobs that involve the value (any of their events in range matches) and keep the job's
 * full totals; `status` filters on the job's derived status. Keyset pagination on
 * (sort value, job_id): stable under concurrent inserts, no OFFSET scans.
 */
export function listJobs(o: ListJobsOptions): NamedQuery {
  const i = o.inputs ?? boundInputs(o.filters);
  const sort = JOB_SORTS[o.sort];
  const limit = i.value('limit', 'UInt32', limitOf(o.limit, 1000));
  const conds = [...rangeConditions(i), ...scopeConditions(i, o.tenants)];
  const pageConds = [...conds, ...filterConditions(i, ['job'])];
  const having = DIMENSION_NAMES.map((d) => i.filter(d, DIMENSIONS[d], (c) => `countIf(${c}) > 0`)).filter(defined);
  const status = o.filters.status;
  if (status !== undefined) having.push(`job_status = ${i.value('f_status', 'String', status)}`);
  const dir = o.order === 'asc' ? 'ASC' : 'DESC';
  if (o.after) {
    const value = i.value('after_value', sort.type, o.after.value);
    const job = i.value('after_job', 'String', o.after.jobId);
    const cmp = o.order === 'asc' ? '>' : '<';
    having.push(`(sort_value ${cmp} ${value} OR (sort_value = ${value} AND job_id > ${job}))`);
  }
  // Two phases (measured ~2× faster at 1M events than one pass): pick the page's job ids with the
  // sort value alone, then compute the full aggregates for those ids only (a primary-key read).
  const pruned =
    o.sort === 'cost' &&
    o.order === 'desc' &&
    !i.filtered &&
    o.tenants === undefined &&
    having.length === 0 &&
    o.rollup !== false;
  const page = pruned
    ? rollupPrunedCostPage(i, limit)
    : `SELECT job_id, ${sort.expr} AS sort_value${status !== undefined ? `, ${JOB_STATUS_EXPR} AS job_status` : ''}
    FROM ${FROM_EVENTS}
    ${where(pageConds)}
    GROUP BY job_id
    ${having.length ? `HAVING ${having.join(' AND ')}` : ''}
    ORDER BY sort_value ${dir}, job_id ASC
    LIMIT ${limit}`;
  return {
    name: `list_jobs_by_${o.sort}`,
    sql: `SELECT
  job_id,
  ${totals(i).join(',\n  ')},
  avg(latency_ms) AS latency_avg_ms,
  ${i.time('min(started_at)')} AS first_seen,
  ${i.time('max(ended_at)')} AS last_seen,
  ${JOB_STATUS_EXPR} AS job_status,
  arraySort(groupUniqArray(service)) AS services,${o.people ? `\n  ${PEOPLE.join(',\n  ')},` : ''}
  ${sort.expr} AS sort_value,
  toString(sort_value) AS sort_value_s
FROM ${FROM_EVENTS}
WHERE job_id IN (SELECT job_id FROM (${page}))${conds.length ? ` AND ${conds.join(' AND ')}` : ''}
GROUP BY job_id
ORDER BY sort_value ${dir}, job_id ASC
LIMIT ${limit}`,
    params: i.params,
  };
}

/**
 * Candidate job ids for the first page of "most expensive jobs first" without filters, found
 * through the job_costs rollup instead of aggregating every event in the range — exact:
 *
 *  R(j) = the job's rollup cost (all its events, any time, as of the rollup's last refresh, 0005)
 *  plus the cost of every stored row inserted since (inserted_at > as_of − 60 s: a row missing from
 *  a refresh was inserted after it began, docs/clickhouse.md), duplicates included — an upper bound
 *  of E(j), its exact cost inside [from, to): costs are never negative (schema: minimum 0), the
 *  range only removes events, and a row that FINAL collapses or a repricing replaces is at most
 *  counted twice here. A job with no refresh yet is found through its recent rows.
 *  1. C = the `limit` jobs first by (R desc, job_id asc) that can have events in range
 *     (max(ended_at) >= from, min(started_at) < to: started_at <= ended_at is validated);
 *  2. θ = (E, job_id) of the last of C in the page's order (E desc, job_id asc), computed
 *     exactly from task_events FINAL for C only (a primary-key read); when fewer than `limit`
 *     of them have events in range, θ = (-1, '') (no pruning);
 *  3. candidates = every job with R > θ.E, or R = θ.E and job_id <= θ.job_id. A job of the
 *     true first `limit` ranks at or before θ (C holds `limit` jobs ranked at or before θ), so
 *     E > θ.E, or E = θ.E and job_id <= θ.job_id; with R >= E it is a candidate, ties included.
 * The caller then computes every figure exactly for the candidates only and ranks them.
 */
function rollupPrunedCostPage(i: Inputs, limit: string): string {
  const r = i.range();
  const overlap = [r.from && `max(last_ended_at) >= ${r.from}`, r.to && `min(first_started_at) < ${r.to}`].filter(
    defined,
  );
  const conds = rangeConditions(i);
  // The rollup's rows and the rows stored since its refresh: per job, sum and bounds are upper bounds.
  const bounds = `(SELECT job_id, cost_usd, first_started_at, last_ended_at FROM ${JOB_COSTS_TABLE}
        UNION ALL
        SELECT job_id, toDecimal128(ifNull(cost_usd, 0), ${MONEY_SCALE}), started_at, ended_at FROM ${TABLES.events}
        WHERE inserted_at > (SELECT min(as_of) FROM ${JOB_COSTS_TABLE}) - INTERVAL 60 SECOND)`;
  const top = `SELECT job_id FROM ${bounds}
          GROUP BY job_id ${overlap.length ? `HAVING ${overlap.join(' AND ')}` : ''}
          ORDER BY sum(cost_usd) DESC, job_id ASC
          LIMIT ${limit}`;
  // argMax over (-c, job_id): the lowest cost, then the highest job id = the last in page order.
  const theta = `SELECT if(count() < ${limit}, (toDecimal128(-1, ${MONEY_SCALE}), ''), (min(c), argMax(job_id, (-c, job_id))))
      FROM (
        SELECT job_id, ifNull(${COST_SUM}, ${ZERO_MONEY}) AS c
        FROM ${FROM_EVENTS}
        WHERE job_id IN (${top})${conds.length ? ` AND ${conds.join(' AND ')}` : ''}
        GROUP BY job_id)`;
  return `WITH (${theta}) AS theta
    SELECT job_id FROM ${bounds}
    GROUP BY job_id
    HAVING ${[...overlap, '(sum(cost_usd) > theta.1 OR (sum(cost_usd) = theta.1 AND job_id <= theta.2))'].join(' AND ')}`;
}

/** Top jobs by cost over a time range: the benchmark's top-N query. */
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
  bucket?: TimeBucket | undefined;
  /** Range and filters as values (bound as parameters). */
  filters?: (EventFilters & { from: Date | string; to: Date | string }) | undefined;
  /** Another rendering of the range and filters (a board's), instead of `filters`. */
  inputs?: Inputs | undefined;
  limit: number;
  /**
   * Keep the `top` groups by cost in range (ties by value) and sum every other group as
   * OTHER_GROUP — for one group-by dimension, so a chart's legend stays readable.
   */
  top?: number | undefined;
  /** Also return each row's share of the cost of every row (before the limit), as cost_share. */
  share?: boolean | undefined;
  /** Only events of these tenants (TenantScope). */
  tenants?: TenantScope;
}

/** Cost, tokens and task counts per time bucket × the chosen dimensions, for charts and chargeback. */
export function attribution(o: AttributionOptions): NamedQuery {
  const groups = [...new Set(o.groupBy)];
  for (const g of groups)
    if (!(GROUP_BY_DIMENSIONS as readonly string[]).includes(g)) throw new RangeError(`cannot group by ${g}`);
  if (o.top !== undefined && groups.length !== 1) throw new RangeError('top needs exactly one group-by dimension');
  if (o.inputs === undefined && o.filters === undefined) throw new RangeError('attribution needs a range');
  const i = o.inputs ?? boundInputs(o.filters);
  const limit = i.value('limit', 'UInt32', limitOf(o.limit, 10_000));
  const conds = [...rangeConditions(i), ...filterConditions(i), ...scopeConditions(i, o.tenants)];
  const group = (g: GroupByDimension) => {
    const col = DIMENSIONS[g];
    if (o.top === undefined) return `${col} AS \`${g}\``;
    const topN = `SELECT ${col} FROM ${FROM_EVENTS} ${where(conds)}
    GROUP BY ${col} ORDER BY ${COST_SUM} DESC NULLS LAST, ${col} ASC LIMIT ${limitOf(o.top, 100)}`;
    return `if(${col} IN (${topN}), ${col}, '${OTHER_GROUP}') AS \`${g}\``;
  };
  const keys = [...(o.bucket ? [`${i.time(i.bucket(o.bucket, 'ended_at'))} AS bucket`] : []), ...groups.map(group)];
  const groupKeys = [...(o.bucket ? ['bucket'] : []), ...groups.map((g) => `\`${g}\``)];
  const cost = `ifNull(${COST_SUM}, ${ZERO_MONEY})`;
  const share = o.share ? [`${cost} / nullIf(sum(${cost}) OVER (), 0) AS cost_share`] : [];
  return {
    name: `attribution_${o.bucket ?? 'total'}_by_${groups.join('_') || 'none'}${o.top ? `_top${o.top}` : ''}`,
    sql: `SELECT
  ${[...keys, ...totals(i), 'avg(latency_ms) AS latency_avg_ms', 'uniqExact(job_id) AS jobs', ...share].join(',\n  ')}
FROM ${FROM_EVENTS}
${where(conds)}
${groupKeys.length ? `GROUP BY ${groupKeys.join(', ')}` : ''}
ORDER BY ${[...(o.bucket ? ['bucket ASC'] : []), `${COST_SUM} DESC NULLS LAST`, ...groupKeys.filter((k) => k !== 'bucket').map((k) => `${k} ASC`)].join(', ')}
LIMIT ${limit}`,
    params: i.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Latency percentiles

/** Task statuses a latency query may select (allow-list: written into the SQL as literals). */
export const LATENCY_STATUSES = TASK_STATUSES;
/** What a latency query counts unless told otherwise: every task that ran (a refused task never did). */
export const LATENCY_DEFAULT_STATUSES = TASK_STATUSES.filter((s) => s !== 'refused');

export interface LatencyPercentilesOptions {
  /** Dimensions to group by: any of GROUP_BY_DIMENSIONS (task = the agent, repository, user, …). */
  groupBy: readonly GroupByDimension[];
  bucket?: TimeBucket | undefined;
  /** Range and filters as values (bound as parameters). */
  filters?: (EventFilters & { from: Date | string; to: Date | string }) | undefined;
  /** Another rendering of the range and filters (a board's), instead of `filters`. */
  inputs?: Inputs | undefined;
  /** Task statuses counted; default LATENCY_DEFAULT_STATUSES. */
  statuses?: readonly TaskStatus[] | undefined;
  limit: number;
  /** Only events of these tenants (TenantScope). */
  tenants?: TenantScope;
}

/**
 * Exact task-latency percentiles (p50, p95, p99: quantilesExactInclusive, linear interpolation
 * between closest ranks) and time-to-first-token percentiles of streamed tasks, per time bucket ×
 * the chosen dimensions: per agent (task), per repository, per user — ids that never become metric
 * labels (docs/metrics.md), so these come from here, for the API and the boards alike. Busiest
 * groups first within a bucket.
 */
export function latencyPercentiles(o: LatencyPercentilesOptions): NamedQuery {
  const groups = [...new Set(o.groupBy)];
  for (const g of groups)
    if (!(GROUP_BY_DIMENSIONS as readonly string[]).includes(g)) throw new RangeError(`cannot group by ${g}`);
  if (o.inputs === undefined && o.filters === undefined) throw new RangeError('latency percentiles need a range');
  const statuses = [...new Set(o.statuses ?? LATENCY_DEFAULT_STATUSES)];
  if (statuses.length === 0) throw new RangeError('latency percentiles need at least one task status');
  for (const st of statuses)
    if (!(LATENCY_STATUSES as readonly string[]).includes(st)) throw new RangeError(`unknown task status ${st}`);
  const i = o.inputs ?? boundInputs(o.filters);
  const limit = i.value('limit', 'UInt32', limitOf(o.limit, 10_000));
  const conds = [
    ...rangeConditions(i),
    ...filterConditions(i),
    ...scopeConditions(i, o.tenants),
    `status IN (${statuses.map((st) => `'${st}'`).join(', ')})`,
  ];
  const keys = [
    ...(o.bucket ? [`${i.time(i.bucket(o.bucket, 'ended_at'))} AS bucket`] : []),
    ...groups.map((g) => `${DIMENSIONS[g]} AS \`${g}\``),
  ];
  const groupKeys = [...(o.bucket ? ['bucket'] : []), ...groups.map((g) => `\`${g}\``)];
  return {
    name: `latency_percentiles_${o.bucket ?? 'total'}_by_${groups.join('_') || 'none'}`,
    sql: `SELECT
  ${[
    ...keys,
    'count() AS tasks',
    'avg(latency_ms) AS latency_avg_ms',
    'quantilesExactInclusive(0.5, 0.95, 0.99)(latency_ms) AS latency_quantiles_ms',
    'max(latency_ms) AS latency_max_ms',
    'count(time_to_first_token_ms) AS streamed_tasks',
    'quantilesExactInclusive(0.5, 0.95, 0.99)(time_to_first_token_ms) AS ttft_quantiles_ms',
  ].join(',\n  ')}
FROM ${FROM_EVENTS}
${where(conds)}
${groupKeys.length ? `GROUP BY ${groupKeys.join(', ')}` : ''}
ORDER BY ${[...(o.bucket ? ['bucket ASC'] : []), 'tasks DESC', ...groupKeys.filter((k) => k !== 'bucket').map((k) => `${k} ASC`)].join(', ')}
LIMIT ${limit}`,
    params: i.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Daily trend (the daily_costs rollup)

/** Dimensions the daily_costs rollup keeps (0002): its key without day and kafka_partition. */
export const DAILY_DIMENSIONS = [
  'environment',
  'tenant',
  'service',
  'provider',
  'model',
] as const satisfies readonly Dimension[];
export type DailyDimension = (typeof DAILY_DIMENSIONS)[number];

export interface DailyCostTrendOptions {
  groupBy: readonly DailyDimension[];
  /** Range and filters; a filter on a dimension the rollup lacks is refused. */
  inputs: Inputs;
  limit: number;
}

/**
 * Cost, tokens and task counts per UTC day × the chosen dimensions, from the daily_costs rollup
 * (a few rows per day instead of every event). Days that overlap [from, to) count whole.
 * Since 0005 the rollup is recomputed from task_events FINAL by a refreshable view (every 30 s):
 * exact, duplicates collapsed, as of its last refresh. This builder is the rollup's only reader:
 * a redefinition of the rollup changes this function alone.
 */
export function dailyCostTrend(o: DailyCostTrendOptions): NamedQuery {
  const i = o.inputs;
  const groups = [...new Set(o.groupBy)];
  for (const g of groups)
    if (!(DAILY_DIMENSIONS as readonly string[]).includes(g)) throw new RangeError(`daily costs have no ${g}`);
  const lacking = (['task', 'operation', 'user', 'repository', 'job'] as const).filter(
    (k) => i.filter(k, filterColumn(k)) !== undefined,
  );
  if (lacking.length) throw new RangeError(`daily costs cannot be filtered by ${lacking.join(', ')}`);
  const limit = i.value('limit', 'UInt32', limitOf(o.limit, 10_000));
  const r = i.range();
  const conds = [
    r.from && `day >= toDate(${r.from}, 'UTC')`,
    r.to && `toDateTime(day, 'UTC') < ${r.to}`,
    ...filterConditions(i, DAILY_DIMENSIONS),
  ].filter(defined);
  const groupKeys = ['bucket', ...groups.map((g) => `\`${g}\``)];
  return {
    name: `daily_cost_trend_by_${groups.join('_') || 'none'}`,
    sql: `SELECT
  ${i.time("toDateTime(day, 'UTC')")} AS bucket,
  ${[
    ...groups.map((g) => `${DIMENSIONS[g]} AS \`${g}\``),
    'sum(events) AS tasks',
    'sum(error_events) AS failed_tasks',
    `${i.money('sum(cost_usd)')} AS cost_usd_sum`,
    `${i.money('sum(provided_cost_usd)')} AS provided_cost_usd_sum`,
    'sum(events) - sum(priced_events) AS unpriced_tasks',
    ...TOKEN_SUMS,
    `${TOKEN_TYPES.map((t) => `${tokenField(t)}_sum`).join(' + ')} AS total_tokens_sum`,
  ].join(',\n  ')}
FROM ${TABLES.dailyCosts}
${where(conds)}
GROUP BY ${groupKeys.join(', ')}
ORDER BY ${['bucket ASC', 'sum(cost_usd) DESC', ...groupKeys.slice(1).map((k) => `${k} ASC`)].join(', ')}
LIMIT ${limit}`,
    params: i.params,
  };
}

// ---------------------------------------------------------------------------------------------
// Filter choices

/** The values of a dimension among events in range that match the other filters, sorted. */
export function dimensionValues(d: Dimension, i: Inputs): NamedQuery {
  const col = DIMENSIONS[d];
  const conds = [
    ...rangeConditions(i),
    ...filterConditions(
      i,
      DIMENSION_NAMES.filter((x) => x !== d),
    ),
  ];
  return {
    name: `${d}_values`,
    // Distinct values need no FINAL: a duplicate row repeats a value, never adds one.
    sql: `SELECT DISTINCT ${col} AS \`${d}\` FROM ${TABLES.events} ${where(conds)} ORDER BY \`${d}\``,
    params: i.params,
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
  const i = boundInputs();
  const time = "DateTime64(3, 'UTC')";
  const cols = windows.map((w, n) => {
    const conds = [
      `ended_at >= ${i.value(`from_${n}`, time, chTime(w.from))}`,
      `ended_at < ${i.value(`to_${n}`, time, chTime(w.to))}`,
    ];
    if (w.scope !== 'global') {
      if (!(BUDGET_SCOPES as readonly string[]).includes(w.scope))
        throw new RangeError(`unknown budget scope ${String(w.scope)}`);
      conds.push(`${DIMENSIONS[w.scope]} = ${i.value(`v_${n}`, 'String', w.value ?? '')}`);
    }
    return `${i.money(`sumIf(cost_usd, ${conds.join(' AND ')})`)} AS spend_${n}`;
  });
  const minFrom = windows.reduce((m, w) => Math.min(m, new Date(w.from).getTime()), Infinity);
  const maxTo = windows.reduce((m, w) => Math.max(m, new Date(w.to).getTime()), -Infinity);
  return {
    name: 'budget_spend',
    sql: `SELECT
  ${cols.join(',\n  ')}
FROM ${FROM_EVENTS}
WHERE ended_at >= ${i.value('scan_from', time, chTime(minFrom))} AND ended_at < ${i.value('scan_to', time, chTime(maxTo))}`,
    params: i.params,
  };
}

export function limitOf(n: number, max: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`limit must be a positive integer, got ${n}`);
  return Math.min(n, max);
}

// ---------------------------------------------------------------------------------------------
// Board-only reads: figures only a Grafana board shows (no API route). Same rules as every other
// builder here: inputs render the range, filters and constants; money stays Decimal.

export interface JobCostOverTimeOptions {
  /** The board's range and filters (row-level, like attribution). */
  inputs: Inputs;
  bucket: TimeBucket;
  /** Keep the `top` jobs by cost in range (ties by job id); every other job sums as OTHER_GROUP. */
  top: number;
  limit: number;
}

/**
 * Cost per time bucket × job for the most expensive jobs in the range (the rest as OTHER_GROUP):
 * cost trends by job. A job's buckets sum to its cost in the range under the same filters.
 */
export function jobCostOverTime(o: JobCostOverTimeOptions): NamedQuery {
  const i = o.inputs;
  const limit = i.value('limit', 'UInt32', limitOf(o.limit, 10_000));
  const conds = [...rangeConditions(i), ...filterConditions(i)];
  const topN = `SELECT job_id FROM ${FROM_EVENTS} ${where(conds)}
    GROUP BY job_id ORDER BY ${COST_SUM} DESC NULLS LAST, job_id ASC LIMIT ${limitOf(o.top, 100)}`;
  return {
    name: `job_cost_over_time_top${o.top}`,
    sql: `SELECT
  ${i.time(i.bucket(o.bucket, 'ended_at'))} AS bucket,
  if(job_id IN (${topN}), job_id, '${OTHER_GROUP}') AS job,
  ${i.money(COST_SUM)} AS cost_usd_sum,
  count() AS tasks,
  uniqExact(job_id) AS jobs
FROM ${FROM_EVENTS}
${where(conds)}
GROUP BY bucket, job
ORDER BY bucket ASC, ${COST_SUM} DESC NULLS LAST, job ASC
LIMIT ${limit}`,
    params: i.params,
  };
}
