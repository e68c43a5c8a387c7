-- 0007: the deployment environment of each task event (task-event field `environment`, from the
-- producer's `deployment.environment.name`; '' when the producer did not say), so the per-job
-- boards and the API can tell production from staging. Immutable once released. Placeholders:
-- see 0001. Events stored before this migration have ''.
--
-- daily_costs gains the dimension too: its table and refresh view (0005) are recreated with
-- environment in the key (the refresh recomputes everything from task_events FINAL, so nothing
-- is lost by recreating it).

ALTER TABLE task_events {{on_cluster}}
    ADD COLUMN IF NOT EXISTS environment LowCardinality(String) DEFAULT '' AFTER service;

DROP VIEW IF EXISTS daily_costs_refresh {{on_cluster}};

DROP TABLE IF EXISTS daily_costs {{on_cluster}};

CREATE TABLE IF NOT EXISTS daily_costs {{on_cluster}}
(
    day                   Date,
    environment           LowCardinality(String),
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
ORDER BY (day, environment, tenant, service, provider, request_model);

CREATE MATERIALIZED VIEW IF NOT EXISTS daily_costs_refresh {{on_cluster}}
REFRESH EVERY 1 MINUTE TO daily_costs AS
SELECT
    toDate(ended_at)                            AS day,
    environment,
    tenant,
    service,
    provider,
    request_model,
    count()                                     AS events,
    countIf(status != 'ok')                     AS error_events,
    countIf(e.cost_usd IS NOT NULL)             AS priced_events,
    sum(e.input_tokens)                         AS input_tokens,
    sum(e.output_tokens)                        AS output_tokens,
    sum(e.cache_read_tokens)                    AS cache_read_tokens,
    sum(e.cache_write_tokens)                   AS cache_write_tokens,
    sum(e.reasoning_tokens)                     AS reasoning_tokens,
    sum(e.cache_write_1h_tokens)                AS cache_write_1h_tokens,
    sum(e.input_audio_tokens)                   AS input_audio_tokens,
    sum(e.output_audio_tokens)                  AS output_audio_tokens,
    sum(e.input_image_tokens)                   AS input_image_tokens,
    sum(e.output_image_tokens)                  AS output_image_tokens,
    sum(assumeNotNull(e.cost_usd))              AS cost_usd,
    sum(assumeNotNull(e.provided_cost_usd))     AS provided_cost_usd,
    sum(toDecimal128(e.latency_ms, 3))          AS latency_ms,
    now64(3)                                    AS as_of
FROM task_events AS e FINAL
GROUP BY day, environment, tenant, service, provider, request_model;
