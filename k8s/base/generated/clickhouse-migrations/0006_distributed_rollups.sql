-- 0006: cluster variant only — the Distributed tables over the rollups 0005 rebuilt (0003 made
-- them over 0002's tables, which 0005 dropped). Immutable once released. See 0003 for the marker.
-- aurea:cluster-only

CREATE TABLE IF NOT EXISTS job_costs_all {{on_cluster}} AS job_costs
ENGINE = Distributed({{cluster}}, {{database}}, job_costs, cityHash64(job_id));

CREATE TABLE IF NOT EXISTS daily_costs_all {{on_cluster}} AS daily_costs
ENGINE = Distributed({{cluster}}, {{database}}, daily_costs, rand());
