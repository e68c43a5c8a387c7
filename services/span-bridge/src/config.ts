// Span bridge configuration from the environment (zod, through @aurea/common's parseConfig).
import { z } from 'zod';
import { commonEnv, env, kafkaConfigOf, kafkaEnv, priceTableEnv } from '@aurea/common';
import { TOPICS } from '@aurea/events';
import type { Logger } from 'pino';
import type { SpanBridgeOptions } from './bridge.js';
import { SpanMetrics } from './metrics.js';

export const spanBridgeEnv = {
  ...commonEnv,
  ...kafkaEnv,
  ...priceTableEnv,
  SPAN_BRIDGE_INPUT_TOPIC: z.string().min(1).default(TOPICS.otlpSpans),
  SPAN_BRIDGE_OUTPUT_TOPIC: z.string().min(1).default(TOPICS.taskEvents),
  SPAN_BRIDGE_DLQ_TOPIC: z.string().min(1).default(TOPICS.deadLetter),
  SPAN_BRIDGE_GROUP_ID: z.string().min(1).default('aurea-span-bridge'),
  /** A new group starts at the oldest retained span (cost needs every span). */
  SPAN_BRIDGE_FROM_BEGINNING: env.bool(true),
  SPAN_BRIDGE_MAX_EVENTS_PER_PRODUCE: env.int(5000, 1),
  /** A cycle is produced when it holds this many Kafka messages … */
  SPAN_BRIDGE_MAX_CYCLE_MESSAGES: env.int(200, 1),
  /** … or this many milliseconds after its first message. */
  SPAN_BRIDGE_CYCLE_MS: env.int(100, 1),
  SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS: env.int(10_000, 100),
  /** Unable to consume for this long: exit non-zero (the orchestrator restarts the process). */
  SPAN_BRIDGE_GIVE_UP_MS: env.int(300_000, 1_000),
  /** Record the SDK's task metrics for every span-derived event, per originating service. */
  SPAN_BRIDGE_METRICS: env.bool(true),
  SPAN_BRIDGE_METRICS_INTERVAL_MS: env.int(10_000, 100),
  /** Originating (service, environment) pairs with their own metrics; more share one. */
  SPAN_BRIDGE_METRICS_MAX_SERVICES: env.int(200, 1),
  /** Also record gen_ai.client.* for span-derived events (off: the services' instrumentations emit them). */
  SPAN_BRIDGE_GENAI_CLIENT_METRICS: env.bool(false),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().default('http://127.0.0.1:4318'),
  /** Standalone service only: /health, /ready, /metrics (port 0 disables the endpoint). */
  SPAN_BRIDGE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  SPAN_BRIDGE_HTTP_PORT: env.port(9466),
};

export const spanBridgeConfigSchema = z.object(spanBridgeEnv);
export type SpanBridgeConfig = z.infer<typeof spanBridgeConfigSchema>;

export function spanBridgeOptionsFromEnv(cfg: SpanBridgeConfig): Omit<SpanBridgeOptions, 'logger' | 'priceTable'> {
  return {
    kafka: kafkaConfigOf('aurea-span-bridge', cfg),
    groupId: cfg.SPAN_BRIDGE_GROUP_ID,
    inputTopic: cfg.SPAN_BRIDGE_INPUT_TOPIC,
    outputTopic: cfg.SPAN_BRIDGE_OUTPUT_TOPIC,
    dlqTopic: cfg.SPAN_BRIDGE_DLQ_TOPIC,
    fromBeginning: cfg.SPAN_BRIDGE_FROM_BEGINNING,
    maxEventsPerProduce: cfg.SPAN_BRIDGE_MAX_EVENTS_PER_PRODUCE,
    maxCycleMessages: cfg.SPAN_BRIDGE_MAX_CYCLE_MESSAGES,
    cycleMs: cfg.SPAN_BRIDGE_CYCLE_MS,
    shutdownDeadlineMs: cfg.SPAN_BRIDGE_SHUTDOWN_DEADLINE_MS,
    giveUpMs: cfg.SPAN_BRIDGE_GIVE_UP_MS,
  };
}

/** The per-service metrics of span-derived events (SPAN_BRIDGE_METRICS), or none. */
export function spanMetricsFromEnv(cfg: SpanBridgeConfig, logger: Logger): SpanMetrics | undefined {
  if (!cfg.SPAN_BRIDGE_METRICS) return undefined;
  return new SpanMetrics({
    endpoint: cfg.OTEL_EXPORTER_OTLP_ENDPOINT,
    exportIntervalMs: cfg.SPAN_BRIDGE_METRICS_INTERVAL_MS,
    maxServices: cfg.SPAN_BRIDGE_METRICS_MAX_SERVICES,
    genAiClient: cfg.SPAN_BRIDGE_GENAI_CLIENT_METRICS,
    logger,
  });
}
