// Test support: an embedded ClickHouse in a temp data dir with the schema migrated, and the
// mapping of a normalized task event to a task_events row (what the consumer writes).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as clickhouse from '@aurea/clickhouse';
import { createClickHouse, type AureaClickHouse } from '@aurea/clickhouse';
import type { NormalizedTaskEvent } from '@aurea/events';

export interface TestClickHouse {
  ch: AureaClickHouse;
  dir: string;
  cleanup(): Promise<void>;
}

type Migrate = (ch: AureaClickHouse, opts?: Record<string, unknown>) => Promise<unknown>;

/** The migration runner when @aurea/clickhouse exports it; until then, 0001 applied by hand. */
async function migrateSchema(ch: AureaClickHouse): Promise<void> {
  const runner = (clickhouse as Record<string, unknown>).migrate as Migrate | undefined;
  if (runner) {
    await runner(ch, {});
    return;
  }
  const file = fileURLToPath(import.meta.resolve('@aurea/clickhouse').replace(/src\/index\.ts$/, 'migrations/0001_task_events.sql'));
  const sql = readFileSync(file, 'utf8').replaceAll('{{on_cluster}}', '').replaceAll('{{replicated}}', '').replaceAll('{{retention_days}}', '400');
  await ch.client.command({ query: sql });
}

export async function openTestClickHouse(name = 'api'): Promise<TestClickHouse> {
  const dir = mkdtempSync(join(tmpdir(), `aurea-${name}-`));
  const ch = await createClickHouse({ database: 'aurea_test', dataDir: dir });
  await migrateSchema(ch);
  return {
    ch,
    dir,
    async cleanup() {
      await ch.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A normalized event as a task_events row ('' for "none", decimals as strings). */
export function eventRow(e: NormalizedTaskEvent, kafka: { partition: number; offset: number } = { partition: -1, offset: -1 }): Record<string, unknown> {
  return {
    event_id: e.event_id,
    schema_version: e.schema_version,
    source: e.source,
    started_at: e.started_at,
    ended_at: e.ended_at,
    job_id: e.job_id,
    task_id: e.task_id,
    parent_task_id: e.parent_task_id ?? '',
    service: e.service,
    task_name: e.task_name,
    operation: e.operation,
    provider: e.provider,
    request_model: e.request_model,
    response_model: e.response_model ?? '',
    ...e.usage,
    latency_ms: e.latency_ms,
    time_to_first_token_ms: e.time_to_first_token_ms,
    status: e.status,
    error_type: e.error_type ?? '',
    cost_usd: e.cost_usd === null ? null : e.cost_usd.toFixed(9),
    provided_cost_usd: e.provided_cost_usd === null ? null : e.provided_cost_usd.toFixed(9),
    pricing_status: e.pricing_status,
    price_version: e.price_version ?? '',
    tenant: e.tenant ?? '',
    user: e.user ?? '',
    repository: e.repository ?? '',
    attributes: Object.fromEntries(Object.entries(e.attributes).map(([k, v]) => [k, String(v)])),
    trace_id: e.trace_id ?? '',
    span_id: e.span_id ?? '',
    kafka_partition: kafka.partition,
    kafka_offset: kafka.offset,
  };
}

export async function insertEvents(ch: AureaClickHouse, events: readonly NormalizedTaskEvent[]): Promise<void> {
  if (events.length === 0) return;
  await ch.client.insert({ table: 'task_events', format: 'JSONEachRow', values: events.map((e, i) => eventRow(e, { partition: 0, offset: i })) });
}
