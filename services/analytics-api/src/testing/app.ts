// Test support: an ApiConfig with known keys (two of them limited to tenants), a publisher that
// records what the API hands to Kafka, a price table with known prices, and a silent logger.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@aurea/common';
import { apiKey } from '../auth.js';
import type { Budget } from '../budgets.js';
import type { ApiConfig } from '../config.js';
import { loadIngestPriceTable, type IngestPriceTable } from '@aurea/sdk/pricing/ingest';
import type { IngestPublisher, PublishableEvent } from '../publisher.js';

export const KEYS = {
  read: 'read-key-0123456789abcdef',
  ingest: 'ingest-key-0123456789abcdef',
  both: 'both-key-0123456789abcdef',
  metrics: 'metrics-key-0123456789abcdef',
  /** read + ingest, limited to tenant acme */
  acme: 'acme-key-0123456789abcdef',
  /** read, limited to tenants globex and "umbrella corp" */
  globex: 'globex-key-0123456789abcdef',
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
        apiKey('acme-team', KEYS.acme, ['read', 'ingest'], ['acme']),
        apiKey('globex-team', KEYS.globex, ['read'], ['globex', 'umbrella corp']),
      ],
    },
    metricsAuth: 'open',
    ingest: { topic: 'aurea.task-events.v1', maxEventsPerRequest: 100, bodyLimitBytes: 1024 * 1024 },
    budgets,
    docs: true,
    maxPageSize: 1000,
    cursorSecrets: [],
    ...overrides,
  };
}

export const silentLogger = () => createLogger('analytics-api-test', process.env.AUREA_TEST_LOG_LEVEL ?? 'silent');

/** Records every batch the API would publish (Kafka is tested in ingest.integration.test.ts). */
export class RecordingPublisher implements IngestPublisher {
  batches: PublishableEvent[][] = [];
  publish(events: readonly PublishableEvent[]): Promise<void> {
    this.batches.push([...events]);
    return Promise.resolve();
  }
  ready(): Promise<boolean> {
    return Promise.resolve(true);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A price file with one model at known prices (USD per 1M tokens), replacing the built-in
 * catalog: every other model is unknown to it. Tests compute expected costs from TEST_PRICE.
 */
export const TEST_PRICE = {
  provider: 'openai',
  model: 'test-model',
  /** nano-USD per token: $2 and $8 per 1M tokens */
  inputNanos: 2000n,
  outputNanos: 8000n,
  version: 'test-prices-1',
} as const;

export function testPriceTable(): IngestPriceTable {
  const file = join(mkdtempSync(join(tmpdir(), 'aurea-prices-')), 'prices.json');
  writeFileSync(
    file,
    JSON.stringify({
      version: TEST_PRICE.version,
      extends: false,
      models: [
        {
          provider: TEST_PRICE.provider,
          model: TEST_PRICE.model,
          effective_from: '2000-01-01',
          input: Number(TEST_PRICE.inputNanos) / 1000,
          output: Number(TEST_PRICE.outputNanos) / 1000,
        },
        // So dear that a large usage costs more than an event may carry (LIMITS.usdExclusiveMax).
        {
          provider: TEST_PRICE.provider,
          model: 'gold-model',
          effective_from: '2000-01-01',
          input: 1_000_000,
          output: 1,
        },
      ],
    }),
  );
  return loadIngestPriceTable(file);
}
