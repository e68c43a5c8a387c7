// The reference orchestrator process: config → SDK → HTTP API; ordered shutdown on SIGINT/SIGTERM
// (stop intake → drain running jobs → flush the SDK's metrics and events).
import { Shutdown, createLogger } from '@aurea/common';
import { init } from '@aurea/sdk';
import { loadPriceTable } from '@aurea/sdk/pricing';
import { buildOrchestrator } from './app.js';
import { budgetOptions, loadConfig } from './config.js';

const config = loadConfig();
const logger = createLogger(config.AUREA_SERVICE_NAME, config.LOG_LEVEL);
const priceTable = loadPriceTable(config.AUREA_PRICE_TABLE);

const aurea = await init({
  serviceName: config.AUREA_SERVICE_NAME,
  environment: config.AUREA_ENV,
  otlp: config.AUREA_OTLP_ENABLED
    ? { endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, exportIntervalMs: config.AUREA_METRICS_EXPORT_INTERVAL_MS }
    : false,
  prometheus: { enabled: true },
  kafka: config.AUREA_KAFKA_ENABLED
    ? {
        brokers: config.KAFKA_BROKERS,
        clientId: config.KAFKA_CLIENT_ID ?? config.AUREA_SERVICE_NAME,
        ...(config.AUREA_KAFKA_TOPIC ? { topic: config.AUREA_KAFKA_TOPIC } : {}),
      }
    : false,
  priceTable,
  budgets: budgetOptions(config),
});

const { app, runner } = buildOrchestrator({ config, aurea, logger });
const shutdown = new Shutdown(logger, config.ORCH_SHUTDOWN_DEADLINE_MS + 7_000);
shutdown
  .add('stop accepting jobs, drain running ones', () => runner.drain(config.ORCH_SHUTDOWN_DEADLINE_MS))
  .add('close HTTP server', () => app.close())
  .add('flush SDK metrics and events', () => aurea.shutdown({ deadlineMs: 5_000 }));
shutdown.installSignalHandlers();

await app.listen({ host: config.ORCH_HOST, port: config.ORCH_PORT });
logger.info({ url: `http://${config.ORCH_HOST}:${config.ORCH_PORT}` }, 'orchestrator listening');
