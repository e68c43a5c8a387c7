-- 0005: the rollups become derived and exact (docs/clickhouse.md, "Rollups"). Immutable once
-- released. Placeholders: see 0001.
--
-- job_costs and daily_costs are no longer fed insert by insert (0002's materialized views counted
-- an event produced twice at two offsets twice, and needed per-table watermarks to stay exact
-- across consumer crashes). They are now recomputed from task_events FINAL by refreshable
-- materialized views: each refresh replaces the table's whole content atomically with the
-- totals of the deduplicated, current (repriced) events. So they are exact for any duplicate,
-- whatever produced it, and the consumer writes task_events only.
--
-- as_of is when the refresh read task_events. A reader that needs totals newer than that adds the
-- rows inserted since (inserted_at > as_of - 60 s: a row missing from a refresh was inserted after
-- the refresh began, by an insert shorter than a minute); clickhouse/src/queries.ts does so for
-- the top-N pruning. Refresh periods: ALTER TABLE job_costs_refresh MODIFY REFRESH EVERY … tunes
-- them (cost: one FINAL scan of task_events per refresh, ~1.4 s per 10M events on 2 cores).
--
-- Clusters: the targets are plain MergeTree on every node; each replica refreshes from its own
-- replica of its shard's task_events (the same rows); 0006 recreates the Distributed *_all tables
-- over them (read one replica per shard).

DROP VIEW IF EXISTS job_costs_mv {{on_cluster}};

DROP VIEW IF EXISTS daily_costs_mv {{on_cluster}};

DROP TABLE IF EXISTS job_costs_all {{on_cluster}};

DROP TABLE IF EXISTS daily_costs_all {{on_cluster}};

DROP TABLE IF EXISTS job_costs {{on_cluster}};

DROP TABLE IF EXISTS daily_costs {{on_cluster}};

CREATE TABLE IF NOT EXISTS job_costs {{on_cluster}}
(
    job_id                String,
    tenant                String,
    events                UInt64,
    error_events          UInt64,
    priced_events         UInt64,
    input_tokens          UInt64,
    output_tokens         UInt64,
    cache_read_tokens     UInt64,
    cache_write_tokens    UInt64,
    reasoning_tokens      UInt64,
    cache_write_1h_tokens UInt64,
    input_audio_tokens    UInt64,
    output_audio_tokens   UInt64,
    input_image_tokens    UInt64,
    output_image_tokens   UInt64,
    cost_usd              Decimal(38, 9),
    provided_cost_usd     Decimal(38, 9),
    latency_ms            Decimal(38, 3),
    first_started_at      DateTime64(3, 'UTC'),
    last_ended_at         DateTime64(3, 'UTC'),
    as_of                 DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY job_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS job_costs_refresh {{on_cluster}}
REFRESH EVERY 30 SECOND TO job_costs AS
SELECT
    job_id,
    max(e.tenant)                               AS tenant,
    count()                                     AS events,
    countIf(status != 'ok')                     AS error_events,
    countIf(e.cost_usd IS NOT NULL)             AS priced_events,
    sum(e.input_tokens)                           AS input_tokens,
    sum(e.output_tokens)                          AS output_tokens,
    sum(e.cache_read_tokens)                      AS cache_read_tokens,
    sum(e.cache_write_tokens)                     AS cache_write_tokens,
    sum(e.reasoning_tokens)                       AS reasoning_tokens,
    sum(e.cache_write_1h_tokens)                  AS cache_write_1h_tokens,
    sum(e.input_audio_tokens)                     AS input_audio_tokens,
    sum(e.output_audio_tokens)                    AS output_audio_tokens,
    sum(e.input_image_tokens)                     AS input_image_tokens,
    sum(e.output_image_tokens)                    AS output_image_tokens,
    sum(assumeNotNull(e.cost_usd))              AS cost_usd,
    sum(assumeNotNull(e.provided_cost_usd))     AS provided_cost_usd,
    sum(toDecimal128(e.latency_ms, 3))          AS latency_ms,
    min(started_at)                             AS first_started_at,
    max(ended_at)                               AS last_ended_at,
    now64(3)                                    AS as_of
FROM task_events AS e FINAL
GROUP BY job_id;

CREATE TABLE IF NOT EXISTS daily_costs {{on_cluster}}
(
    day                   Date,
    tenant                LowCardinality(String),
    service               LowCardinality(String),
    provider              LowCardinality(String),
    request_model         LowCardinality(String),
    events                UInt64,
    error_events          UInt64,
    priced_events         UInt64,
    input_tokens          UInt64,
    output_tokens         UInt64,
    cache_read_tokens     UInt64,
    cache_write_tokens    UInt64,
    reasoning_tokens      UInt64,
    cache_write_1h_tokens UInt64,
    input_audio_tokens    UInt64,
    output_audio_tokens   UInt64,
    input_image_tokens    UInt64,
    output_image_tokens   UInt64,
    cost_usd              Decimal(38, 9),
    provided_cost_usd     Decimal(38, 9),
    latency_ms            Decimal(38, 3),
    as_of                 DateTime64(3, 'UTC')
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, tenant, service, provider, request_model);

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_costs_refresh {{on_cluster}}
REFRESH EVERY 1 MINUTE TO daily_costs AS
SELECT
    toDate(ended_at)                            AS day,
    tenant,
    service,
    provider,
    request_model,
    count()                                     AS events,
    countIf(status != 'ok')                     AS error_events,
    countIf(e.cost_usd IS NOT NULL)             AS priced_events,
    sum(e.input_tokens)                           AS input_tokens,
    sum(e.output_tokens)                          AS output_tokens,
    sum(e.cache_read_tokens)                      AS cache_read_tokens,
    sum(e.cache_write_tokens)                     AS cache_write_tokens,
    sum(e.reasoning_tokens)                       AS reasoning_tokens,
    sum(e.cache_write_1h_tokens)                  AS cache_write_1h_tokens,
    sum(e.input_audio_tokens)                     AS input_audio_tokens,
    sum(e.output_audio_tokens)                    AS output_audio_tokens,
    sum(e.input_image_tokens)                     AS input_image_tokens,
    sum(e.output_image_tokens)                    AS output_image_tokens,
    sum(assumeNotNull(e.cost_usd))              AS cost_usd,
    sum(assumeNotNull(e.provided_cost_usd))     AS provided_cost_usd,
    sum(toDecimal128(e.latency_ms, 3))          AS latency_ms,
    now64(3)                                    AS as_of
FROM task_events AS e FINAL
GROUP BY day, tenant, service, provider, request_model;
