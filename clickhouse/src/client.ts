// The one place that creates a ClickHouse client. CLICKHOUSE_URL set → a real server over
// HTTP; unset → the embedded engine (chdb) in a data directory. Nothing else knows which.
// The embedded engine allows one process per data directory: create one client per process
// and share it (consumer + analytics API run in one process in embedded mode).
import { createClient, type ClickHouseClient } from '@clickhouse/client';

type ClientOptions = NonNullable<Parameters<typeof createClient>[0]>;
import { z } from 'zod';

export type { ClickHouseClient };

export const clickhouseEnv = {
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
    .default('aurea'),
  CLICKHOUSE_DATA_DIR: z.string().min(1).default('.aurea/data/clickhouse'),
  CLICKHOUSE_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
};

/**
 * Settings applied in both modes so results look the same whichever engine answers:
 * 64-bit integers and decimals arrive as strings (exact; money is never a float on the wire).
 */
export const COMMON_SETTINGS = {
  date_time_input_format: 'best_effort',
  output_format_json_quote_64bit_integers: 1,
  output_format_json_quote_decimals: 1,
} as const;

export interface ClickHouseOptions {
  url?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  database: string;
  dataDir: string;
  requestTimeoutMs?: number;
  /** Create the database if missing (the embedded engine always does; servers only when asked, e.g. by migrations). */
  createDatabase?: boolean;
  /** With createDatabase on a server: create it on every node of this cluster (ON CLUSTER). */
  cluster?: string | undefined;
}

export interface AureaClickHouse {
  client: ClickHouseClient;
  database: string;
  mode: 'server' | 'embedded';
  close(): Promise<void>;
}

export async function createClickHouse(opts: ClickHouseOptions): Promise<AureaClickHouse> {
  if (opts.url) {
    if (opts.createDatabase) {
      const admin = createClient({ url: opts.url, username: opts.user ?? 'default', password: opts.password ?? '' });
      try {
        const onCluster = opts.cluster ? ` ON CLUSTER ${quoteIdent(opts.cluster)}` : '';
        await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)}${onCluster}` });
      } finally {
        await admin.close();
      }
    }
    const client = createClient({
      url: opts.url,
      username: opts.user ?? 'default',
      password: opts.password ?? '',
      database: opts.database,
      request_timeout: opts.requestTimeoutMs ?? 30_000,
      clickhouse_settings: COMMON_SETTINGS,
    });
    return { client, database: opts.database, mode: 'server', close: () => client.close() };
  }
  // chdb is a large native addon: load it only in embedded mode.
  const { createChdbConnection } = await import('chdb/connection');
  // chdb types its connection against @clickhouse/client-common, which @clickhouse/client 1.23
  // bundles as its own copy: structurally the same interface, nominally two types.
  const raw = createChdbConnection({ path: opts.dataDir }) as unknown as EmbeddedConnection;
  // No client-wide clickhouse_settings here: the embedded connection would prepend every one of
  // them as a `SET …;` statement to every request, and SETs persist in the session (see
  // statementSettings). The defaults are SET once for the session instead.
  const client = createClient({ connection: statementSettings(raw) });
  // The embedded connection ignores the client's `database` option but keeps session state:
  // create the database and make it current, so unqualified table names work in both modes.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)}` });
  await client.command({ query: `USE ${quoteIdent(opts.database)}` });
  await client.command({ query: `SET ${settingsList(COMMON_SETTINGS)}` });
  return { client, database: opts.database, mode: 'embedded', close: () => client.close() };
}

type EmbeddedConnection = NonNullable<ClientOptions['connection']>;
type Settings = Record<string, unknown>;

/** `a = 1, b = 'x'` (names checked, strings quoted as ClickHouse literals). */
export function settingsList(settings: Settings): string {
  return Object.entries(settings)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid setting name: ${JSON.stringify(k)}`);
      const value =
        typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? '1' : '0') : quoteString(String(v));
      return `${k} = ${value}`;
    })
    .join(', ');
}

const quoteString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Settings the HTTP interface takes but an in-process engine has no use for (the client sends some itself). */
const HTTP_ONLY = new Set(['wait_end_of_query', 'send_progress_in_http_headers', 'http_headers_progress_interval_ms']);

/**
 * The query with its settings as a SETTINGS clause (before a trailing FORMAT clause): one
 * statement whose settings last for that statement only.
 */
export function withSettingsClause(query: string, settings: Settings | undefined): string {
  const own = Object.fromEntries(Object.entries(settings ?? {}).filter(([k]) => !HTTP_ONLY.has(k)));
  if (Object.keys(own).length === 0) return query;
  const clause = `SETTINGS ${settingsList(own)}`;
  const m = /\s+FORMAT\s+\w+\s*$/i.exec(query);
  return m ? `${query.slice(0, m.index)} ${clause}${m[0]}` : `${query} ${clause}`;
}

/**
 * The embedded connection, with every request's clickhouse_settings sent as the statement's own
 * SETTINGS clause. The chdb adapter would send them as `SET …;` statements ahead of the query:
 * those cost as much per row of an insert as parsing the JSON, and they persist for the whole
 * session — after one insert with an insert_deduplication_token, later inserts without one were
 * silently dropped, and two concurrent requests could change each other's settings
 * (docs/clickhouse.md, "Embedded engine").
 */
function statementSettings(c: EmbeddedConnection): EmbeddedConnection {
  const move = <P extends { query: string; clickhouse_settings?: Settings }>(p: P): P => ({
    ...p,
    query: withSettingsClause(p.query, p.clickhouse_settings),
    clickhouse_settings: {},
  });
  return {
    ping: (p) => c.ping(p),
    query: (p) => c.query(move(p)),
    insert: (p) => c.insert(move(p)),
    command: (p) => c.command(move(p)),
    exec: (p) => c.exec(move(p)),
    close: () => c.close(),
  };
}

export function clickhouseOptionsFromEnv(cfg: {
  CLICKHOUSE_URL?: string | undefined;
  CLICKHOUSE_USER?: string | undefined;
  CLICKHOUSE_PASSWORD?: string | undefined;
  CLICKHOUSE_DATABASE: string;
  CLICKHOUSE_DATA_DIR: string;
  CLICKHOUSE_REQUEST_TIMEOUT_MS: number;
}): ClickHouseOptions {
  return {
    url: cfg.CLICKHOUSE_URL,
    user: cfg.CLICKHOUSE_USER,
    password: cfg.CLICKHOUSE_PASSWORD,
    database: cfg.CLICKHOUSE_DATABASE,
    dataDir: cfg.CLICKHOUSE_DATA_DIR,
    requestTimeoutMs: cfg.CLICKHOUSE_REQUEST_TIMEOUT_MS,
  };
}

/** Database names come from validated config (identifier regex); quote them anyway. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier: ${name}`);
  return `\`${name}\``;
}
