// Consumer configuration from the environment (zod, through @aurea/common's parseConfig);
// docs/consumer.md lists every variable.
import { z } from 'zod';
import { commonEnv, env, kafkaConfigOf, kafkaEnv, priceTableEnv } from '@aurea/common';
import { loadIngestPriceTable, priceOnIngest } from '@aurea/sdk/pricing/ingest';
import { clickhouseEnv } from '@aurea/clickhouse';
import { TOPICS } from '@aurea/events';
import { DEFAULT_CYCLE_MS, DEFAULT_MAX_CYCLE_MESSAGES, type ConsumerOptions } from './consumer.js';

export const consumerEnv = {
  ...commonEnv,
  ...kafkaEnv,
  ...clickhouseEnv,
  ...priceTableEnv,
  CONSUMER_TOPIC: z.string().min(1).default(TOPICS.taskEvents),
  CONSUMER_DLQ_TOPIC: z.string().min(1).default(TOPICS.deadLetter),
  CONSUMER_GROUP_ID: z.string().min(1).default('aurea-consumer'),
  /** A fetch cycle is written when it holds this many messages … */
  CONSUMER_MAX_CYCLE_MESSAGES: env.int(DEFAULT_MAX_CYCLE_MESSAGES, 1),
  /** … or this many milliseconds after its first message. */
  CONSUMER_CYCLE_MS: env.int(DEFAULT_CYCLE_MS, 1),
  CONSUMER_MAX_WAIT_MS: env.int(100, 1),
  CONSUMER_MAX_BYTES: env.int(16 * 1024 * 1024, 1024),
  CONSUMER_RETRY_INITIAL_MS: env.int(200, 1),
  CONSUMER_RETRY_MAX_MS: env.int(10_000, 1),
  CONSUMER_SHUTDOWN_DEADLINE_MS: env.int(10_000, 100),
  /** Lag behind the high watermark with nothing written for this long: not ready. */
  CONSUMER_STALL_MS: env.int(30_000, 1_000),
  /** How often the brokers' high watermarks are read for lag (/ready, aurea.consumer.lag). */
  CONSUMER_LAG_INTERVAL_MS: env.int(5_000, 100),
  /** Unable to consume for this long: exit non-zero (the orchestrator restarts the process). */
  CONSUMER_GIVE_UP_MS: env.int(300_000, 1_000),
  /** Apply clickhouse/migrations at start (required in embedded mode: one process per data dir). */
  CONSUMER_MIGRATE: env.bool(true),
  CLICKHOUSE_RETENTION_DAYS: env.int(400, 1),
  CLICKHOUSE_CLUSTER: z.string().min(1).optional(),
  /** Standalone service only: /health, /ready and /metrics (port 0 disables the endpoint). */
  CONSUMER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  CONSUMER_HTTP_PORT: env.port(9465),
};

const schema = z.object(consumerEnv);
export type ConsumerConfig = z.infer<typeof schema>;
export const consumerConfigSchema = schema;

export function consumerOptionsFromEnv(cfg: ConsumerConfig): Omit<ConsumerOptions, 'ch' | 'logger' | 'meter'> {
  // Events from producers that do not price with Aurea's module are priced here, with the same
  // price file as the API (docs/consumer.md, "Whose figures are stored").
  const table = cfg.AUREA_PRICE_TABLE === '' ? undefined : loadIngestPriceTable(cfg.AUREA_PRICE_TABLE);
  return {
    accept: (e) => priceOnIngest(e, table),
    kafka: kafkaConfigOf('aurea-consumer', cfg),
    topic: cfg.CONSUMER_TOPIC,
    dlqTopic: cfg.CONSUMER_DLQ_TOPIC,
    groupId: cfg.CONSUMER_GROUP_ID,
    maxCycleMessages: cfg.CONSUMER_MAX_CYCLE_MESSAGES,
    cycleMs: cfg.CONSUMER_CYCLE_MS,
    maxWaitMs: cfg.CONSUMER_MAX_WAIT_MS,
    maxBytes: cfg.CONSUMER_MAX_BYTES,
    retryInitialMs: cfg.CONSUMER_RETRY_INITIAL_MS,
    retryMaxMs: cfg.CONSUMER_RETRY_MAX_MS,
    shutdownDeadlineMs: cfg.CONSUMER_SHUTDOWN_DEADLINE_MS,
    stallMs: cfg.CONSUMER_STALL_MS,
    lagIntervalMs: cfg.CONSUMER_LAG_INTERVAL_MS,
    giveUpMs: cfg.CONSUMER_GIVE_UP_MS,
  };
}
