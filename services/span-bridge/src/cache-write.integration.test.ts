// Cache writes through the whole span path on the running stack: spans made by the OpenTelemetry
// JS tracing SDK, exported over OTLP/HTTP into the Collector, routed to Kafka
// (aurea.otlp-spans.v1), converted by the span bridge. A span that reports its cache writes under
// the GenAI conventions' current name (gen_ai.usage.cache_write.input_tokens) is priced with the
// model's cache-write price, exactly like one under the former name
// (gen_ai.usage.cache_creation.input_tokens) — never as plain input (docs/otlp-spans.md, "Usage").
//
// The spans topic is shared with the rest of the stack: this run's bridge group starts at the
// topic's current end and the assertions select this run's service.name.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { SpanKind, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger, kafkaConfigFromEnv } from '@aurea/common';
import { TOPICS, type TaskEventV1 } from '@aurea/events';
import { defaultPriceTable } from '@aurea/sdk/pricing';
import {
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
} from '@aurea/sdk/semconv';
import { startSpanBridge, type SpanBridgeHandle } from './bridge.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const COLLECTOR = process.env.OTEL_COLLECTOR_HTTP ?? 'http://127.0.0.1:4318';
const RUN = randomUUID().slice(0, 8);
const SERVICE = `cache-write-${RUN}`;
const OUT = `it.cache-write.events.${RUN}`;
const DLQ = `it.cache-write.dlq.${RUN}`;
const GROUP = `it-cache-write-${RUN}`;
const PROVIDER = 'anthropic';
const MODEL = 'claude-sonnet-4-20250514';

const kafka = new Kafka({ brokers: BROKERS, clientId: `cache-write-it-${RUN}`, logLevel: logLevel.NOTHING });
let admin: Admin;
let reader: Consumer;
let bridge: SpanBridgeHandle | undefined;
const events: TaskEventV1[] = [];

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: OUT }, { topic: DLQ }] });
  const ends = await admin.fetchTopicOffsets(TOPICS.otlpSpans);
  await admin.setOffsets({
    groupId: GROUP,
    topic: TOPICS.otlpSpans,
    partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
  });
  bridge = await startSpanBridge({
    kafka: {
      ...kafkaConfigFromEnv('cache-write-it'),
      brokers: BROKERS,
      groupInstanceId: GROUP,
      sessionTimeoutMs: 6000,
    },
    logger: createLogger('cache-write-it', process.env.LOG_LEVEL ?? 'error'),
    groupId: GROUP,
    outputTopic: OUT,
    dlqTopic: DLQ,
    fromBeginning: false,
  });
  const joinedBy = Date.now() + 60_000;
  while (!bridge.readiness().ready) {
    if (Date.now() > joinedBy) throw new Error('the span bridge did not join its group');
    await new Promise((r) => setTimeout(r, 200));
  }
  reader = kafka.consumer({ groupId: `${GROUP}-reader`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: OUT, fromBeginning: true });
  await reader.run({
    eachMessage: ({ message }) => {
      const e = JSON.parse(message.value!.toString()) as TaskEventV1;
      if (e.service === SERVICE) events.push(e);
      return Promise.resolve();
    },
  });
}, 120_000);

afterAll(async () => {
  await bridge?.stop();
  await reader?.disconnect();
  await admin.deleteTopics({ topics: [OUT, DLQ] }).catch(() => undefined);
  await admin.deleteGroups([GROUP, `${GROUP}-reader`]).catch(() => undefined);
  await admin.disconnect();
});

describe('cache writes on OTLP spans → Collector → Kafka → span bridge', () => {
  it('are priced with the cache-write price under the current and the former attribute name', async () => {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': SERVICE }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${COLLECTOR}/v1/traces` }) })],
    });
    const tracer = provider.getTracer('genai-instrumentation', '1.0.0');
    const at = Date.now();
    const usage = (cacheWriteKey: string): Attributes => ({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': PROVIDER,
      'gen_ai.request.model': MODEL,
      'gen_ai.usage.input_tokens': 10_000, // includes the cache writes (the conventions' totals)
      [cacheWriteKey]: 8_000,
      'gen_ai.usage.output_tokens': 500,
      'aurea.task.name': cacheWriteKey,
    });
    for (const key of [ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]) {
      tracer
        .startSpan(`chat ${MODEL}`, { kind: SpanKind.CLIENT, attributes: usage(key), startTime: at })
        .end(at + 1200);
    }
    await provider.forceFlush();
    await provider.shutdown();

    const until = Date.now() + 60_000;
    while (events.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(events).toHaveLength(2);

    // The expected figure, from the price-table entry in force (independently of the bridge).
    const price = defaultPriceTable.lookup(PROVIDER, MODEL, at);
    expect(price?.cache_write, `${MODEL} has a cache-write price apart from its input price`).toBeDefined();
    expect(price!.cache_write).not.toBe(price!.input);
    const cost = (2_000 * price!.input + 8_000 * price!.cache_write! + 500 * price!.output) / 1_000_000;
    for (const key of [ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS, ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]) {
      const e = events.find((x) => x.task_name === key);
      expect(e, key).toBeDefined();
      expect(e!.usage, key).toMatchObject({ input_tokens: 2_000, cache_write_tokens: 8_000, output_tokens: 500 });
      expect(e!.pricing_status, key).toBe('priced');
      expect(e!.cost_usd, key).toBeCloseTo(cost, 12);
    }
  });
});
