// Migration runner: applies clickhouse/migrations/NNNN_name.sql in order, once each, and
// records every file's SHA-256 in `schema_migrations`. It refuses to run when a recorded file
// was edited or removed, or when the numbering has a gap — a released migration is immutable.
// The same files serve a single node / the embedded engine and a cluster: placeholders
// ({{on_cluster}}, {{replicated}}, {{cluster}}, {{database}}, {{retention_days}}) are filled
// per target, and files marked `-- aurea:cluster-only` run on clusters only.
// Statements are written idempotently (IF NOT EXISTS), so a crash between a statement and its
// record is repaired by simply running again.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AureaClickHouse } from './client.js';
import { quoteIdent } from './client.js';

export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
export const DEFAULT_RETENTION_DAYS = 400;

const FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const CLUSTER_ONLY = /^--\s*aurea:cluster-only\s*$/m;

export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  checksum: string;
  sql: string;
  clusterOnly: boolean;
}

export interface MigrateOptions {
  /** Folder of numbered .sql files (default: clickhouse/migrations). */
  dir?: string;
  /** Cluster name: ON CLUSTER + Replicated engines + Distributed tables. Unset: single node. */
  cluster?: string | undefined;
  /** TTL of events and rollups, in days (CLICKHOUSE_RETENTION_DAYS). */
  retentionDays?: number;
  /** Only check files against the record; apply nothing. */
  dryRun?: boolean;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface MigrateResult {
  /** Versions applied by this run. */
  applied: number[];
  /** Highest version recorded after the run. */
  current: number;
  /** Versions that a dry run would apply. */
  pending: number[];
}

export type MigrationErrorCode =
  'bad_file_name' | 'duplicate_version' | 'gap' | 'edited' | 'missing' | 'statement_failed';

export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export function checksum(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Read and check the migration files: names, unique versions, numbering 1..N without gaps. */
export async function loadMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const files: MigrationFile[] = [];
  for (const file of names) {
    const m = FILE_RE.exec(file);
    if (!m) throw new MigrationError('bad_file_name', `migration file name must look like 0001_name.sql: ${file}`);
    const sql = await readFile(join(dir, file), 'utf8');
    files.push({
      version: Number(m[1]),
      name: m[2]!,
      file,
      checksum: checksum(sql),
      sql,
      clusterOnly: CLUSTER_ONLY.test(sql),
    });
  }
  files.sort((a, b) => a.version - b.version);
  files.forEach((f, i) => {
    const prev = files[i - 1];
    if (prev && prev.version === f.version) {
      throw new MigrationError(
        'duplicate_version',
        `two migrations share version ${f.version}: ${prev.file}, ${f.file}`,
      );
    }
    if (f.version !== i + 1) {
      throw new MigrationError('gap', `migration numbering has a gap: expected version ${i + 1}, found ${f.file}`);
    }
  });
  return files;
}

/** Split a file into statements: `;` ends a statement outside quotes; `--` comment lines dropped. */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      cur += c;
      if (c === '\\') {
        cur += sql[++i] ?? '';
      } else if (c === quote) quote = null;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl - 1;
      continue;
    }
    if (c === "'" || c === '`' || c === '"') quote = c;
    if (c === ';') {
      if (cur.trim()) out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export interface RenderVars {
  cluster?: string | undefined;
  database: string;
  retentionDays: number;
}

function quoteString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Fill the placeholders for one target; unknown placeholders are an error. */
export function renderStatement(stmt: string, v: RenderVars): string {
  if (!Number.isInteger(v.retentionDays) || v.retentionDays <= 0)
    throw new Error(`retention days must be a positive integer, got ${v.retentionDays}`);
  const vars: Record<string, string> = {
    on_cluster: v.cluster ? `ON CLUSTER ${quoteString(v.cluster)}` : '',
    replicated: v.cluster ? 'Replicated' : '',
    cluster: v.cluster ? quoteString(v.cluster) : "''",
    database: quoteString(v.database),
    retention_days: String(v.retentionDays),
  };
  return stmt.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_, name: string) => {
    const val = vars[name];
    if (val === undefined) throw new Error(`unknown placeholder {{${name}}}`);
    return val;
  });
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

export async function migrate(ch: AureaClickHouse, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const log = opts.log ?? (() => undefined);
  const vars: RenderVars = {
    cluster: opts.cluster,
    database: ch.database,
    retentionDays: opts.retentionDays ?? DEFAULT_RETENTION_DAYS,
  };
  const files = await loadMigrations(opts.dir);
  const db = quoteIdent(ch.database);
  const run = async (query: string) => {
    // Server mode: the client's default database is set; embedded: the factory ran USE.
    await ch.client.command({
      query,
      ...(opts.cluster ? { clickhouse_settings: { distributed_ddl_task_timeout: '300' } } : {}),
    });
  };

  await run(
    renderStatement(
      `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations {{on_cluster}}
       (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
       ENGINE = {{replicated}}ReplacingMergeTree ORDER BY version`,
      vars,
    ),
  );
  const rs = await ch.client.query({
    query: `SELECT version, argMax(name, applied_at) AS name, argMax(checksum, applied_at) AS checksum
            FROM ${db}.schema_migrations GROUP BY version ORDER BY version`,
    format: 'JSONEachRow',
  });
  const applied = (await rs.json<{ version: number | string; name: string; checksum: string }>()).map(
    (r): AppliedRow => ({ version: Number(r.version), name: r.name, checksum: r.checksum }),
  );

  const byVersion = new Map(files.map((f) => [f.version, f]));
  applied.forEach((a, i) => {
    if (a.version !== i + 1)
      throw new MigrationError(
        'gap',
        `schema_migrations has a gap: version ${i + 1} is not recorded but ${a.version} is`,
      );
    const f = byVersion.get(a.version);
    if (!f)
      throw new MigrationError('missing', `migration ${a.version} (${a.name}) was applied but its file is missing`);
    if (f.checksum !== a.checksum) {
      throw new MigrationError(
        'edited',
        `migration ${f.file} was edited after it was applied (checksum ${f.checksum.slice(0, 12)} ≠ recorded ${a.checksum.slice(0, 12)}); add a new migration instead`,
      );
    }
  });

  const pending = files.filter((f) => f.version > applied.length);
  if (opts.dryRun) return { applied: [], current: applied.length, pending: pending.map((f) => f.version) };

  const done: number[] = [];
  for (const f of pending) {
    const statements = f.clusterOnly && !opts.cluster ? [] : splitStatements(f.sql);
    log('applying migration', { file: f.file, statements: statements.length, cluster: opts.cluster ?? null });
    for (const [i, stmt] of statements.entries()) {
      try {
        await run(renderStatement(stmt, vars));
      } catch (err) {
        throw new MigrationError(
          'statement_failed',
          `${f.file}: statement ${i + 1} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    await ch.client.insert({
      table: `${ch.database}.schema_migrations`,
      values: [{ version: f.version, name: f.name, checksum: f.checksum }],
      format: 'JSONEachRow',
    });
    done.push(f.version);
  }
  return { applied: done, current: files.length === 0 ? 0 : Math.max(applied.length, ...done), pending: [] };
}
