// The one way rows reach task_events: JSONCompactEachRow with the column list derived from the
// model (rows.ts). The consumer, test fixtures and benchmarks all insert through it, so what a
// test stores is exactly what the consumer stores.
import type { AureaClickHouse } from './client.js';
import { EVENTS_TABLE, ROW_COLUMNS, toRow, type RowValues } from './rows.js';
import type { NormalizedTaskEvent } from '@aurea/events';

export type InsertSettings = Record<string, string | number>;

export async function insertRows(ch: AureaClickHouse, rows: readonly RowValues[], settings?: InsertSettings) {
  if (rows.length === 0) return;
  await ch.client.insert({
    table: EVENTS_TABLE,
    columns: [...ROW_COLUMNS] as [string, ...string[]],
    values: rows,
    format: 'JSONCompactEachRow',
    ...(settings ? { clickhouse_settings: settings } : {}),
  });
}

/** Normalized events as rows with the given Kafka coordinates (default: partition 0, offset = index). */
export async function insertEvents(
  ch: AureaClickHouse,
  events: readonly NormalizedTaskEvent[],
  coords: (i: number) => { partition: number; offset: number } = (i) => ({ partition: 0, offset: i }),
): Promise<void> {
  await insertRows(
    ch,
    events.map((e, i) => {
      const c = coords(i);
      return toRow(e, c.partition, c.offset);
    }),
  );
}
