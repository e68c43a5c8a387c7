// Consumer configuration from the environment (zod, through @aurea/common's parseConfig).
import { z } from 'zod';
import { commonEnv, env } from '@aurea/common';
import { clickhouseEnv } from '@aurea/clickhouse';
import { TOPICS } from '@aurea/events';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_BYTES_PER_PARTITION, type ConsumerOptions } from './consumer.js';

export const consumerEnv = {
  ...commonEnv,
  ...clickhouseEnv,
  CONSUMER_TOPIC: z.string().min(1).default(TOPICS.taskEvents),
  CONSUMER_DLQ_TOPIC: z.string().min(1).default(TOPICS.deadLetter),
  CONSUMER_GROUP_ID: z.string().min(1).default('aurea-consumer'),
  CONSUMER_MAX_INSERT_ROWS: env.int(20_000, 1),
  CONSUMER_MIN_BYTES: env.int(256 * 1024, 1),
  CONSUMER_MAX_WAIT_MS: env.int(200, 1),
  CONSUMER_MAX_BYTES_PER_PARTITION: env.int(DEFAULT_MAX_BYTES_PER_PARTITION, 1024),
  CONSUMER_MAX_BYTES: env.int(DEFAULT_MAX_BYTES, 1024),
  CONSUMER_PARTITIONS_CONCURRENTLY: env.int(2, 1),
  CONSUMER_RETRY_INITIAL_MS: env.int(200, 1),
  CONSUMER_RETRY_MAX_MS: env.int(10_000, 1),
  CONSUMER_SHUTDOWN_DEADLINE_MS: env.int(10_000, 100),
  CONSUMER_SESSION_TIMEOUT_MS: env.int(30_000, 6_000),
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
  return {
    kafka: { brokers: cfg.KAFKA_BROKERS, clientId: cfg.KAFKA_CLIENT_ID ?? 'aurea-consumer' },
    topic: cfg.CONSUMER_TOPIC,
    dlqTopic: cfg.CONSUMER_DLQ_TOPIC,
    groupId: cfg.CONSUMER_GROUP_ID,
    maxInsertRows: cfg.CONSUMER_MAX_INSERT_ROWS,
    minBytes: cfg.CONSUMER_MIN_BYTES,
    maxWaitMs: cfg.CONSUMER_MAX_WAIT_MS,
    maxBytesPerPartition: cfg.CONSUMER_MAX_BYTES_PER_PARTITION,
    maxBytes: cfg.CONSUMER_MAX_BYTES,
    partitionsConcurrently: cfg.CONSUMER_PARTITIONS_CONCURRENTLY,
    retryInitialMs: cfg.CONSUMER_RETRY_INITIAL_MS,
    retryMaxMs: cfg.CONSUMER_RETRY_MAX_MS,
    shutdownDeadlineMs: cfg.CONSUMER_SHUTDOWN_DEADLINE_MS,
    sessionTimeoutMs: cfg.CONSUMER_SESSION_TIMEOUT_MS,
  };
}
