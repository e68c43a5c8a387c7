// Standalone consumer service: `npx tsx services/consumer/src/main.ts` (config: env, see
// config.ts and docs/consumer.md). In embedded mode it applies the migrations itself, since
// only one process may open the data directory. SIGTERM/SIGINT: graceful stop with a deadline.
import { metrics } from '@opentelemetry/api';
import { Shutdown, createLogger, parseConfig } from '@aurea/common';
import { clickhouseOptionsFromEnv, createClickHouse, migrate } from '@aurea/clickhouse';
import { consumerConfigSchema, consumerOptionsFromEnv } from './config.js';
import { startConsumer } from './consumer.js';

const cfg = parseConfig(consumerConfigSchema);
const log = createLogger('aurea-consumer', cfg.LOG_LEVEL);
const shutdown = new Shutdown(log, cfg.CONSUMER_SHUTDOWN_DEADLINE_MS + 5_000);
shutdown.installSignalHandlers();

try {
  const ch = await createClickHouse({ ...clickhouseOptionsFromEnv(cfg), createDatabase: cfg.CONSUMER_MIGRATE });
  if (cfg.CONSUMER_MIGRATE) {
    const r = await migrate(ch, { cluster: cfg.CLICKHOUSE_CLUSTER, retentionDays: cfg.CLICKHOUSE_RETENTION_DAYS });
    log.info(r, 'schema is current');
  }
  const consumer = await startConsumer({
    ...consumerOptionsFromEnv(cfg),
    ch,
    logger: log,
    // TODO(sdk): wire through `(await init({ serviceName: 'aurea-consumer', kafka: false })).meter` once @aurea/sdk lands.
    meter: metrics.getMeter('aurea-consumer'),
  });
  shutdown.add('consumer', () => consumer.stop()).add('clickhouse', () => ch.close());
} catch (err) {
  log.fatal({ err }, 'consumer failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
