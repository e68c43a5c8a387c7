// Mapping of a validated task event to a task_events row (clickhouse/migrations/0001), with
// the Kafka coordinates the consumer's exactness relies on.
import type { NormalizedTaskEvent } from '@aurea/events';

export interface TaskEventRow {
  event_id: string;
  schema_version: number;
  source: string;
  started_at: string;
  ended_at: string;
  job_id: string;
  task_id: string;
  parent_task_id: string;
  service: string;
  task_name: string;
  operation: string;
  provider: string;
  request_model: string;
  response_model: string;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  status: string;
  error_type: string;
  /** Decimal(18, 9) as a fixed-point string: never rounded through a float on the way in. */
  cost_usd: string | null;
  provided_cost_usd: string | null;
  pricing_status: string;
  price_version: string;
  tenant: string;
  user: string;
  repository: string;
  attributes: Record<string, string>;
  trace_id: string;
  span_id: string;
  kafka_partition: number;
  kafka_offset: number;
}

/**
 * Column order of the consumer's inserts (JSONCompactEachRow: a column list, then one JSON
 * array per row — the engine skips matching ~37 key names per row; measured ~1.5× less engine
 * CPU per row than JSONEachRow, docs/performance.md). Every TaskEventRow field, checked below.
 */
export const ROW_COLUMNS = [
  'event_id',
  'schema_version',
  'source',
  'started_at',
  'ended_at',
  'job_id',
  'task_id',
  'parent_task_id',
  'service',
  'task_name',
  'operation',
  'provider',
  'request_model',
  'response_model',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'reasoning_tokens',
  'latency_ms',
  'time_to_first_token_ms',
  'status',
  'error_type',
  'cost_usd',
  'provided_cost_usd',
  'pricing_status',
  'price_version',
  'tenant',
  'user',
  'repository',
  'attributes',
  'trace_id',
  'span_id',
  'kafka_partition',
  'kafka_offset',
] as const satisfies readonly (keyof TaskEventRow)[];
// Compile-time: a TaskEventRow field missing from ROW_COLUMNS fails here.
const allColumns: Exclude<keyof TaskEventRow, (typeof ROW_COLUMNS)[number]> extends never ? true : never = true;
void allColumns;

export type RowValues = TaskEventRow[(typeof ROW_COLUMNS)[number]][];

/** One row as the JSON array JSONCompactEachRow expects, in ROW_COLUMNS order. */
export function rowValues(r: TaskEventRow): RowValues {
  const out: RowValues = new Array<TaskEventRow[(typeof ROW_COLUMNS)[number]]>(ROW_COLUMNS.length);
  for (let i = 0; i < ROW_COLUMNS.length; i++) out[i] = r[ROW_COLUMNS[i]!];
  return out;
}

/** A JSON number as a fixed-point string with at most 9 decimals (the column's scale). */
export function decimal9(n: number | null): string | null {
  if (n === null) return null;
  return n.toFixed(9).replace(/\.?0+$/, '') || '0';
}

export function toRow(e: NormalizedTaskEvent, partition: number, offset: number): TaskEventRow {
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.attributes)) attributes[k] = String(v);
  return {
    event_id: e.event_id,
    schema_version: e.schema_version,
    source: e.source,
    started_at: e.started_at,
    ended_at: e.ended_at,
    job_id: e.job_id,
    task_id: e.task_id,
    parent_task_id: e.parent_task_id ?? '',
    service: e.service,
    task_name: e.task_name,
    operation: e.operation,
    provider: e.provider,
    request_model: e.request_model,
    response_model: e.response_model ?? '',
    input_tokens: e.usage.input_tokens,
    output_tokens: e.usage.output_tokens,
    cache_read_tokens: e.usage.cache_read_tokens,
    cache_write_tokens: e.usage.cache_write_tokens,
    reasoning_tokens: e.usage.reasoning_tokens,
    latency_ms: e.latency_ms,
    time_to_first_token_ms: e.time_to_first_token_ms,
    status: e.status,
    error_type: e.error_type ?? '',
    cost_usd: decimal9(e.cost_usd),
    provided_cost_usd: decimal9(e.provided_cost_usd),
    pricing_status: e.pricing_status,
    price_version: e.price_version ?? '',
    tenant: e.tenant ?? '',
    user: e.user ?? '',
    repository: e.repository ?? '',
    attributes,
    trace_id: e.trace_id ?? '',
    span_id: e.span_id ?? '',
    kafka_partition: partition,
    kafka_offset: offset,
  };
}

/** toYYYYMM(ended_at) in UTC, as the table partitions it: one insert never spans two. */
export function monthOf(endedAt: string): number {
  const d = new Date(endedAt);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}
