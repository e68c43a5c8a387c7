-- 0008: cluster variant only — the Distributed daily_costs_all again over daily_costs, which 0007
-- recreated with the environment column. Immutable once released. See 0003 for the marker.
-- aurea:cluster-only

DROP TABLE IF EXISTS daily_costs_all {{on_cluster}};

CREATE TABLE IF NOT EXISTS daily_costs_all {{on_cluster}} AS daily_costs
ENGINE = Distributed({{cluster}}, {{database}}, daily_costs, rand());
