-- 0002: exact rollups for dashboards and the per-job API, fed by materialized views on
-- task_events. Immutable once released. Placeholders: see 0001.
--
-- Exact under redelivery (docs/clickhouse.md, "Rollups"):
--  * every insert the consumer makes covers one Kafka partition's contiguous offset range and
--    one month, and carries insert_deduplication_token "<topic>:<partition>:<first>-<last>";
--    ClickHouse deduplicates that block in task_events AND in each view's target independently
--    (deduplicate_blocks_in_dependent_materialized_views), so a retried insert counts once;
--  * each rollup keeps kafka_partition in its key and max(kafka_offset) per row, so after a
--    crash the consumer sees exactly which tables hold which offsets and replays the one
--    missing block (same rows, same token) into the tables that lack it.
-- Reads: sum the SimpleAggregateFunction columns GROUP BY the dimensions you need (never
-- read a row as final: merges are eventual). Costs are Decimal sums (exact); latency sums
-- are Decimal(38, 3) milliseconds so they do not depend on merge order like a Float sum.

CREATE TABLE IF NOT EXISTS job_costs {{on_cluster}}
(
    job_id              String,
    kafka_partition     Int32,
    tenant              SimpleAggregateFunction(max, String),
    events              SimpleAggregateFunction(sum, UInt64),
    error_events        SimpleAggregateFunction(sum, UInt64),
    priced_events       SimpleAggregateFunction(sum, UInt64),
    input_tokens        SimpleAggregateFunction(sum, UInt64),
    output_tokens       SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens   SimpleAggregateFunction(sum, UInt64),
    cache_write_tokens  SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens    SimpleAggregateFunction(sum, UInt64),
    cost_usd            SimpleAggregateFunction(sum, Decimal(38, 9)),
    provided_cost_usd   SimpleAggregateFunction(sum, Decimal(38, 9)),
    latency_ms          SimpleAggregateFunction(sum, Decimal(38, 3)),
    first_started_at    SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_ended_at       SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    max_offset          SimpleAggregateFunction(max, Int64)
)
ENGINE = {{replicated}}AggregatingMergeTree
ORDER BY (job_id, kafka_partition)
TTL toDateTime(last_ended_at) + INTERVAL {{retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS job_costs_mv {{on_cluster}} TO job_costs AS
SELECT
    job_id,
    kafka_partition,
    max(tenant)                                     AS tenant,
    count()                                         AS events,
    countIf(status != 'ok')                         AS error_events,
    countIf(e.cost_usd IS NOT NULL)                 AS priced_events,
    sum(input_tokens)                               AS input_tokens,
    sum(output_tokens)                              AS output_tokens,
    sum(cache_read_tokens)                          AS cache_read_tokens,
    sum(cache_write_tokens)                         AS cache_write_tokens,
    sum(reasoning_tokens)                           AS reasoning_tokens,
    sum(assumeNotNull(cost_usd))                   AS cost_usd,
    sum(assumeNotNull(provided_cost_usd))          AS provided_cost_usd,
    sum(toDecimal128(latency_ms, 3))                AS latency_ms,
    min(started_at)                                 AS first_started_at,
    max(ended_at)                                   AS last_ended_at,
    max(kafka_offset)                               AS max_offset
FROM task_events AS e
GROUP BY job_id, kafka_partition;

CREATE TABLE IF NOT EXISTS daily_costs {{on_cluster}}
(
    day                 Date,
    tenant              LowCardinality(String),
    service             LowCardinality(String),
    provider            LowCardinality(String),
    request_model       LowCardinality(String),
    kafka_partition     Int32,
    events              SimpleAggregateFunction(sum, UInt64),
    error_events        SimpleAggregateFunction(sum, UInt64),
    priced_events       SimpleAggregateFunction(sum, UInt64),
    input_tokens        SimpleAggregateFunction(sum, UInt64),
    output_tokens       SimpleAggregateFunction(sum, UInt64),
    cache_read_tokens   SimpleAggregateFunction(sum, UInt64),
    cache_write_tokens  SimpleAggregateFunction(sum, UInt64),
    reasoning_tokens    SimpleAggregateFunction(sum, UInt64),
    cost_usd            SimpleAggregateFunction(sum, Decimal(38, 9)),
    provided_cost_usd   SimpleAggregateFunction(sum, Decimal(38, 9)),
    latency_ms          SimpleAggregateFunction(sum, Decimal(38, 3)),
    max_offset          SimpleAggregateFunction(max, Int64)
)
ENGINE = {{replicated}}AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, tenant, service, provider, request_model, kafka_partition)
TTL day + INTERVAL {{retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_costs_mv {{on_cluster}} TO daily_costs AS
SELECT
    toDate(ended_at)                                AS day,
    tenant,
    service,
    provider,
    request_model,
    kafka_partition,
    count()                                         AS events,
    countIf(status != 'ok')                         AS error_events,
    countIf(e.cost_usd IS NOT NULL)                 AS priced_events,
    sum(input_tokens)                               AS input_tokens,
    sum(output_tokens)                              AS output_tokens,
    sum(cache_read_tokens)                          AS cache_read_tokens,
    sum(cache_write_tokens)                         AS cache_write_tokens,
    sum(reasoning_tokens)                           AS reasoning_tokens,
    sum(assumeNotNull(cost_usd))                   AS cost_usd,
    sum(assumeNotNull(provided_cost_usd))          AS provided_cost_usd,
    sum(toDecimal128(latency_ms, 3))                AS latency_ms,
    max(kafka_offset)                               AS max_offset
FROM task_events AS e
GROUP BY day, tenant, service, provider, request_model, kafka_partition;
