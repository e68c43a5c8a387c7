// Statements only the benchmarks (bench/) run: synthetic events generated inside the engine,
// clearing the tables between runs, counting stored rows, and the engine's own Kafka table engine
// as an ingest reference. Named queries like queries.ts, table names from tables.ts. Their few
// inline values are integers and names the benchmark chooses, checked before they are written.
import type { NamedQuery } from './queries.js';
import { ROLLUP_TABLES, TABLES, type TableName } from './tables.js';

const int = (name: string, v: number): string => {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${name} must be an integer, got ${v}`);
  return String(v);
};
const name = (what: string, v: string): string => {
  if (!/^[\w.:-]+$/.test(v)) throw new RangeError(`${what} must be a plain name, got ${JSON.stringify(v)}`);
  return v;
};
const statement = (n: string, sql: string): NamedQuery => ({ name: n, sql, params: {} });

/** Rows stored in a table, duplicates included (no FINAL): what an ingest run wrote. */
export const countRows = (table: TableName = TABLES.events): NamedQuery =>
  statement(`count_${table}`, `SELECT count() AS n FROM ${table}`);

/** Empty the events table and its rollups (between benchmark runs). */
export const truncateAll = (): NamedQuery[] =>
  [TABLES.events, ...ROLLUP_TABLES].map((t) => statement(`truncate_${t}`, `TRUNCATE TABLE IF EXISTS ${t}`));

/** Merge every part of the events table now (a benchmark measures merged data). */
export const optimizeEvents = (): NamedQuery => statement('optimize_events', `OPTIMIZE TABLE ${TABLES.events} FINAL`);

export interface SyntheticEventsOptions {
  /** Events n = first … first + count − 1 are generated. */
  first: number;
  count: number;
  tasksPerJob: number;
  /** Jobs start every 5 s from `startMs`, wrapping within [startMs, endMs). */
  startMs: number;
  endMs: number;
}

/**
 * Synthetic task events generated in the engine (INSERT … SELECT FROM numbers()), shaped like the
 * consumer's rows: `tasksPerJob` tasks per job, 3 services, 5 task names, 3 providers, 8 models,
 * 5 tenants, 200 users, 50 repositories, one Kafka partition per job (6 partitions), every 50th
 * task an error, costs Decimal. Job ids are `job-<n / tasksPerJob>`. Each row counts as stored when it
 * ended (inserted_at), as in steady state: older than the rollups' last refresh.
 */
export function syntheticEvents(o: SyntheticEventsOptions): NamedQuery {
  const t = int('tasksPerJob', o.tasksPerJob);
  const start = int('startMs', o.startMs);
  const span = int('span', o.endMs - o.startMs);
  const job = `intDiv(n, ${t})`;
  return statement(
    'synthetic_events',
    `INSERT INTO ${TABLES.events} (event_id, schema_version, source, started_at, ended_at, job_id, task_id, service,
  task_name, operation, provider, request_model, response_model, input_tokens, output_tokens, cache_read_tokens,
  cache_write_tokens, reasoning_tokens, latency_ms, status, error_type, cost_usd, pricing_status, price_version, tenant,
  user, repository, attributes, kafka_partition, kafka_offset, inserted_at)
SELECT generateUUIDv7(), 1, 'sdk',
  fromUnixTimestamp64Milli(toInt64(${start} + ${job} * 5000 % ${span} + (n % ${t}) * 1000), 'UTC') AS s,
  s + toIntervalMillisecond(200 + n % 3000) AS e,
  concat('job-', toString(${job})), concat('task-', toString(n)),
  ['orchestrator','agent-runner','llm-proxy'][1 + ${job} % 3],
  ['plan','search','summarize','code','review'][1 + n % 5], 'chat',
  ['openai','anthropic','gcp.gemini'][1 + n % 3],
  ['gpt-4o','gpt-4o-mini','claude-sonnet-4','claude-haiku-4','gemini-2.5-pro','gemini-2.5-flash','o3','o4-mini'][1 + n % 8],
  '', 100 + n % 4000, 20 + n % 800, n % 500, 0, n % 7 = 0 ? 200 : 0,
  200 + n % 3000, n % 50 = 0 ? 'error' : 'ok', n % 50 = 0 ? 'timeout' : '',
  toDecimal64((100 + n % 4000) * 0.0000025 + (20 + n % 800) * 0.00001, 9), 'priced', '2026-11-01',
  ['acme','globex','initech','umbrella','hooli'][1 + ${job} % 5],
  concat('user-', toString(${job} % 200)), concat('repo-', toString(${job} % 50)),
  map(), toInt32(${job} % 6), toInt64(n), e
FROM (SELECT number + ${int('first', o.first)} AS n FROM numbers(${int('count', o.count)}))`,
  );
}

export interface KafkaEngineOptions {
  broker: string;
  topic: string;
  group: string;
  consumers: number;
  flushIntervalMs: number;
  maxBlockSize: number;
}

/**
 * The engine's Kafka table engine feeding task_events through a materialized view that maps the
 * task-event JSON (v1) to the columns: `create` in order, then `drop` in order when done (a Kafka
 * table left in a data directory resumes consuming on the next start).
 */
export function kafkaEngineIngest(o: KafkaEngineOptions): { create: NamedQuery[]; drop: NamedQuery[] } {
  const str = (f: string) => `JSONExtractString(raw, '${f}') AS ${f}`;
  const tokens = (f: string) => `JSONExtractUInt(raw, 'usage', '${f}') AS ${f}`;
  const time = (f: string) => `parseDateTime64BestEffort(JSONExtractString(raw, '${f}'), 3, 'UTC') AS ${f}`;
  const columns = [
    "toUUID(JSONExtractString(raw, 'event_id')) AS event_id",
    "JSONExtractUInt(raw, 'schema_version') AS schema_version",
    str('source'),
    time('started_at'),
    time('ended_at'),
    ...['job_id', 'task_id', 'service', 'task_name', 'operation', 'provider', 'request_model', 'response_model'].map(
      str,
    ),
    ...['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'reasoning_tokens'].map(tokens),
    "JSONExtractFloat(raw, 'latency_ms') AS latency_ms",
    str('status'),
    str('error_type'),
    "toDecimal64OrNull(JSONExtractRaw(raw, 'cost_usd'), 9) AS cost_usd",
    ...['pricing_status', 'price_version', 'tenant', 'user', 'repository'].map(str),
    'toInt32(_partition) AS kafka_partition',
    'toInt64(_offset) AS kafka_offset',
  ];
  return {
    create: [
      statement(
        'kafka_engine_table',
        `CREATE TABLE kafka_in (raw String) ENGINE = Kafka SETTINGS kafka_broker_list = '${name('broker', o.broker)}',
  kafka_topic_list = '${name('topic', o.topic)}', kafka_group_name = '${name('group', o.group)}',
  kafka_format = 'JSONAsString', kafka_num_consumers = ${int('consumers', o.consumers)},
  kafka_flush_interval_ms = ${int('flushIntervalMs', o.flushIntervalMs)},
  kafka_max_block_size = ${int('maxBlockSize', o.maxBlockSize)}, kafka_thread_per_consumer = 1`,
      ),
      statement(
        'kafka_engine_view',
        `CREATE MATERIALIZED VIEW kafka_in_mv TO ${TABLES.events} AS SELECT\n  ${columns.join(',\n  ')}\nFROM kafka_in`,
      ),
    ],
    drop: [
      statement('kafka_engine_view_drop', 'DROP TABLE kafka_in_mv'),
      statement('kafka_engine_table_drop', 'DROP TABLE kafka_in'),
    ],
  };
}
