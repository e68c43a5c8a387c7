// Migration runner against the embedded engine (one temp data dir for this file, one
// database per test): applies in order, records checksums, refuses edited/missing files and
// gaps, fills placeholders for single node and cluster, honours the retention setting.
import { cp, mkdtemp, rm, writeFile, unlink, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type AureaClickHouse } from './client.js';
import {
  MIGRATIONS_DIR,
  MigrationError,
  loadMigrations,
  migrate,
  renderStatement,
  splitStatements,
} from './migrate.js';

let root: string;
let n = 0;
const opened: AureaClickHouse[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aurea-migrate-'));
});
afterAll(async () => {
  for (const ch of opened) await ch.close();
  await rm(root, { recursive: true, force: true });
});

async function db(): Promise<AureaClickHouse> {
  const ch = await createClickHouse({ database: `m${++n}_${process.pid}`, dataDir: join(root, 'data') });
  opened.push(ch);
  return ch;
}

async function copyMigrations(): Promise<string> {
  const dir = join(root, `files${++n}`);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

/** The database's tables, without the temporary table a refreshable view's refresh in progress holds. */
async function tables(ch: AureaClickHouse): Promise<string[]> {
  const rs = await ch.client.query({
    query: "SELECT name FROM system.tables WHERE database = {db:String} AND NOT startsWith(name, '.tmp') ORDER BY name",
    query_params: { db: ch.database },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ name: string }>()).map((r) => r.name);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<MigrationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MigrationError);
  expect((err as MigrationError).code).toBe(code);
  return err as MigrationError;
}

describe('migrate', () => {
  it('applies every file once, records checksums, and is a no-op the second time', async () => {
    const ch = await db();
    const files = await loadMigrations();
    const first = await migrate(ch, { retentionDays: 30 });
    expect(first.applied).toEqual(files.map((f) => f.version));
    expect(await tables(ch)).toEqual([
      'daily_costs',
      'daily_costs_refresh',
      'job_costs',
      'job_costs_refresh',
      'schema_migrations',
      'task_events',
    ]);
    const second = await migrate(ch, { retentionDays: 30 });
    expect(second.applied).toEqual([]);
    expect(second.current).toBe(files.length);
    const rs = await ch.client.query({
      query: `SELECT version, checksum FROM ${ch.database}.schema_migrations ORDER BY version`,
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual(files.map((f) => ({ version: f.version, checksum: f.checksum })));
    const ddl = await ch.client.query({
      query: `SHOW CREATE TABLE ${ch.database}.task_events`,
      format: 'TabSeparatedRaw',
    });
    expect(await ddl.text()).toContain('toIntervalDay(30)');
  });

  it('refuses a file edited after it was applied, and exits before applying anything', async () => {
    const ch = await db();
    const dir = await copyMigrations();
    await migrate(ch, { dir });
    await appendFile(join(dir, '0001_task_events.sql'), '\n-- a harmless-looking edit\n');
    const err = await expectCode(migrate(ch, { dir }), 'edited');
    expect(err.message).toContain('0001_task_events.sql');
  });

  it('refuses when an applied file is missing', async () => {
    const ch = await db();
    const dir = await copyMigrations();
    const last = (await loadMigrations(dir)).at(-1)!;
    await migrate(ch, { dir });
    await unlink(join(dir, last.file));
    await expectCode(migrate(ch, { dir }), 'missing');
  });

  it('refuses a gap in the numbering and bad names', async () => {
    const dir = await copyMigrations();
    const count = (await loadMigrations(dir)).length;
    await writeFile(join(dir, `${String(count + 2).padStart(4, '0')}_later.sql`), '-- header\nSELECT 1;\n');
    await expectCode(loadMigrations(dir), 'gap');
    const dir2 = await copyMigrations();
    await writeFile(join(dir2, 'extra.sql'), 'SELECT 1;');
    await expectCode(loadMigrations(dir2), 'bad_file_name');
  });

  it('applies new files after the recorded ones, and reports a failing statement', async () => {
    const ch = await db();
    const dir = await copyMigrations();
    await migrate(ch, { dir });
    const next = String((await loadMigrations(dir)).length + 1).padStart(4, '0');
    await writeFile(
      join(dir, `${next}_note.sql`),
      '-- test\nCREATE TABLE IF NOT EXISTS note (x UInt8) ENGINE = MergeTree ORDER BY x;\n',
    );
    expect((await migrate(ch, { dir })).applied).toEqual([Number(next)]);
    const broken = String(Number(next) + 1).padStart(4, '0');
    await writeFile(
      join(dir, `${broken}_broken.sql`),
      '-- test\nCREATE TABLE nope (x NoSuchType) ENGINE = MergeTree ORDER BY x;\n',
    );
    await expectCode(migrate(ch, { dir }), 'statement_failed');
    // the failed file was not recorded: fixing it (it never ran) lets the run complete
    await writeFile(join(dir, `${broken}_broken.sql`), '-- test, fixed\nSELECT 1;\n');
    expect((await migrate(ch, { dir })).applied).toEqual([Number(broken)]);
  });

  it('dry run lists pending versions without applying', async () => {
    const ch = await db();
    const r = await migrate(ch, { dryRun: true });
    expect(r.pending.length).toBeGreaterThan(0);
    expect(await tables(ch)).toEqual(['schema_migrations']);
  });
});

describe('rendering', () => {
  it('fills the same statements for a single node and for a cluster', async () => {
    const files = await loadMigrations();
    const stmts = files.flatMap((f) => splitStatements(f.sql).map((s) => ({ f, s })));
    for (const { f, s } of stmts) {
      const single = renderStatement(s, { database: 'aurea', retentionDays: 400 });
      const cluster = renderStatement(s, { database: 'aurea', retentionDays: 400, cluster: 'prod' });
      expect(single).not.toMatch(/\{\{|ON CLUSTER|Replicated/);
      if (/^CREATE/.test(s)) expect(cluster).toContain("ON CLUSTER 'prod'");
      if (/ENGINE = \{\{replicated\}\}/.test(s)) expect(cluster).toMatch(/ENGINE = Replicated\w*MergeTree/);
      if (f.clusterOnly && /^CREATE/.test(s)) expect(cluster).toMatch(/Distributed\('prod', 'aurea', \w+, /);
    }
    expect(files.some((f) => f.clusterOnly)).toBe(true);
    expect(() => renderStatement('SELECT {{nope}}', { database: 'a', retentionDays: 1 })).toThrow(
      /unknown placeholder/,
    );
    expect(() => renderStatement('SELECT 1', { database: 'a', retentionDays: 0 })).toThrow(/positive/);
  });

  it('splits on semicolons outside quotes and drops comment lines', () => {
    expect(splitStatements("-- c; c\nSELECT ';' ;\n\nSELECT 2; -- tail\n")).toEqual(["SELECT ';'", 'SELECT 2']);
  });
});
