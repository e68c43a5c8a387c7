// Standalone entry of the analytics API: env (zod) → ClickHouse client, Kafka publisher, SDK
// (budget gauges + /metrics) → fastify listening; ordered shutdown on SIGINT/SIGTERM: stop
// accepting requests and drain them, then close Kafka, flush metrics, close ClickHouse.
// The single-process main job does not use this file: it calls buildApp with the ClickHouse
// client it shares with the consumer.
import { init } from '@aurea/sdk';
import { clickhouseOptionsFromEnv, createClickHouse } from '@aurea/clickhouse';
import { Shutdown, createLogger } from '@aurea/common';
import { buildApp } from './app.js';
import { apiConfigFromEnv, loadApiEnv } from './config.js';
import { createIngestPublisher } from './publisher.js';

const env = loadApiEnv();
const logger = createLogger('aurea-analytics-api', env.LOG_LEVEL);
const config = apiConfigFromEnv(env);
const shutdown = new Shutdown(logger);
shutdown.installSignalHandlers();

const ch = await createClickHouse(clickhouseOptionsFromEnv(env));
const publisher = createIngestPublisher({
  brokers: env.KAFKA_BROKERS,
  clientId: env.KAFKA_CLIENT_ID,
  topic: config.ingest.topic,
  logger,
});
const aurea = env.METRICS_ENABLED
  ? await init({
      serviceName: 'aurea-analytics-api',
      environment: env.AUREA_ENV,
      kafka: false,
      prometheus: { enabled: true },
    })
  : undefined;

const app = await buildApp({ ch, config, logger, publisher, aurea, budgetRefreshMs: env.BUDGET_REFRESH_MS });
shutdown
  .add('http', () => app.close())
  .add('kafka', () => publisher.close())
  .add('metrics', () => aurea?.shutdown())
  .add('clickhouse', () => ch.close());

try {
  await app.listen({ host: env.HOST, port: env.PORT });
  logger.info(
    {
      auth: config.auth.mode,
      keys: config.auth.keys.map((k) => k.label),
      budgets: config.budgets.length,
      mode: ch.mode,
    },
    'analytics API ready',
  );
  if ((config.cursorSecrets ?? []).length === 0)
    logger.warn(
      'CURSOR_SECRET is not set: pagination cursors are signed with a random secret and stop working on restart ' +
        '(and across replicas); docs/api.md, "Cursors"',
    );
} catch (err) {
  logger.fatal({ err }, 'analytics API failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
