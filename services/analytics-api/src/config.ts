// Configuration of the analytics API: environment (zod, parsed once at boot) → ApiConfig.
// buildApp takes an ApiConfig, so tests and the combined main job build one directly.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { clickhouseEnv } from '@aurea/clickhouse';
import { commonEnv, env, parseConfig, priceTableEnv } from '@aurea/common';
import { TOPICS } from '@aurea/events';
import { parseApiKeys, type ApiKey } from './auth.js';
import { parseBudgets, type Budget } from './budgets.js';
import { MIN_CURSOR_SECRET_LENGTH } from './cursor.js';
import { loadIngestPriceTable, type IngestPriceTable } from '@aurea/sdk/pricing/ingest';

export interface ApiConfig {
  auth: {
    /** `required`: every /v1 route needs a key with the route's scope. `disabled`: local demos only. */
    mode: 'required' | 'disabled';
    keys: ApiKey[];
  };
  /** Who may scrape /metrics: anyone, or keys with the `read` (or `metrics`) scope. */
  metricsAuth: 'open' | 'key';
  ingest: { topic: string; maxEventsPerRequest: number; bodyLimitBytes: number };
  budgets: Budget[];
  /** Serve the OpenAPI document and the docs page. */
  docs: boolean;
  /** Largest page a list endpoint returns. */
  maxPageSize: number;
  /** Secrets that sign pagination cursors: the first signs, all verify; none: a random one per process. */
  cursorSecrets?: readonly string[] | undefined;
  /** Price table for events priced on ingest (undefined: the built-in one). */
  priceTable?: IngestPriceTable | undefined;
  /**
   * Which proxies' X-Forwarded-For/-Proto/-Host to believe (fastify's trustProxy): none (false),
   * all (true), or these addresses/CIDRs. Sets the client address in logs and url.scheme on the
   * HTTP metrics behind a TLS-terminating proxy.
   */
  trustProxy?: boolean | string[] | undefined;
}

/** API_TRUST_PROXY: '' or false → none; true → all; else comma-separated addresses/CIDRs. */
export function parseTrustProxy(v: string): boolean | string[] {
  const t = v.trim();
  if (t === '' || t === 'false') return false;
  if (t === 'true') return true;
  return t
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export const apiEnvSchema = z.object({
  ...commonEnv,
  ...priceTableEnv,
  ...clickhouseEnv,
  HOST: z.string().default('127.0.0.1'),
  PORT: env.port(8080),
  /** `label:secret:scope+scope,label2:secret2:read` — scopes: read, ingest, metrics. */
  API_KEYS: z.string().default(''),
  /** A file with one `label:secret:scopes` per line (# comments allowed); added to API_KEYS. */
  API_KEYS_FILE: z.string().optional(),
  API_AUTH: z.enum(['required', 'disabled']).default('required'),
  METRICS_AUTH: z.enum(['open', 'key']).default('open'),
  API_DOCS: env.bool(true),
  INGEST_TOPIC: z.string().min(1).default(TOPICS.taskEvents),
  INGEST_MAX_EVENTS: env.int(1000, 1),
  INGEST_BODY_LIMIT_BYTES: env.int(5 * 1024 * 1024, 1024),
  MAX_PAGE_SIZE: env.int(1000, 1),
  BUDGETS_FILE: z.string().optional(),
  BUDGET_REFRESH_MS: env.int(30_000, 1000),
  METRICS_ENABLED: env.bool(true),
  /** Signs pagination cursors; every replica behind one address needs the same value. */
  CURSOR_SECRET: z.string().min(MIN_CURSOR_SECRET_LENGTH).optional(),
  /** The secret before the last rotation: cursors it signed stay valid while it is set. */
  CURSOR_SECRET_PREVIOUS: z.string().min(MIN_CURSOR_SECRET_LENGTH).optional(),
  /** Proxies whose X-Forwarded-* headers are believed: see parseTrustProxy. */
  API_TRUST_PROXY: z.string().default(''),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(source: NodeJS.ProcessEnv = process.env): ApiEnv {
  return parseConfig(apiEnvSchema, source);
}

export function apiConfigFromEnv(e: ApiEnv): ApiConfig {
  const keyText = [e.API_KEYS.split(',').join('\n'), e.API_KEYS_FILE ? readFileSync(e.API_KEYS_FILE, 'utf8') : ''].join(
    '\n',
  );
  const keys = parseApiKeys(keyText);
  if (e.API_AUTH === 'required' && keys.length === 0) {
    throw new Error(
      'API_AUTH=required but no API keys are configured (set API_KEYS or API_KEYS_FILE, or API_AUTH=disabled for a local demo)',
    );
  }
  if (e.CURSOR_SECRET_PREVIOUS !== undefined && e.CURSOR_SECRET === undefined)
    throw new Error(
      'CURSOR_SECRET_PREVIOUS is set without CURSOR_SECRET (the current secret signs; the previous one only verifies)',
    );
  return {
    auth: { mode: e.API_AUTH, keys },
    metricsAuth: e.METRICS_AUTH,
    ingest: {
      topic: e.INGEST_TOPIC,
      maxEventsPerRequest: e.INGEST_MAX_EVENTS,
      bodyLimitBytes: e.INGEST_BODY_LIMIT_BYTES,
    },
    budgets: e.BUDGETS_FILE ? parseBudgets(readFileSync(e.BUDGETS_FILE, 'utf8'), e.BUDGETS_FILE) : [],
    docs: e.API_DOCS,
    maxPageSize: e.MAX_PAGE_SIZE,
    cursorSecrets: [e.CURSOR_SECRET, e.CURSOR_SECRET_PREVIOUS].filter((x): x is string => x !== undefined),
    priceTable: e.AUREA_PRICE_TABLE === '' ? undefined : loadIngestPriceTable(e.AUREA_PRICE_TABLE),
    trustProxy: parseTrustProxy(e.API_TRUST_PROXY),
  };
}
