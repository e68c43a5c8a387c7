// CLI for the migration runner: `npx tsx clickhouse/src/migrate-cli.ts [--cluster <name>]
// [--retention-days <n>] [--dir <path>] [--dry-run]`. Target from the same env as every
// service (CLICKHOUSE_URL unset → embedded engine in CLICKHOUSE_DATA_DIR). Exits 0 when the
// schema is current, 1 on any failure (edited/missing files, gaps, a failing statement).
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { clickhouseEnv, clickhouseOptionsFromEnv, createClickHouse } from './client.js';
import { DEFAULT_RETENTION_DAYS, migrate } from './migrate.js';

// The clickhouse package depends on nothing of ours: one JSON line per message, like pino.
const log = {
  info: (fields: Record<string, unknown>, msg: string) =>
    console.log(JSON.stringify({ level: 'info', name: 'aurea-migrate', msg, ...fields })),
  error: (fields: { err: unknown }, msg: string) =>
    console.error(
      JSON.stringify({
        level: 'error',
        name: 'aurea-migrate',
        msg,
        err:
          fields.err instanceof Error
            ? { message: fields.err.message, code: (fields.err as { code?: string }).code }
            : String(fields.err),
      }),
    ),
};

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cluster: { type: 'string' },
      'retention-days': { type: 'string' },
      dir: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const parsed = z
    .object({
      ...clickhouseEnv,
      CLICKHOUSE_RETENTION_DAYS: z.coerce.number().int().min(1).default(DEFAULT_RETENTION_DAYS),
      CLICKHOUSE_CLUSTER: z.string().min(1).optional(),
    })
    .safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid configuration: ${z.prettifyError(parsed.error)}`);
  const cfg = parsed.data;
  const retentionDays = values['retention-days'] ? Number(values['retention-days']) : cfg.CLICKHOUSE_RETENTION_DAYS;
  const cluster = values.cluster ?? cfg.CLICKHOUSE_CLUSTER;
  const ch = await createClickHouse({ ...clickhouseOptionsFromEnv(cfg), createDatabase: true, cluster });
  try {
    const r = await migrate(ch, {
      cluster,
      retentionDays,
      dryRun: values['dry-run'],
      ...(values.dir ? { dir: values.dir } : {}),
      log: (msg, fields) => log.info(fields ?? {}, msg),
    });
    log.info(
      { ...r, mode: ch.mode, database: ch.database, cluster: cluster ?? null },
      values['dry-run'] ? 'dry run' : 'schema is current',
    );
    return 0;
  } finally {
    await ch.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.error({ err }, 'migration failed');
    process.exit(1);
  },
);
