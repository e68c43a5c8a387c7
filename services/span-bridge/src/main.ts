// Standalone span bridge: `node --import tsx services/span-bridge/src/main.ts` (config: env, see
// config.ts and docs/otlp-spans.md). SIGTERM/SIGINT: finish the cycle in hand, commit, disconnect.
// /health, /ready (consuming, producing, not stalled) and /metrics on SPAN_BRIDGE_HTTP_HOST:PORT.
import { Shutdown, createLogger, parseConfig, serveProbes, type ProbeServer } from '@aurea/common';
import { init, type Aurea } from '@aurea/sdk';
import { loadPriceTable } from '@aurea/sdk/pricing';
import { startSpanBridge, type SpanBridgeHandle } from './bridge.js';
import { spanBridgeConfigSchema, spanBridgeOptionsFromEnv, spanMetricsFromEnv } from './config.js';

const cfg = parseConfig(spanBridgeConfigSchema);
const log = createLogger('aurea-span-bridge', cfg.LOG_LEVEL);
const shutdown = new Shutdown(log, cfg.SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS + 5_000);
shutdown.installSignalHandlers();

// Registered before start-up, in stop order, so a signal or failure mid-start still closes what opened.
let probes: ProbeServer | undefined;
let bridge: SpanBridgeHandle | undefined;
let aurea: Aurea | undefined;
const spanMetrics = spanMetricsFromEnv(cfg, log);
shutdown
  .add('http', () => probes?.close())
  .add('span bridge', () => bridge?.stop())
  .add('span-derived metrics', () => spanMetrics?.shutdown())
  .add('metrics', () => aurea?.shutdown());

try {
  aurea = await init({ serviceName: 'aurea-span-bridge', kafka: false, prometheus: { enabled: true } });
  const priceTable = loadPriceTable(cfg.AUREA_PRICE_TABLE);
  log.info({ priceVersion: priceTable.version }, 'price table loaded');
  const started = await startSpanBridge({
    ...spanBridgeOptionsFromEnv(cfg),
    logger: log,
    priceTable,
    ...(spanMetrics ? { metrics: spanMetrics } : {}),
    // Unable to consume for SPAN_BRIDGE_GIVE_UP_MS: exit non-zero so the orchestrator restarts it.
    onFatal: () => void shutdown.run('span bridge gave up').then(() => process.exit(1)),
  });
  bridge = started;
  probes = await serveProbes({
    host: cfg.SPAN_BRIDGE_HTTP_HOST,
    port: cfg.SPAN_BRIDGE_HTTP_PORT,
    metrics: aurea.metricsHandler,
    ready: () => {
      const r = started.readiness();
      return Promise.resolve(r.ready ? { ready: true, lag: started.stats().lag } : r);
    },
  });
} catch (err) {
  log.fatal({ err }, 'span bridge failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
