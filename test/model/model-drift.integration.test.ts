// The migrated task_events table and the row derived from the task-event model must agree
// column for column (name and type), and adding an optional field to the model is one entry in
// @aurea/events FIELDS plus one migration: every other shape derives from the model.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FIELDS, contractSchema, normalizer, nullable, type FieldSpec } from '@aurea/events';
import { jobEventSchema } from '@aurea/analytics-api';
import { MIGRATIONS_DIR, createClickHouse, loadMigrations, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import {
  COMPUTED_COLUMNS,
  KAFKA_COLUMNS,
  eventColumns,
  fromStoredRow,
  readColumns,
  rowColumns,
  rowWriter,
  type EventColumn,
} from '@aurea/clickhouse/rows';

interface Col {
  name: string;
  type: string;
  default_kind: string;
}

async function tableColumns(ch: AureaClickHouse): Promise<Col[]> {
  const rs = await ch.client.query({
    query: `SELECT name, type, default_kind FROM system.columns
            WHERE database = currentDatabase() AND table = 'task_events' ORDER BY position`,
    format: 'JSONEachRow',
  });
  return rs.json<Col>();
}

/** What the model says the table must hold, and what the table holds, as comparable lists. */
async function drift(ch: AureaClickHouse, columns: readonly EventColumn[]) {
  const actual = await tableColumns(ch);
  const computed = new Set<string>(COMPUTED_COLUMNS);
  return {
    expected: [...columns.map((c) => `${c.name} ${c.type}`), ...KAFKA_COLUMNS.map((c) => `${c.name} ${c.type}`)].sort(),
    written: actual
      .filter((c) => !computed.has(c.name))
      .map((c) => `${c.name} ${c.type}`)
      .sort(),
    computed: actual
      .filter((c) => computed.has(c.name))
      .map((c) => c.name)
      .sort(),
  };
}

async function openAt(dir: string, migrations: string): Promise<AureaClickHouse> {
  const ch = await createClickHouse({ database: 'aurea_drift', dataDir: dir });
  await migrate(ch, { dir: migrations });
  return ch;
}

// A hypothetical optional field, for the demonstration: a bounded label, absent in old events.
const EXTRA = { deployment_zone: nullable(Type.String({ minLength: 1, maxLength: 64 }), 'label', 'Zone') };
const EXTENDED: Record<string, FieldSpec> = { ...FIELDS, ...EXTRA };
const EXTRA_MIGRATION = `ALTER TABLE task_events {{on_cluster}} ADD COLUMN IF NOT EXISTS deployment_zone LowCardinality(String) DEFAULT '';\n`;

describe('task_events ⇔ the model', () => {
  const dirs: string[] = [];
  let ch: AureaClickHouse;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurea-drift-'));
    dirs.push(dir);
    ch = await openAt(dir, MIGRATIONS_DIR);
  });
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('the migrations create exactly the columns the model derives, with its types', async () => {
    try {
      const d = await drift(ch, eventColumns());
      expect(d.written).toEqual(d.expected);
      expect(d.computed).toEqual([...COMPUTED_COLUMNS].sort());
      // A field in the model without its migration fails the check, naming the column.
      const before = await drift(ch, eventColumns(EXTENDED));
      expect(before.expected.filter((c) => !before.written.includes(c))).toEqual([
        'deployment_zone LowCardinality(String)',
      ]);
    } finally {
      await ch.close(); // the embedded engine opens one data directory per process
    }
  });

  it('a new optional field is one model entry plus one migration; everything else follows', async () => {
    const columns = eventColumns(EXTENDED);
    // With one migration (a copy of the real ones plus the new file) the table matches again.
    const migrations = mkdtempSync(join(tmpdir(), 'aurea-drift-migrations-'));
    const data = mkdtempSync(join(tmpdir(), 'aurea-drift-data-'));
    dirs.push(migrations, data);
    cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
    const next = String((await loadMigrations()).length + 1).padStart(4, '0');
    writeFileSync(join(migrations, `${next}_deployment_zone.sql`), EXTRA_MIGRATION);
    const ch2 = await openAt(data, migrations);
    try {
      const after = await drift(ch2, columns);
      expect(after.written).toEqual(after.expected);

      // The places that derive from the model, with no edit of their own:
      // 1. the contract accepts the field (and still accepts events without it);
      const ajv = new Ajv2020({ strict: false });
      const validate = ajv.compile(contractSchema(EXTENDED));
      const event = {
        schema_version: 1,
        event_id: '0190a0b0-0000-7000-8000-0000000000aa',
        started_at: '2026-11-23T10:00:00.000Z',
        ended_at: '2026-11-23T10:00:01.000Z',
        job_id: 'j',
        task_id: 't',
        service: 's',
        task_name: 'n',
        operation: 'chat',
        provider: 'openai',
        request_model: 'm',
        usage: {},
        latency_ms: 1,
        status: 'ok',
      };
      expect(validate({ ...event, deployment_zone: 'eu-1' })).toBe(true);
      expect(validate(event)).toBe(true);
      expect(validate({ ...event, deployment_zone: 7 })).toBe(false);
      // 2. the normalized event, 3. the insert row and 4. the read-back;
      const normalize = normalizer(EXTENDED);
      expect(normalize(event)).toMatchObject({ deployment_zone: null, tenant: null });
      const normalized = normalize({ ...event, usage: { input_tokens: 1 }, deployment_zone: 'eu-1' });
      const names = rowColumns(columns);
      const row = rowWriter(columns)(normalized, 0, 0);
      expect(row[names.indexOf('deployment_zone')]).toBe('eu-1');
      await ch2.client.insert({
        table: 'task_events',
        columns: names as [string, ...string[]],
        format: 'JSONCompactEachRow',
        values: [row],
      });
      const rs = await ch2.client.query({
        query: `SELECT ${readColumns(columns)} FROM task_events`,
        format: 'JSONEachRow',
      });
      const [stored] = (await rs.json<Record<string, unknown>>()).map((r) => fromStoredRow(r, columns));
      expect(stored).toMatchObject({ deployment_zone: 'eu-1', job_id: 'j', usage: { input_tokens: 1 } });
      // 5. the API's event schema.
      expect(Object.keys(jobEventSchema(EXTENDED).properties)).toContain('deployment_zone');
    } finally {
      await ch2.close();
    }
  });
});
