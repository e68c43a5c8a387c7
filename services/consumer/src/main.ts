// Standalone consumer service: `npx tsx services/consumer/src/main.ts` (config: env, see
// config.ts and docs/consumer.md). In embedded mode it applies the migrations itself, since
// only one process may open the data directory. SIGTERM/SIGINT: graceful stop with a deadline.
import { init, type Aurea } from '@aurea/sdk';
import { Shutdown, createLogger, parseConfig, serveProbes, type ProbeServer } from '@aurea/common';
import { clickhouseOptionsFromEnv, createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { consumerConfigSchema, consumerOptionsFromEnv } from './config.js';
import { startConsumer, type ConsumerHandle } from './consumer.js';

const cfg = parseConfig(consumerConfigSchema);
const log = createLogger('aurea-consumer', cfg.LOG_LEVEL);
const shutdown = new Shutdown(log, cfg.CONSUMER_SHUTDOWN_DEADLINE_MS + 5_000);
shutdown.installSignalHandlers();

// Resources are registered for shutdown before they exist, in stop order (stop serving, stop
// intake + flush + commit, close ClickHouse, final metric export), so a signal or a failure during
// start-up still closes whatever was opened.
let probes: ProbeServer | undefined;
let consumer: ConsumerHandle | undefined;
let ch: AureaClickHouse | undefined;
let aurea: Aurea | undefined;
shutdown
  .add('http', () => probes?.close())
  .add('consumer', () => consumer?.stop())
  .add('clickhouse', () => ch?.close())
  .add('metrics', () => aurea?.shutdown());

try {
  // The consumer's own metrics go out like every service's: through the SDK (OTLP to the Collector).
  aurea = await init({ serviceName: 'aurea-consumer', kafka: false, prometheus: { enabled: true } });
  ch = await createClickHouse({ ...clickhouseOptionsFromEnv(cfg), createDatabase: cfg.CONSUMER_MIGRATE });
  if (cfg.CONSUMER_MIGRATE) {
    const r = await migrate(ch, { cluster: cfg.CLICKHOUSE_CLUSTER, retentionDays: cfg.CLICKHOUSE_RETENTION_DAYS });
    log.info(r, 'schema is current');
  }
  consumer = await startConsumer({
    ...consumerOptionsFromEnv(cfg),
    ch,
    logger: log,
    meter: aurea.meter,
    // Unable to consume for CONSUMER_GIVE_UP_MS: exit non-zero so the orchestrator restarts it.
    onFatal: () => void shutdown.run('consumer gave up').then(() => process.exit(1)),
  });
  // /ready = the consumer is consuming, its writes succeed, no partition is stalled behind its
  // high watermark (consumer.readiness), and ClickHouse answers.
  const live = { ch, consumer };
  probes = await serveProbes({
    host: cfg.CONSUMER_HTTP_HOST,
    port: cfg.CONSUMER_HTTP_PORT,
    metrics: aurea.metricsHandler,
    ready: async () => {
      const r = live.consumer.readiness();
      if (!r.ready) return { ready: false, reason: r.reason ?? 'not ready' };
      const ping = await live.ch.client.ping();
      return ping.success
        ? { ready: true, lag: live.consumer.stats().lag }
        : { ready: false, reason: 'ClickHouse ping failed' };
    },
  });
  if (probes.server)
    log.info({ host: cfg.CONSUMER_HTTP_HOST, port: cfg.CONSUMER_HTTP_PORT }, 'health and metrics endpoint listening');
} catch (err) {
  log.fatal({ err }, 'consumer failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
