// The main job's data plane in ONE process (the embedded ClickHouse engine allows one process
// per data directory): open ClickHouse, apply migrations, serve the analytics API, then start the
// Kafka consumer and the span bridge on the same client. Configuration: the consumer's and the
// API's own environment variables (their config modules), parsed once.
//
// The API listens before the consumer and span bridge start: joining a consumer group can take as
// long as the group's session timeout after a crash (the dead member holds its partitions until
// then), and the API must answer meanwhile. /health is 200 as soon as the process serves; /ready
// reflects ClickHouse, Kafka, the consumer (its own readiness: consuming, writes succeed, not
// stalled) and the span bridge (`starting` until it runs, `unavailable` while a start failed and is
// being retried).
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  apiConfigFromEnv,
  buildApp,
  createIngestPublisher,
  loadApiEnv,
  type PartReadiness,
} from '@aurea/analytics-api';
import { clickhouseOptionsFromEnv, createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { Shutdown, createLogger, env, parseConfig, type Logger } from '@aurea/common';
import { consumerEnv, consumerOptionsFromEnv, startConsumer, type ConsumerHandle } from '@aurea/consumer';
import { init, type Aurea } from '@aurea/sdk';
import { loadPriceTable } from '@aurea/sdk/pricing';
import {
  spanBridgeConfigSchema,
  spanBridgeOptionsFromEnv,
  spanMetricsFromEnv,
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
  /** Resolves when the consumer runs (undefined when the process stopped first). */
  consumer: Promise<ConsumerHandle | undefined>;
  /** Resolves when the span bridge runs; undefined when AUREA_LOCAL_SPAN_BRIDGE=false or stopped first. */
  spanBridge: Promise<SpanBridgeHandle | undefined>;
  aurea: Aurea;
  shutdown: Shutdown;
  /** Ordered stop: HTTP → span bridge → consumer (commit) → ingest publisher → metrics → ClickHouse. */
  stop(): Promise<void>;
}

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * A part started in the background after the API listens, its start retried (doubling from 1 s to
 * 30 s) until it runs or the process stops. A few lines rather than a retry library: the loop must
 * end on stop, stop a part whose start finishes after stop, and expose its state to /ready.
 */
class BackgroundPart<T extends { stop(): Promise<void> }> {
  private state: 'starting' | 'unavailable' = 'starting';
  private readonly abort = new AbortController();
  readonly started: Promise<T | undefined>;
  private handle: T | undefined;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    start: () => Promise<T>,
  ) {
    this.started = this.run(start);
  }

  private async run(start: () => Promise<T>): Promise<T | undefined> {
    let delay = RETRY_FIRST_MS;
    while (!this.abort.signal.aborted) {
      try {
        const h = await start();
        if (this.abort.signal.aborted) {
          await h.stop();
          return undefined;
        }
        this.handle = h;
        return h;
      } catch (err) {
        if (this.abort.signal.aborted) return undefined;
        this.state = 'unavailable';
        this.log.warn({ err, retryInMs: delay }, `${this.name} could not start; retrying`);
        await sleep(delay, undefined, { signal: this.abort.signal }).catch(() => undefined);
        delay = Math.min(delay * 2, RETRY_MAX_MS);
      }
    }
    return undefined;
  }

  /** `starting`, `unavailable`, or what `running` says of the running part (default: ok). */
  readiness(running: (h: T) => PartReadiness = () => ({ state: 'ok' })): PartReadiness {
    return this.handle ? running(this.handle) : { state: this.state };
  }

  async stop(): Promise<void> {
    this.abort.abort();
    const h = await this.started;
    await h?.stop();
  }
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
  const spanMetrics = local.AUREA_LOCAL_SPAN_BRIDGE ? spanMetricsFromEnv(bridgeCfg, log) : undefined;

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
  const publisher = createIngestPublisher({
    brokers: apiEnv.KAFKA_BROKERS,
    clientId: `${local.AUREA_LOCAL_SERVICE_NAME}-ingest`,
    topic: apiConfig.ingest.topic,
    logger: log,
  });

  // Started once the API listens (below); the readiness checks and shutdown steps read them then.
  const parts: { consumer?: BackgroundPart<ConsumerHandle>; spanBridge?: BackgroundPart<SpanBridgeHandle> } = {};
  const app = await buildApp({
    ch,
    config: apiConfig,
    logger: log.child({ component: 'analytics-api' }),
    publisher,
    aurea,
    budgetRefreshMs: apiEnv.BUDGET_REFRESH_MS,
    readiness: {
      consumer: () =>
        parts.consumer?.readiness((h) => {
          const r = h.readiness();
          return r.ready ? { state: 'ok' } : { state: 'not_ready', reason: r.reason };
        }) ?? { state: 'starting' },
      ...(local.AUREA_LOCAL_SPAN_BRIDGE
        ? { span_bridge: () => parts.spanBridge?.readiness() ?? { state: 'starting' } }
        : {}),
    },
  });

  shutdown
    .add('analytics API: stop accepting, drain requests', () => app.close())
    .add('span bridge: finish the cycle in hand, commit, disconnect', () => parts.spanBridge?.stop())
    .add('span-derived metrics', () => spanMetrics?.shutdown())
    .add('consumer: finish the cycle in hand, commit, disconnect', () => parts.consumer?.stop())
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
  log.info({ apiUrl, mode: ch.mode, auth: apiConfig.auth.mode }, 'analytics API listening; starting the consumer');

  const consumer = (parts.consumer = new BackgroundPart('consumer', log, () =>
    startConsumer({
      ...consumerOptionsFromEnv(consumerCfg),
      ch,
      logger: log.child({ component: 'consumer' }),
      meter: aurea.meter,
    }),
  ));
  const spanBridge = (parts.spanBridge = local.AUREA_LOCAL_SPAN_BRIDGE
    ? new BackgroundPart('span bridge', log, () =>
        startSpanBridge({
          ...spanBridgeOptionsFromEnv(bridgeCfg),
          logger: log.child({ component: 'span-bridge' }),
          priceTable: loadPriceTable(bridgeCfg.AUREA_PRICE_TABLE),
          ...(spanMetrics ? { metrics: spanMetrics } : {}),
        }),
      )
    : undefined);
  void consumer.started.then((h) => h && log.info('consumer running'));

  return {
    apiUrl,
    ch,
    consumer: consumer.started,
    spanBridge: spanBridge?.started ?? Promise.resolve(undefined),
    aurea,
    shutdown,
    stop: () => shutdown.run('stop'),
  };
}
