-- 0004: pricing dimensions and repricing history (docs/clickhouse.md, "Repricing storage";
-- docs/pricing.md). Immutable once released. Placeholders: see 0001.
--
-- task_events becomes ReplacingMergeTree(price_revision): among the rows of one
-- (job_id, event_id) the one with the highest price_revision wins, in merges and under FINAL,
-- whenever it was inserted. The consumer inserts originals (price_revision defaults to 0); a
-- repricing inserts a copy with price_revision = current + 1 (clickhouse/src/reprice.ts). A late or
-- redelivered original (revision 0) therefore never undoes a repricing. original_* keep the cost
-- and price the event was first stored with: their DEFAULTs copy them from the original insert,
-- and a repricing carries them over unchanged.
--
-- The engine cannot be altered in place, so the table is rebuilt: a new table, the rows copied,
-- the two renamed in one statement, the old one dropped. The rollups' materialized views follow
-- the table by identity, so they are recreated on the new one; they count originals only
-- (price_revision = 0): a repricing changes task_events, never the rollups' sums (money users see
-- is read from task_events FINAL).
--
-- New contract fields (services/events/src/model.ts): token types cache_write_1h, input_audio,
-- output_audio, input_image, output_image; price_source; service_tier.
--
-- Re-running after a failure: everything up to the RENAME is idempotent (the copy is skipped once
-- task_events has price_revision). Once the RENAME has run, a re-run stops at the throwIf before it
-- (never renaming the rebuilt table away): run the statements after the RENAME by hand (all are
-- IF [NOT] EXISTS) and record the file, or restore from the copy task_events_before_0004.
-- Clusters: the copy (statement 2) runs on the node the runner connects to and reaches the other
-- replicas of its shard by replication (the single-shard layout docs/clickhouse.md recommends).

CREATE OR REPLACE TABLE task_events_v2 {{on_cluster}}
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
    cache_write_1h_tokens  UInt64 DEFAULT 0,
    input_audio_tokens     UInt64 DEFAULT 0,
    output_audio_tokens    UInt64 DEFAULT 0,
    input_image_tokens     UInt64 DEFAULT 0,
    output_image_tokens    UInt64 DEFAULT 0,
    total_tokens           UInt64 ALIAS input_tokens + output_tokens + cache_read_tokens + cache_write_tokens
                                        + reasoning_tokens + cache_write_1h_tokens + input_audio_tokens
                                        + output_audio_tokens + input_image_tokens + output_image_tokens,
    latency_ms             Float64,
    time_to_first_token_ms Nullable(Float64),
    status                 LowCardinality(String),
    error_type             LowCardinality(String) DEFAULT '',
    cost_usd               Nullable(Decimal(18, 9)),
    provided_cost_usd      Nullable(Decimal(18, 9)),
    pricing_status         LowCardinality(String),
    price_version          LowCardinality(String) DEFAULT '',
    price_source           LowCardinality(String) DEFAULT '',
    service_tier           LowCardinality(String) DEFAULT '',
    tenant                 LowCardinality(String) DEFAULT '',
    user                   String DEFAULT '',
    repository             LowCardinality(String) DEFAULT '',
    attributes             Map(String, String),
    trace_id               String DEFAULT '',
    span_id                String DEFAULT '',
    kafka_partition        Int32 DEFAULT -1,
    kafka_offset           Int64 DEFAULT -1,
    inserted_at            DateTime64(3, 'UTC') DEFAULT now64(3),
    price_revision         UInt32 DEFAULT 0,
    original_cost_usd      Nullable(Decimal(18, 9)) DEFAULT cost_usd,
    original_pricing_status LowCardinality(String) DEFAULT pricing_status,
    original_price_version LowCardinality(String) DEFAULT price_version,
    original_price_source  LowCardinality(String) DEFAULT price_source,
    repriced_at            Nullable(DateTime64(3, 'UTC')) DEFAULT NULL,
    INDEX idx_tenant tenant TYPE set(1000) GRANULARITY 4,
    INDEX idx_user user TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_repository repository TYPE set(1000) GRANULARITY 4,
    INDEX idx_ended ended_at TYPE minmax GRANULARITY 1
)
ENGINE = {{replicated}}ReplacingMergeTree(price_revision)
PARTITION BY toYYYYMM(ended_at)
ORDER BY (job_id, event_id)
TTL toDateTime(ended_at) + INTERVAL {{retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 1000;

INSERT INTO task_events_v2 (
    event_id, schema_version, source, started_at, ended_at, job_id, task_id, parent_task_id, service,
    task_name, operation, provider, request_model, response_model, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, reasoning_tokens, latency_ms, time_to_first_token_ms, status,
    error_type, cost_usd, provided_cost_usd, pricing_status, price_version, tenant, user, repository,
    attributes, trace_id, span_id, kafka_partition, kafka_offset, inserted_at)
SELECT
    event_id, schema_version, source, started_at, ended_at, job_id, task_id, parent_task_id, service,
    task_name, operation, provider, request_model, response_model, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, reasoning_tokens, latency_ms, time_to_first_token_ms, status,
    error_type, cost_usd, provided_cost_usd, pricing_status, price_version, tenant, user, repository,
    attributes, trace_id, span_id, kafka_partition, kafka_offset, inserted_at
FROM task_events
WHERE (SELECT count() FROM system.columns
       WHERE database = currentDatabase() AND table = 'task_events' AND name = 'price_revision') = 0;

DROP VIEW IF EXISTS job_costs_mv {{on_cluster}};

DROP VIEW IF EXISTS daily_costs_mv {{on_cluster}};

SELECT throwIf(
    (SELECT count() FROM system.columns
     WHERE database = currentDatabase() AND table = 'task_events' AND name = 'price_revision') > 0,
    'task_events already has price_revision: 0004 renamed the tables before; finish its remaining statements by hand');

RENAME TABLE task_events TO task_events_before_0004, task_events_v2 TO task_events {{on_cluster}};

ALTER TABLE job_costs {{on_cluster}}
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens SimpleAggregateFunction(sum, UInt64) AFTER reasoning_tokens,
    ADD COLUMN IF NOT EXISTS input_audio_tokens SimpleAggregateFunction(sum, UInt64) AFTER cache_write_1h_tokens,
    ADD COLUMN IF NOT EXISTS output_audio_tokens SimpleAggregateFunction(sum, UInt64) AFTER input_audio_tokens,
    ADD COLUMN IF NOT EXISTS input_image_tokens SimpleAggregateFunction(sum, UInt64) AFTER output_audio_tokens,
    ADD COLUMN IF NOT EXISTS output_image_tokens SimpleAggregateFunction(sum, UInt64) AFTER input_image_tokens;

ALTER TABLE daily_costs {{on_cluster}}
    ADD COLUMN IF NOT EXISTS cache_write_1h_tokens SimpleAggregateFunction(sum, UInt64) AFTER reasoning_tokens,
    ADD COLUMN IF NOT EXISTS input_audio_tokens SimpleAggregateFunction(sum, UInt64) AFTER cache_write_1h_tokens,
    ADD COLUMN IF NOT EXISTS output_audio_tokens SimpleAggregateFunction(sum, UInt64) AFTER input_audio_tokens,
    ADD COLUMN IF NOT EXISTS input_image_tokens SimpleAggregateFunction(sum, UInt64) AFTER output_audio_tokens,
    ADD COLUMN IF NOT EXISTS output_image_tokens SimpleAggregateFunction(sum, UInt64) AFTER input_image_tokens;

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
    sum(cache_write_1h_tokens)                      AS cache_write_1h_tokens,
    sum(input_audio_tokens)                         AS input_audio_tokens,
    sum(output_audio_tokens)                        AS output_audio_tokens,
    sum(input_image_tokens)                         AS input_image_tokens,
    sum(output_image_tokens)                        AS output_image_tokens,
    sum(assumeNotNull(cost_usd))                    AS cost_usd,
    sum(assumeNotNull(provided_cost_usd))           AS provided_cost_usd,
    sum(toDecimal128(latency_ms, 3))                AS latency_ms,
    min(started_at)                                 AS first_started_at,
    max(ended_at)                                   AS last_ended_at,
    max(kafka_offset)                               AS max_offset
FROM task_events AS e
WHERE price_revision = 0
GROUP BY job_id, kafka_partition;

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
    sum(cache_write_1h_tokens)                      AS cache_write_1h_tokens,
    sum(input_audio_tokens)                         AS input_audio_tokens,
    sum(output_audio_tokens)                        AS output_audio_tokens,
    sum(input_image_tokens)                         AS input_image_tokens,
    sum(output_image_tokens)                        AS output_image_tokens,
    sum(assumeNotNull(cost_usd))                    AS cost_usd,
    sum(assumeNotNull(provided_cost_usd))           AS provided_cost_usd,
    sum(toDecimal128(latency_ms, 3))                AS latency_ms,
    max(kafka_offset)                               AS max_offset
FROM task_events AS e
WHERE price_revision = 0
GROUP BY day, tenant, service, provider, request_model, kafka_partition;

DROP TABLE IF EXISTS task_events_before_0004 {{on_cluster}};
