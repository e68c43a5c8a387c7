// `npx tsx services/local/src/main.ts`: consumer + analytics API in one process on the
// embedded ClickHouse engine (data under CLICKHOUSE_DATA_DIR, default .aurea/data/clickhouse).
// SIGINT/SIGTERM: ordered shutdown, data kept; the next start resumes from the committed offsets.
import { createLogger } from '@aurea/common';
import { startLocal } from './local.js';

const logger = createLogger('aurea-local');
try {
  const local = await startLocal(process.env, logger);
  local.shutdown.installSignalHandlers();
} catch (err) {
  logger.fatal({ err }, 'aurea-local failed to start');
  process.exit(1);
}
