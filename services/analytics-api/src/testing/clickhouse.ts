// Test support: an embedded ClickHouse in a temp data dir with the schema migrated, and the
// mapping of a normalized task event to a task_events row (what the consumer writes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { toRow, type TaskEventRow } from '@aurea/consumer';
import type { NormalizedTaskEvent } from '@aurea/events';

export interface TestClickHouse {
  ch: AureaClickHouse;
  dir: string;
  cleanup(): Promise<void>;
}

export async function openTestClickHouse(name = 'api'): Promise<TestClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), `aurea-${name}-`));
  const ch = await createClickHouse({ database: 'aurea_test', dataDir: dir });
  await migrate(ch, {});
  return {
    ch,
    dir,
    async cleanup() {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A normalized event as the consumer writes it (its own row mapping, so tests store exactly that). */
export function eventRow(
  e: NormalizedTaskEvent,
  kafka: { partition: number; offset: number } = { partition: -1, offset: -1 },
): TaskEventRow {
  return toRow(e, kafka.partition, kafka.offset);
}

export async function insertEvents(ch: AureaClickHouse, events: readonly NormalizedTaskEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ch.client.insert({
    table: 'task_events',
    format: 'JSONEachRow',
    values: events.map((e, i) => eventRow(e, { partition: 0, offset: i })),
  });
}
