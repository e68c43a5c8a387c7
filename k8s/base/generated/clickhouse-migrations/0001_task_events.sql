-- 0001: the task-events table, one row per task event v1 (services/events/schema).
-- Loaded by the migration runner (clickhouse/src/migrate.ts); immutable once released:
-- change the schema with a new numbered file. Placeholders the runner fills:
--   {{on_cluster}}  → ''  (single node / embedded)  or  ON CLUSTER '<name>'
--   {{replicated}}  → ''  or  'Replicated' (engine prefix; replica path from server defaults)
--   {{retention_days}} → TTL in days (CLICKHOUSE_RETENTION_DAYS, default 400)
--
-- Ordering: (job_id, event_id). Per-job reads (the API's hottest path) are a primary-key
-- range; event_id (UUIDv7) keeps a job's events in time order and is the dedup key of
-- ReplacingMergeTree, so a row inserted twice collapses on merge (and under FINAL).
-- Partitioning: by month of ended_at: time-range queries prune whole months, TTL drops whole
-- parts, and an event always lands in the same partition (dedup works per partition).
-- kafka_partition/kafka_offset record where each row came from: the consumer resumes after
-- the highest offset already stored, so a crash between insert and commit never re-inserts
-- (sink-side offset tracking; see docs/consumer.md). One task-events topic per database.
CREATE TABLE IF NOT EXISTS task_events {{on_cluster}}
(
    event_id               UUID,
    schema_version         UInt8,
    source                 LowCardinality(String),
    started_at             DateTime64(3, 'UTC'),
    ended_at               DateTime64(3, 'UTC'),
    job_id                 String,
    task_id                String,
    parent_task_id         String DEFAULT '',
    service                LowCardinality(String),
    task_name              LowCardinality(String),
    operation              LowCardinality(String),
    provider               LowCardinality(String),
    request_model          LowCardinality(String),
    response_model         LowCardinality(String) DEFAULT '',
    input_tokens           UInt64,
    output_tokens          UInt64,
    cache_read_tokens      UInt64,
    cache_write_tokens     UInt64,
    reasoning_tokens       UInt64,
    total_tokens           UInt64 ALIAS input_tokens + output_tokens + cache_read_tokens + cache_write_tokens + reasoning_tokens,
    latency_ms             Float64,
    time_to_first_token_ms Nullable(Float64),
    status                 LowCardinality(String),
    error_type             LowCardinality(String) DEFAULT '',
    cost_usd               Nullable(Decimal(18, 9)),
    provided_cost_usd      Nullable(Decimal(18, 9)),
    pricing_status         LowCardinality(String),
    price_version          LowCardinality(String) DEFAULT '',
    tenant                 LowCardinality(String) DEFAULT '',
    user                   String DEFAULT '',
    repository             LowCardinality(String) DEFAULT '',
    attributes             Map(String, String),
    trace_id               String DEFAULT '',
    span_id                String DEFAULT '',
    kafka_partition        Int32 DEFAULT -1,
    kafka_offset           Int64 DEFAULT -1,
    inserted_at            DateTime64(3, 'UTC') DEFAULT now64(3),
    INDEX idx_tenant tenant TYPE set(1000) GRANULARITY 4,
    INDEX idx_user user TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_repository repository TYPE set(1000) GRANULARITY 4,
    INDEX idx_ended ended_at TYPE minmax GRANULARITY 1
)
ENGINE = {{replicated}}ReplacingMergeTree
PARTITION BY toYYYYMM(ended_at)
ORDER BY (job_id, event_id)
TTL toDateTime(ended_at) + INTERVAL {{retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;
