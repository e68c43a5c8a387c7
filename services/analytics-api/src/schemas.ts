// TypeBox schemas of requests and responses: fastify validates requests with them, serializes
// responses with them, and @fastify/swagger publishes them as the OpenAPI document.
import { Type, type Static, type TInteger, type TSchema } from '@sinclair/typebox';
import {
  BUCKETS,
  GROUP_BY_DIMENSIONS,
  JOB_SORT_NAMES,
  JOB_STATUSES,
  LATENCY_DEFAULT_STATUSES,
  LATENCY_STATUSES,
} from '@aurea/clickhouse/queries';
import { FIELDS, LIMITS, TASK_STATUSES, TIME_RANGE, TOKEN_TYPES, type FieldSpec, type TokenType } from '@aurea/events';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from './cursor.js';

/** A string enum as JSON Schema `enum` (one clear error naming the allowed values, not one per literal). */
export const lit = <T extends string>(values: readonly T[], opts: Record<string, unknown> = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...opts });

export const Money = (description: string) =>
  Type.String({
    pattern: '^-?[0-9]+\\.[0-9]{9}$',
    description: `${description} (USD, decimal string with 9 decimals)`,
    examples: ['0.150000000'],
  });
const Time = (description: string) => Type.String({ format: 'date-time', description });
const QueryTime = (description: string) =>
  Time(`${description}. From ${TIME_RANGE.from} to before ${TIME_RANGE.toExclusive}; no leap seconds`);
/** A filter value: ids and names up to the contract's longest (LIMITS.id). */
const Name = (description: string) => Type.String({ minLength: 1, maxLength: LIMITS.id, description });

export const Currency = Type.Literal('USD', { description: 'Currency of every *_usd amount in this answer' });

// ---- query strings ------------------------------------------------------------------------------

export const TimeRangeQuery = {
  from: Type.Optional(
    QueryTime('Inclusive lower bound on task end time (RFC 3339). Default: 30 days before `to` (or now)'),
  ),
  to: Type.Optional(QueryTime('Exclusive upper bound on task end time (RFC 3339). Default: no upper bound')),
};

export const DimensionQuery = {
  tenant: Type.Optional(Name('Only tenant')),
  user: Type.Optional(Name('Only user')),
  repository: Type.Optional(Name('Only repository')),
  service: Type.Optional(Name('Only service (service.name)')),
  environment: Type.Optional(Name('Only environment (deployment.environment.name)')),
  model: Type.Optional(Name('Only request model')),
  provider: Type.Optional(Name('Only provider')),
};

export const PageQuery = (maxPage: number, def = 50) => ({
  limit: Type.Integer({ minimum: 1, maximum: maxPage, default: def, description: `Page size (1–${maxPage})` }),
  cursor: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: CURSOR_MAX_LENGTH,
      pattern: CURSOR_PATTERN,
      description: 'next_cursor of the previous page (opaque, signed)',
    }),
  ),
});

export const JobsListQuery = (maxPage: number) =>
  Type.Object(
    {
      from: Type.Optional(
        QueryTime(
          'Inclusive lower bound on task end time (RFC 3339). Default: none — every job, all time (paginate with cursor)',
        ),
      ),
      to: TimeRangeQuery.to,
      ...DimensionQuery,
      status: Type.Optional(
        lit(JOB_STATUSES, {
          description:
            'Derived job status: error if any task errored or timed out, cancelled if any was cancelled, else ok',
        }),
      ),
      sort: lit(JOB_SORT_NAMES, {
        default: 'cost',
        description: 'cost | tokens | latency (average) | tasks | time (last seen)',
      }),
      order: lit(['asc', 'desc'] as const, { default: 'desc' }),
      ...PageQuery(maxPage),
    },
    { additionalProperties: false },
  );

export const JobEventsQuery = (maxPage: number) =>
  Type.Object({ ...PageQuery(maxPage, 100) }, { additionalProperties: false });

export const AttributionQuery = Type.Object(
  {
    ...TimeRangeQuery,
    ...DimensionQuery,
    task: Type.Optional(Name('Only task name')),
    group_by: Type.Array(lit(GROUP_BY_DIMENSIONS), {
      minItems: 0,
      maxItems: 4,
      uniqueItems: true,
      default: [],
      description: `Dimensions to group by: repeat the parameter or separate with commas (${GROUP_BY_DIMENSIONS.join(', ')})`,
    }),
    bucket: lit([...(Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]), 'none'], {
      default: 'day',
      description: 'Time bucket: hour, day, month, or none',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Maximum rows' }),
  },
  { additionalProperties: false },
);

export const LatencyQuery = Type.Object(
  {
    ...TimeRangeQuery,
    ...DimensionQuery,
    task: Type.Optional(Name('Only task name (agent)')),
    group_by: Type.Array(lit(GROUP_BY_DIMENSIONS), {
      minItems: 0,
      maxItems: 3,
      uniqueItems: true,
      default: ['task'],
      description: `Dimensions to group by (default task, the agent): repeat the parameter or separate with commas (${GROUP_BY_DIMENSIONS.join(', ')})`,
    }),
    bucket: lit([...(Object.keys(BUCKETS) as (keyof typeof BUCKETS)[]), 'none'], {
      default: 'none',
      description: 'Time bucket: hour, day, month, or none (default)',
    }),
    status: Type.Array(lit(LATENCY_STATUSES), {
      minItems: 1,
      maxItems: LATENCY_STATUSES.length,
      uniqueItems: true,
      default: [...LATENCY_DEFAULT_STATUSES],
      description:
        'Task statuses counted: repeat or separate with commas. Default: every task that ran (all but refused)',
    }),
    limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 1000, description: 'Maximum rows' }),
  },
  { additionalProperties: false },
);

export const JobIdParams = Type.Object({ job_id: Name('Job id') }, { additionalProperties: false });

// ---- responses ----------------------------------------------------------------------------------

export const Tokens = Type.Object(
  {
    ...(Object.fromEntries(TOKEN_TYPES.map((t) => [t, Type.Integer({ minimum: 0 })])) as Record<TokenType, TInteger>),
    total: Type.Integer({ minimum: 0 }),
  },
  { description: 'Tokens by type (types never overlap; total is their sum)' },
);

export const Latency = Type.Object(
  {
    avg: Type.Number(),
    p50: Type.Number({ description: 'Exact median (linear interpolation)' }),
    p95: Type.Number({ description: 'Exact 95th percentile (linear interpolation)' }),
    max: Type.Number(),
    total: Type.Number({ description: 'Sum of task wall times' }),
  },
  { description: 'Task latency in milliseconds' },
);

export const GroupStats = {
  tasks: Type.Integer({ minimum: 0 }),
  failed_tasks: Type.Integer({ minimum: 0, description: 'Tasks whose status is not ok' }),
  unpriced_tasks: Type.Integer({
    minimum: 0,
    description: 'Tasks without a computed cost (unknown model): cost_usd excludes them',
  }),
  cost_usd: Money('Computed cost'),
  provided_cost_usd: Money('Cost reported by callers/providers, kept apart'),
  tokens: Tokens,
};

export const JobListItem = Type.Object({
  job_id: Type.String(),
  status: lit(JOB_STATUSES),
  first_seen: Time('Earliest task start in range'),
  last_seen: Time('Latest task end in range'),
  ...GroupStats,
  latency_avg_ms: Type.Number(),
  services: Type.Array(Type.String()),
});

export const JobListResponse = Type.Object({
  currency: Currency,
  from: Type.Union([Time('Effective lower bound'), Type.Null()], { description: 'null: no lower bound (all time)' }),
  to: Type.Union([Time('Effective upper bound'), Type.Null()]),
  sort: lit(JOB_SORT_NAMES),
  order: lit(['asc', 'desc'] as const),
  jobs: Type.Array(JobListItem),
  next_cursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const TaskBreakdownItem = Type.Object({ task_name: Type.String(), ...GroupStats, latency_ms: Latency });
export const ModelUsageItem = Type.Object({
  provider: Type.String(),
  model: Type.String(),
  ...GroupStats,
  latency_ms: Latency,
});

export const JobSummaryResponse = Type.Object({
  job_id: Type.String(),
  status: lit(JOB_STATUSES),
  currency: Currency,
  first_seen: Time('Earliest task start'),
  last_seen: Time('Latest task end'),
  duration_ms: Type.Number({ description: 'last_seen − first_seen' }),
  ...GroupStats,
  tasks_by_status: Type.Object(
    Object.fromEntries(TASK_STATUSES.map((s) => [s, Type.Integer({ minimum: 0 })])) as Record<
      (typeof TASK_STATUSES)[number],
      ReturnType<typeof Type.Integer>
    >,
  ),
  avg_cost_per_task_usd: Money('Computed cost per priced task'),
  latency_ms: Latency,
  services: Type.Array(Type.String()),
  tenants: Type.Array(Type.String()),
  users: Type.Array(Type.String()),
  repositories: Type.Array(Type.String()),
  task_breakdown: Type.Array(TaskBreakdownItem),
  model_usage: Type.Array(ModelUsageItem),
});

const NullableString = (description?: string) =>
  Type.Union([Type.String(), Type.Null()], description ? { description } : {});

/** Model fields a job's event does not repeat (the job id is the response's, the version is the contract's). */
export const JOB_EVENT_OMITS = ['schema_version', 'job_id'] as const;

/** One field of the model as the API returns it (StoredEvent → apiEvent in rows.ts). */
function apiField(f: FieldSpec): TSchema {
  switch (f.store) {
    case 'tokens':
      return Tokens;
    case 'money':
      return Type.Union([Money(f.event.description ?? 'Amount'), Type.Null()]);
    case 'map':
      return Type.Record(Type.String(), Type.String());
    default:
      return f.normalized;
  }
}

/** A task event in responses: every model field but JOB_EVENT_OMITS, usage as `tokens`. */
export const jobEventSchema = (fields: Record<string, FieldSpec>) =>
  Type.Object(
    Object.fromEntries(
      Object.entries(fields)
        .filter(([name]) => !(JOB_EVENT_OMITS as readonly string[]).includes(name))
        .map(([name, f]) => [f.store === 'tokens' ? 'tokens' : name, apiField(f)]),
    ),
  );
export const JobEvent = jobEventSchema(FIELDS);

export const JobEventsResponse = Type.Object({
  job_id: Type.String(),
  currency: Currency,
  events: Type.Array(JobEvent),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const AttributionRow = Type.Object({
  bucket: Type.Union([Time('Bucket start (UTC)'), Type.Null()]),
  group: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description: 'The group-by values; null means none recorded',
  }),
  ...GroupStats,
  jobs: Type.Integer({ minimum: 0 }),
  latency_avg_ms: Type.Number(),
});

const PERCENTILES = {
  p50: Type.Number({ description: 'Exact median (linear interpolation between closest ranks)' }),
  p95: Type.Number({ description: 'Exact 95th percentile' }),
  p99: Type.Number({ description: 'Exact 99th percentile' }),
};

export const LatencyRow = Type.Object({
  bucket: Type.Union([Time('Bucket start (UTC)'), Type.Null()]),
  group: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), {
    description: 'The group-by values; null means none recorded',
  }),
  tasks: Type.Integer({ minimum: 1 }),
  latency_ms: Type.Object(
    {
      avg: Type.Number(),
      ...PERCENTILES,
      max: Type.Number(),
    },
    { description: 'Task latency (wall time) in milliseconds' },
  ),
  streamed_tasks: Type.Integer({ minimum: 0, description: 'Tasks with a time to first token' }),
  time_to_first_token_ms: Type.Union([
    Type.Object(PERCENTILES, { description: 'Time to first token of streamed tasks, in milliseconds' }),
    Type.Null(),
  ]),
});

export const LatencyResponse = Type.Object({
  from: Time('Effective lower bound'),
  to: Time('Effective upper bound'),
  bucket: Type.String(),
  group_by: Type.Array(Type.String()),
  status: Type.Array(Type.String()),
  rows: Type.Array(LatencyRow),
  truncated: Type.Boolean({ description: 'More rows matched than limit' }),
});

export const AttributionResponse = Type.Object({
  currency: Currency,
  from: Time('Effective lower bound'),
  to: Time('Effective upper bound'),
  bucket: Type.String(),
  group_by: Type.Array(Type.String()),
  rows: Type.Array(AttributionRow),
  truncated: Type.Boolean({ description: 'More rows matched than limit' }),
});

const Level = lit(['ok', 'warning', 'alert'] as const);
export const BudgetStatusSchema = Type.Object({
  name: Type.String(),
  scope: Type.String(),
  value: NullableString('The scope value (provider, model, tenant, …); null for global'),
  period: Type.Union([
    Type.Object({ type: Type.Literal('calendar_month') }),
    Type.Object({ type: Type.Literal('rolling'), days: Type.Integer() }),
  ]),
  period_start: Time('Window start'),
  period_end: Time('Window end (rolling: now)'),
  currency: Currency,
  limit_usd: Money('Budget amount'),
  spend_usd: Money('Spend in the window so far'),
  remaining_usd: Money('limit − spend (negative when over budget)'),
  percent_used: Type.Number(),
  projected_spend_usd: Money('Calendar month: spend extrapolated linearly to the month end; rolling: the window spend'),
  projected_percent: Type.Number(),
  warn_percent: Type.Number(),
  alert_percent: Type.Number(),
  status: Level,
  projected_status: Level,
});
export const BudgetsResponse = Type.Object({
  currency: Currency,
  as_of: Time('When computed'),
  budgets: Type.Array(BudgetStatusSchema),
});

export const IngestAccepted = Type.Object({
  accepted: Type.Integer({ minimum: 0 }),
  event_ids: Type.Array(Type.String()),
  topic: Type.String(),
});

export type JobsListQueryT = Static<ReturnType<typeof JobsListQuery>>;
export type AttributionQueryT = Static<typeof AttributionQuery>;
export type LatencyQueryT = Static<typeof LatencyQuery>;
