// Table names: every query (queries.ts), loader and benchmark takes them from here (the events
// table's name comes with its row definition, rows.ts). The migrations (clickhouse/migrations)
// create exactly these tables; a unit test (queries.test.ts) fails when the two disagree.

import { EVENTS_TABLE } from './rows.js';

export const TABLES = {
  /** One row per task event (0001), ReplacingMergeTree by (job_id, event_id): read it with FINAL. */
  events: EVENTS_TABLE,
  /** Per-job rollup (0002), AggregatingMergeTree by (job_id, kafka_partition). */
  jobCosts: 'job_costs',
  /** Per-day rollup (0002) by (day, tenant, service, provider, request_model, kafka_partition). */
  dailyCosts: 'daily_costs',
} as const;
export type TableName = (typeof TABLES)[keyof typeof TABLES];

/** The tables a materialized view fills from `task_events` (the rollups). */
export const ROLLUP_TABLES = [TABLES.jobCosts, TABLES.dailyCosts] as const;
