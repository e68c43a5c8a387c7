// Standalone consumer service: `npx tsx services/consumer/src/main.ts` (config: env, see
// config.ts and docs/consumer.md). In embedded mode it applies the migrations itself, since
// only one process may open the data directory. SIGTERM/SIGINT: graceful stop with a deadline.
import { init } from '@aurea/sdk';
import { Shutdown, createLogger, parseConfig } from '@aurea/common';
import { clickhouseOptionsFromEnv, createClickHouse, migrate } from '@aurea/clickhouse';
import { consumerConfigSchema, consumerOptionsFromEnv } from './config.js';
import { startConsumer } from './consumer.js';

const cfg = parseConfig(consumerConfigSchema);
const log = createLogger('aurea-consumer', cfg.LOG_LEVEL);
const shutdown = new Shutdown(log, cfg.CONSUMER_SHUTDOWN_DEADLINE_MS + 5_000);
shutdown.installSignalHandlers();

try {
  // The consumer's own metrics go out like every service's: through the SDK (OTLP to the Collector).
  const aurea = await init({ serviceName: 'aurea-consumer', kafka: false });
  const ch = await createClickHouse({ ...clickhouseOptionsFromEnv(cfg), createDatabase: cfg.CONSUMER_MIGRATE });
  if (cfg.CONSUMER_MIGRATE) {
    const r = await migrate(ch, { cluster: cfg.CLICKHOUSE_CLUSTER, retentionDays: cfg.CLICKHOUSE_RETENTION_DAYS });
    log.info(r, 'schema is current');
  }
  const consumer = await startConsumer({
    ...consumerOptionsFromEnv(cfg),
    ch,
    logger: log,
    meter: aurea.meter,
  });
  // Order: stop intake + flush + commit, close ClickHouse, then the final metric export.
  shutdown
    .add('consumer', () => consumer.stop())
    .add('clickhouse', () => ch.close())
    .add('metrics', () => aurea.shutdown());
} catch (err) {
  log.fatal({ err }, 'consumer failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
