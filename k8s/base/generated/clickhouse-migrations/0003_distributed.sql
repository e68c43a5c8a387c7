-- 0003: cluster variant only — Distributed tables over the replicated local tables, for
-- reads that span shards. Immutable once released. The runner skips the statements of a file
-- marked cluster-only on a single node / the embedded engine, but still records the file, so
-- both variants share one numbering.
-- aurea:cluster-only
-- Sharding by job_id keeps every event of a job (and all its redeliveries) on one shard, so
-- ReplacingMergeTree dedup and per-job rollups stay shard-local and exact.

CREATE TABLE IF NOT EXISTS task_events_all {{on_cluster}} AS task_events
ENGINE = Distributed({{cluster}}, {{database}}, task_events, cityHash64(job_id));

CREATE TABLE IF NOT EXISTS job_costs_all {{on_cluster}} AS job_costs
ENGINE = Distributed({{cluster}}, {{database}}, job_costs, cityHash64(job_id));

CREATE TABLE IF NOT EXISTS daily_costs_all {{on_cluster}} AS daily_costs
ENGINE = Distributed({{cluster}}, {{database}}, daily_costs, rand());
