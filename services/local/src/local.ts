// The main job's data plane in ONE process (the embedded ClickHouse engine allows one process
// per data directory): open ClickHouse, apply migrations, start the Kafka consumer and the
// analytics API on the same client. Configuration: the consumer's and the API's own
// environment variables (their config modules), parsed once.
import type { AddressInfo } from 'node:net';
import { apiConfigFromEnv, buildApp, createKafkaPublisher, loadApiEnv } from '@aurea/analytics-api';
import { clickhouseOptionsFromEnv, createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { Shutdown, createLogger, env, parseConfig, type Logger } from '@aurea/common';
import { consumerEnv, consumerOptionsFromEnv, startConsumer, type ConsumerHandle } from '@aurea/consumer';
import { init, type Aurea } from '@aurea/sdk';
import { loadPriceTable } from '@aurea/sdk/pricing';
import {
  spanBridgeConfigSchema,
  spanBridgeOptionsFromEnv,
  startSpanBridge,
  type SpanBridgeHandle,
} from '@aurea/span-bridge';
import { z } from 'zod';

const localEnv = z.object({
  AUREA_LOCAL_SERVICE_NAME: z.string().min(1).default('aurea-local'),
  /** Push the consumer's and the API's own metrics to the Collector too. */
  AUREA_LOCAL_OTLP: env.bool(true),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().default('http://127.0.0.1:4318'),
  AUREA_LOCAL_SHUTDOWN_DEADLINE_MS: env.int(20_000, 100),
  /** Also turn OTLP GenAI spans (Collector → Kafka) into task events: services without the SDK. */
  AUREA_LOCAL_SPAN_BRIDGE: env.bool(true),
});

export interface LocalHandle {
  /** Base URL of the analytics API, e.g. http://127.0.0.1:8080 */
  apiUrl: string;
  ch: AureaClickHouse;
  consumer: ConsumerHandle;
  /** Null when AUREA_LOCAL_SPAN_BRIDGE=false. */
  spanBridge: SpanBridgeHandle | null;
  aurea: Aurea;
  shutdown: Shutdown;
  /** Ordered stop: HTTP → consumer (commit) → ingest publisher → metrics → ClickHouse. */
  stop(): Promise<void>;
}

export async function startLocal(source: NodeJS.ProcessEnv = process.env, logger?: Logger): Promise<LocalHandle> {
  // Parse every part's configuration up front so a bad variable fails before anything starts.
  const local = parseConfig(localEnv, source);
  const consumerCfg = parseConfig(z.object(consumerEnv), source);
  const apiEnv = loadApiEnv(source);
  const apiConfig = apiConfigFromEnv(apiEnv);
  const bridgeCfg = parseConfig(spanBridgeConfigSchema, source);
  const log = logger ?? createLogger(local.AUREA_LOCAL_SERVICE_NAME, apiEnv.LOG_LEVEL);
  const shutdown = new Shutdown(log, local.AUREA_LOCAL_SHUTDOWN_DEADLINE_MS);

  const ch = await createClickHouse({ ...clickhouseOptionsFromEnv(apiEnv), createDatabase: true });
  try {
    const m = await migrate(ch, {
      retentionDays: consumerCfg.CLICKHOUSE_RETENTION_DAYS,
      cluster: consumerCfg.CLICKHOUSE_CLUSTER,
    });
    log.info({ ...m, mode: ch.mode, database: ch.database }, 'schema is current');
  } catch (err) {
    await ch.close();
    throw err;
  }
  const aurea = await init({
    serviceName: local.AUREA_LOCAL_SERVICE_NAME,
    environment: apiEnv.AUREA_ENV,
    otlp: local.AUREA_LOCAL_OTLP ? { endpoint: local.OTEL_EXPORTER_OTLP_ENDPOINT } : false,
    kafka: false,
    prometheus: { enabled: true },
  });
  const consumer = await startConsumer({
    ...consumerOptionsFromEnv(consumerCfg),
    ch,
    logger: log.child({ component: 'consumer' }),
    meter: aurea.meter,
  });
  const spanBridge = local.AUREA_LOCAL_SPAN_BRIDGE
    ? await startSpanBridge({
        ...spanBridgeOptionsFromEnv(bridgeCfg),
        logger: log.child({ component: 'span-bridge' }),
        priceTable: loadPriceTable(bridgeCfg.AUREA_PRICE_TABLE),
      })
    : null;
  const publisher = createKafkaPublisher({
    brokers: apiEnv.KAFKA_BROKERS,
    clientId: `${local.AUREA_LOCAL_SERVICE_NAME}-ingest`,
    topic: apiConfig.ingest.topic,
    logger: log,
  });
  const app = await buildApp({
    ch,
    config: apiConfig,
    logger: log.child({ component: 'analytics-api' }),
    publisher,
    aurea,
    budgetRefreshMs: apiEnv.BUDGET_REFRESH_MS,
  });

  shutdown
    .add('analytics API: stop accepting, drain requests', () => app.close())
    .add('span bridge: finish the batch in hand, commit, disconnect', () => spanBridge?.stop())
    .add('consumer: finish the batch in hand, commit, disconnect', () => consumer.stop())
    .add('ingest publisher', () => publisher.close())
    .add('metrics', () => aurea.shutdown({ deadlineMs: 3000 }))
    .add('clickhouse', () => ch.close());

  try {
    await app.listen({ host: apiEnv.HOST, port: apiEnv.PORT });
  } catch (err) {
    await shutdown.run('startup failure');
    throw err;
  }
  const addr = app.server.address() as AddressInfo;
  const apiUrl = `http://${apiEnv.HOST}:${addr.port}`;
  log.info({ apiUrl, mode: ch.mode, auth: apiConfig.auth.mode }, 'consumer and analytics API running');
  return { apiUrl, ch, consumer, spanBridge, aurea, shutdown, stop: () => shutdown.run('stop') };
}
