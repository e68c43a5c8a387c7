// Standalone span bridge: `npx tsx services/span-bridge/src/main.ts` (config: env, see config.ts
// and docs/otlp-spans.md). SIGTERM/SIGINT: finish the batch in hand, commit, disconnect.
import { Shutdown, createLogger, parseConfig } from '@aurea/common';
import { loadPriceTable } from '@aurea/sdk/pricing';
import { startSpanBridge } from './bridge.js';
import { spanBridgeConfigSchema, spanBridgeOptionsFromEnv } from './config.js';

const cfg = parseConfig(spanBridgeConfigSchema);
const log = createLogger('aurea-span-bridge', cfg.LOG_LEVEL);
const shutdown = new Shutdown(log, cfg.SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS + 5_000);
shutdown.installSignalHandlers();

try {
  const priceTable = loadPriceTable(cfg.AUREA_PRICE_TABLE);
  log.info({ priceVersion: priceTable.version }, 'price table loaded');
  const bridge = await startSpanBridge({ ...spanBridgeOptionsFromEnv(cfg), logger: log, priceTable });
  shutdown.add('span bridge', () => bridge.stop());
} catch (err) {
  log.fatal({ err }, 'span bridge failed to start');
  await shutdown.run('startup failure');
  process.exit(1);
}
