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
  const client = createClient({
    // chdb types its connection against @clickhouse/client-common, which @clickhouse/client
    // 1.23 bundles as its own copy: structurally the same interface, nominally two types.
    connection: createChdbConnection({ path: opts.dataDir }) as unknown as NonNullable<ClientOptions['connection']>,
    clickhouse_settings: COMMON_SETTINGS,
  });
  // The embedded connection ignores the client's `database` option but keeps session state:
  // create the database and make it current, so unqualified table names work in both modes.
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdent(opts.database)}` });
  await client.command({ query: `USE ${quoteIdent(opts.database)}` });
  return { client, database: opts.database, mode: 'embedded', close: () => client.close() };
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
