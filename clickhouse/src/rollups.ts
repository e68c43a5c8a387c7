// The rollups (0005): tables recomputed from task_events FINAL by refreshable materialized views
// (docs/clickhouse.md, "Rollups"). Readers that must see the latest totals right away (tests,
// the benchmarks) refresh them on demand.
import type { AureaClickHouse } from './client.js';
import { quoteIdent } from './client.js';
import { TABLES } from './tables.js';

/** Each rollup table and the refreshable view that recomputes it. */
export const ROLLUPS = [
  { table: TABLES.jobCosts, view: `${TABLES.jobCosts}_refresh` },
  { table: TABLES.dailyCosts, view: `${TABLES.dailyCosts}_refresh` },
] as const;

/** Recompute every rollup now and wait until each refresh finished (errors surface as query errors). */
export async function refreshRollups(ch: AureaClickHouse): Promise<void> {
  for (const { view } of ROLLUPS) {
    await ch.client.command({ query: `SYSTEM REFRESH VIEW ${quoteIdent(view)}` });
    await ch.client.command({ query: `SYSTEM WAIT VIEW ${quoteIdent(view)}` });
  }
}
