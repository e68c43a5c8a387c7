// Test support: an ApiConfig with known keys, and a silent logger.
import { createLogger } from '@aurea/common';
import { apiKey } from '../auth.js';
import type { Budget } from '../budgets.js';
import type { ApiConfig } from '../config.js';

export const KEYS = {
  read: 'read-key-0123456789abcdef',
  ingest: 'ingest-key-0123456789abcdef',
  both: 'both-key-0123456789abcdef',
  metrics: 'metrics-key-0123456789abcdef',
} as const;

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export function testConfig(overrides: Partial<ApiConfig> = {}, budgets: Budget[] = []): ApiConfig {
  return {
    auth: {
      mode: 'required',
      keys: [
        apiKey('reader', KEYS.read, ['read']),
        apiKey('ingester', KEYS.ingest, ['ingest']),
        apiKey('both', KEYS.both, ['read', 'ingest']),
        apiKey('scraper', KEYS.metrics, ['metrics']),
      ],
    },
    metricsAuth: 'open',
    ingest: { topic: 'aurea.task-events.v1', maxEventsPerRequest: 100, bodyLimitBytes: 1024 * 1024 },
    budgets,
    docs: true,
    maxPageSize: 1000,
    ...overrides,
  };
}

export const silentLogger = () =>
  createLogger('analytics-api-test', (process.env.AUREA_TEST_LOG_LEVEL) ?? 'silent');
