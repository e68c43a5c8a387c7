// What a named query can be asked for (time range, dimension filters, a job, limits), and how
// those inputs reach its SQL text. A builder in queries.ts never writes a caller's value itself:
// it asks its Inputs for each condition and value. Two renderings exist:
//  - bound (boundInputs, below): values travel as typed query parameters ({name:Type}, sent as
//    `query_params`) — the analytics API, the CLI through it, the benchmarks;
//  - the Grafana boards (grafana/src/board-inputs.ts): template variables and the ClickHouse
//    plugin's macros, which Grafana fills in at query time (docs/dashboards.md).
// Either way the rest of the SQL text is the same builder's, so a board and the API compute a
// figure with one query.

import { MONEY_SCALE } from './rows.js';

export { MONEY_SCALE, isoTime } from './rows.js';
export const CURRENCY = 'USD' as const;
/** Decimal zero at the money scale: the sum of no priced task. */
export const ZERO_MONEY = `toDecimal128(0, ${MONEY_SCALE})`;

/** Dimensions a caller may filter or group by → the task_events column that holds them. */
export const DIMENSIONS = {
  model: 'request_model',
  provider: 'provider',
  service: 'service',
  environment: 'environment',
  task: 'task_name',
  operation: 'operation',
  tenant: 'tenant',
  user: 'user',
  repository: 'repository',
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

/** What a query may be filtered on: a dimension, or the job id. */
export type FilterKey = Dimension | 'job';

/** Calendar buckets → the start of the bucket a time column falls in (UTC). */
export const BUCKETS = {
  hour: (column: string) => `toStartOfHour(${column})`,
  day: (column: string) => `toStartOfDay(${column})`,
  month: (column: string) => `toDateTime(toStartOfMonth(${column}), 'UTC')`,
} as const;
export type Bucket = keyof typeof BUCKETS;
/** A calendar bucket, or the reader's own interval (a board panel's `$__timeInterval`). */
export type TimeBucket = Bucket | 'interval';

export interface Inputs {
  /** Values of the typed placeholders ({name:Type}) in the SQL text; empty when rendered inline. */
  readonly params: Record<string, unknown>;
  /** True when a filter may apply: the rollup-pruned jobs page (queries.ts) needs none. */
  readonly filtered: boolean;
  /** The range [from, to) as SQL expressions of DateTime64(3) values; a missing bound is open. */
  range(): { from?: string | undefined; to?: string | undefined };
  /** The condition "`column` matches input `key`", passed through `wrap`; undefined when unset. */
  filter(key: FilterKey, column: string, wrap?: (cond: string) => string): string | undefined;
  /** A constant of the query (a limit, a cursor value) of ClickHouse type `type`. */
  value(name: string, type: string, v: string | number): string;
  /** The start of bucket `b` that `column` falls in (a DateTime expression). */
  bucket(b: TimeBucket, column: string): string;
  /** How a Decimal money aggregate leaves the engine (NULL, the sum of no priced task, as 0). */
  money(expr: string): string;
  /** How a nullable Decimal money value leaves the engine (NULL stays NULL: unpriced). */
  moneyOrNull(expr: string): string;
  /** How a time leaves the engine. */
  time(expr: string): string;
}

/** DateTime64(3) parameter text for a JS time (UTC, millisecond precision). */
export function chTime(t: Date | string | number): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) throw new RangeError(`invalid time: ${String(t)}`);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** A time range and an equality filter per dimension (DIMENSIONS). */
export type EventFilters = {
  /** Inclusive lower bound on ended_at. */
  from?: Date | string | undefined;
  /** Exclusive upper bound on ended_at. */
  to?: Date | string | undefined;
} & { [D in Dimension]?: string | undefined };

/** The dimension filters a request's query carries (its keys named as DIMENSIONS; others ignored). */
export function dimensionFilters(q: { readonly [D in Dimension]?: string | undefined }): {
  [D in Dimension]?: string;
} {
  const out: { [D in Dimension]?: string } = {};
  for (const d of DIMENSION_NAMES) {
    const v = q[d];
    if (v !== undefined) out[d] = v;
  }
  return out;
}

const TIME_TYPE = "DateTime64(3, 'UTC')";

/**
 * Inputs with their values bound as typed query parameters: `{from:DateTime64(3, 'UTC')}`,
 * `{to:…}`, `{f_<dimension>:String}` (equality), `{job_id:String}`. Money leaves the engine as a
 * fixed-scale decimal string (toDecimalString), times as the engine's text.
 */
export function boundInputs(v: EventFilters & { job?: string | undefined } = {}): Inputs {
  const params: Record<string, unknown> = {};
  const bind = (name: string, type: string, value: unknown) => {
    params[name] = value;
    return `{${name}:${type}}`;
  };
  return {
    params,
    filtered: v.job !== undefined || DIMENSION_NAMES.some((d) => v[d] !== undefined),
    range: () => ({
      from: v.from === undefined ? undefined : bind('from', TIME_TYPE, chTime(v.from)),
      to: v.to === undefined ? undefined : bind('to', TIME_TYPE, chTime(v.to)),
    }),
    filter(key, column, wrap = (c) => c) {
      const value = key === 'job' ? v.job : v[key];
      if (value === undefined) return undefined;
      return wrap(`${column} = ${bind(key === 'job' ? 'job_id' : `f_${key}`, 'String', value)}`);
    },
    value: bind,
    bucket(b, column) {
      if (b === 'interval') throw new RangeError('bound queries take a calendar bucket (hour, day, month)');
      if (!(b in BUCKETS)) throw new RangeError(`unknown bucket ${String(b)}`);
      return BUCKETS[b](column);
    },
    money: (expr) => `toDecimalString(ifNull(${expr}, ${ZERO_MONEY}), ${MONEY_SCALE})`,
    moneyOrNull: (expr) => `if(${expr} IS NULL, NULL, toDecimalString(${expr}, ${MONEY_SCALE}))`,
    time: (expr) => `toString(${expr})`,
  };
}
