// Span bridge configuration from the environment (zod, through @aurea/common's parseConfig).
import { z } from 'zod';
import { commonEnv, env } from '@aurea/common';
import { TOPICS } from '@aurea/events';
import type { SpanBridgeOptions } from './bridge.js';

export const spanBridgeEnv = {
  ...commonEnv,
  SPAN_BRIDGE_INPUT_TOPIC: z.string().min(1).default(TOPICS.otlpSpans),
  SPAN_BRIDGE_OUTPUT_TOPIC: z.string().min(1).default(TOPICS.taskEvents),
  SPAN_BRIDGE_DLQ_TOPIC: z.string().min(1).default(TOPICS.deadLetter),
  SPAN_BRIDGE_GROUP_ID: z.string().min(1).default('aurea-span-bridge'),
  /** A new group starts at the oldest retained span (cost needs every span). */
  SPAN_BRIDGE_FROM_BEGINNING: env.bool(true),
  SPAN_BRIDGE_MAX_EVENTS_PER_PRODUCE: env.int(5000, 1),
  SPAN_BRIDGE_PARTITIONS_CONCURRENTLY: env.int(2, 1),
  SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS: env.int(10_000, 100),
  /** Price table JSON layered over the built-in one (same file the SDK and API read); empty: built-in. */
  AUREA_PRICE_TABLE: z.string().default(''),
  /** Standalone service only: /health, /ready, /metrics (port 0 disables the endpoint). */
  SPAN_BRIDGE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SPAN_BRIDGE_HTTP_PORT: env.port(9466),
};

export const spanBridgeConfigSchema = z.object(spanBridgeEnv);
export type SpanBridgeConfig = z.infer<typeof spanBridgeConfigSchema>;

export function spanBridgeOptionsFromEnv(cfg: SpanBridgeConfig): Omit<SpanBridgeOptions, 'logger' | 'priceTable'> {
  return {
    kafka: { brokers: cfg.KAFKA_BROKERS, clientId: cfg.KAFKA_CLIENT_ID ?? 'aurea-span-bridge' },
    groupId: cfg.SPAN_BRIDGE_GROUP_ID,
    inputTopic: cfg.SPAN_BRIDGE_INPUT_TOPIC,
    outputTopic: cfg.SPAN_BRIDGE_OUTPUT_TOPIC,
    dlqTopic: cfg.SPAN_BRIDGE_DLQ_TOPIC,
    fromBeginning: cfg.SPAN_BRIDGE_FROM_BEGINNING,
    maxEventsPerProduce: cfg.SPAN_BRIDGE_MAX_EVENTS_PER_PRODUCE,
    partitionsConcurrently: cfg.SPAN_BRIDGE_PARTITIONS_CONCURRENTLY,
    shutdownDeadlineMs: cfg.SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS,
  };
}
