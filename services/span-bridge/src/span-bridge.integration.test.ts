// End to end on the running stack: spans made by the OpenTelemetry JS tracing SDK, exported by
// its OTLP/HTTP protobuf exporter — configured only through the standard OTEL_* environment
// variables — into the built Collector, which routes the GenAI spans to Kafka
// (aurea.otlp-spans.v1); the span bridge turns them into task events on a private topic; the
// real consumer writes them to an embedded ClickHouse; the analytics API reads the job back.
//
// The spans topic is shared with everything else on the stack, so the bridge's group starts at
// the topic's current end, and assertions select this run's unique service.name / job id.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Admin, type Consumer, type IHeaders } from 'kafkajs';
import { SpanKind, SpanStatusCode, ROOT_CONTEXT, trace, type Attributes } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import type { FastifyInstance } from 'fastify';
import { buildApp, type ApiConfig } from '@aurea/analytics-api';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { createLogger, kafkaConfigFromEnv } from '@aurea/common';
import { startConsumer, type ConsumerHandle } from '@aurea/consumer';
import { DLQ_HEADERS, TOPICS, deterministicEventId, type TaskEventV1 } from '@aurea/events';
import { defaultPriceTable, type PriceEntry } from '@aurea/sdk/pricing';
import { startSpanBridge, type SpanBridgeHandle } from './bridge.js';
import { SpanMetrics } from './metrics.js';
import { decodeTraceRequest } from './otlp-proto.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const COLLECTOR = process.env.OTEL_COLLECTOR_HTTP ?? 'http://127.0.0.1:4318';
const RUN = randomUUID().slice(0, 8);
const SERVICE = `otel-only-${RUN}`;
const JOB = `otlp-job-${RUN}`;
const OUT = `it.span-bridge.events.${RUN}`;
const DLQ = `it.span-bridge.dlq.${RUN}`;
const DLQ2 = `it.span-bridge.dlq2.${RUN}`;
const CONSUMER_DLQ = `it.span-bridge.consumer-dlq.${RUN}`;
const PRIVATE_IN = `it.span-bridge.spans.${RUN}`;
const PRIVATE_OUT = `it.span-bridge.events2.${RUN}`;
const M = 1_000_000;
const PROMETHEUS = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';

/** A PromQL instant query's result. */
async function prom(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const u = new URL('/api/v1/query', PROMETHEUS);
  u.searchParams.set('query', query);
  const body = (await (await fetch(u)).json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  if (body.status !== 'success') throw new Error(`query failed: ${query}`);
  return body.data.result;
}

/** "1.234000000" → 1234000000n (nano-dollars). */
const decimalNanos = (s: string): bigint => {
  const [int, frac = ''] = s.split('.');
  return BigInt(int!) * 1_000_000_000n + BigInt(frac.padEnd(9, '0').slice(0, 9));
};

const log = createLogger('span-bridge-it', process.env.LOG_LEVEL ?? 'error');
const kafka = new Kafka({ brokers: BROKERS, clientId: 'span-bridge-it', logLevel: logLevel.NOTHING });
/** The services' Kafka settings for one client of this run (its own static member id). */
const kafkaFor = (clientId: string) => ({
  ...kafkaConfigFromEnv(clientId),
  brokers: BROKERS,
  groupInstanceId: `${clientId}-${RUN}`,
  sessionTimeoutMs: 6_000,
});
let admin: Admin;
let bridge: SpanBridgeHandle | undefined;
/** The span-derived metrics of this run, exported to the shared Collector → Prometheus every second. */
const spanMetrics = new SpanMetrics({ endpoint: COLLECTOR, exportIntervalMs: 1000, logger: log });
let consumer: ConsumerHandle | undefined;
let ch: AureaClickHouse | undefined;
let app: FastifyInstance | undefined;
let dataDir: string;
const readers: Consumer[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

interface Received {
  event: TaskEventV1;
  key: string;
  partition: number;
}

/** Collect every message of a topic from its start. */
async function readAll(
  topic: string,
  into: { value: Buffer; key: string; headers: IHeaders; partition: number }[],
): Promise<void> {
  const c = kafka.consumer({ groupId: `it-reader-${RUN}-${topic}`, maxWaitTimeInMs: 100 });
  readers.push(c);
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    eachMessage: ({ message, partition }) => {
      into.push({
        value: message.value ?? Buffer.alloc(0),
        key: message.key?.toString() ?? '',
        headers: message.headers ?? {},
        partition,
      });
      return Promise.resolve();
    },
  });
}

async function waitFor<T>(
  what: string,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const hrMs = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

/** Expected cost from the price-table entry in force, computed here independently of the bridge. */
function expectedCost(
  provider: string,
  model: string,
  atMs: number,
  u: { input: number; output: number; cacheRead?: number; cacheWrite?: number; reasoning?: number },
) {
  const e: PriceEntry | null = defaultPriceTable.lookup(provider, model, atMs);
  if (e === null)
    throw new Error(`the default price table no longer knows ${provider}/${model}: pick another model for this test`);
  return (
    (u.input * e.input +
      u.output * e.output +
      (u.cacheRead ?? 0) * (e.cache_read ?? e.input) +
      (u.cacheWrite ?? 0) * (e.cache_write ?? e.input) +
      (u.reasoning ?? 0) * (e.reasoning ?? e.output)) /
    M
  );
}

const raw: { value: Buffer; key: string; headers: IHeaders; partition: number }[] = [];
const ours = (): Received[] =>
  raw
    .map((m) => ({ event: JSON.parse(m.value.toString()) as TaskEventV1, key: m.key, partition: m.partition }))
    .filter((r) => r.event.service === SERVICE);

beforeAll(async () => {
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: OUT, numPartitions: 3 },
      { topic: DLQ, numPartitions: 1 },
      { topic: DLQ2, numPartitions: 1 },
      { topic: CONSUMER_DLQ, numPartitions: 1 },
      { topic: PRIVATE_IN, numPartitions: 2 },
      { topic: PRIVATE_OUT, numPartitions: 1 },
    ],
  });
  cleanups.push(() =>
    admin.deleteTopics({ topics: [OUT, DLQ, DLQ2, CONSUMER_DLQ, PRIVATE_IN, PRIVATE_OUT] }).catch(() => undefined),
  );

  // The shared spans topic: this run's bridge group starts at its current end.
  const groupId = `it-span-bridge-${RUN}`;
  const ends = await admin.fetchTopicOffsets(TOPICS.otlpSpans);
  await admin.setOffsets({
    groupId,
    topic: TOPICS.otlpSpans,
    partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
  });
  cleanups.push(() => admin.deleteGroups([groupId]).catch(() => undefined));

  // The one ClickHouse writer and the API over it.
  dataDir = mkdtempSync(join(tmpdir(), 'aurea-span-bridge-it-'));
  ch = await createClickHouse({ database: `span_bridge_${RUN}`, dataDir });
  await migrate(ch, {});
  consumer = await startConsumer({
    ch,
    kafka: kafkaFor('span-bridge-it-consumer'),
    topic: OUT,
    dlqTopic: CONSUMER_DLQ,
    groupId: `it-consumer-${RUN}`,
    logger: log,
    maxWaitMs: 100,
    cycleMs: 100,
  });
  const config: ApiConfig = {
    auth: { mode: 'disabled', keys: [] },
    metricsAuth: 'open',
    ingest: { topic: OUT, maxEventsPerRequest: 100, bodyLimitBytes: 1024 * 1024 },
    // The team's monthly budget: its spend must include what the spans cost.
    budgets: [
      {
        name: 'team-otel-monthly',
        scope: 'tenant',
        value: 'team-otel',
        period: { type: 'calendar_month' },
        amount: 1_000_000_000_000n,
        warnPercent: 80,
        alertPercent: 100,
      },
    ],
    docs: false,
    maxPageSize: 1000,
  };
  app = await buildApp({ ch, config, logger: log, budgetRefreshMs: 0 });

  bridge = await startSpanBridge({
    kafka: kafkaFor('span-bridge-it'),
    logger: log,
    groupId,
    outputTopic: OUT,
    dlqTopic: DLQ,
    fromBeginning: false,
    lagIntervalMs: 500,
    metrics: spanMetrics,
  });
  await waitFor('the bridge to join its group', () => bridge!.readiness().ready);
  await readAll(OUT, raw);
});

afterAll(async () => {
  await bridge?.stop();
  await spanMetrics.shutdown();
  for (const r of readers) await r.disconnect();
  await consumer?.stop();
  await app?.close();
  await ch?.close();
  for (const c of cleanups.reverse()) await c();
  await admin?.disconnect();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A service configured only with the standard OTel environment variables. */
function envConfiguredProvider(): { provider: TracerProvider; memory: InMemorySpanExporter } {
  const saved = { ...process.env };
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = COLLECTOR;
  process.env.OTEL_RESOURCE_ATTRIBUTES = `service.name=${SERVICE},aurea.job.id=${JOB},aurea.tenant=team-otel,aurea.repository=acme%2Fapp`;
  try {
    const memory = new InMemorySpanExporter();
    const provider = new TracerProvider({
      resource: detectResources({ detectors: [envDetector] }),
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter() }),
        new SimpleSpanProcessor({ exporter: memory }),
      ],
    });
    return { provider, memory };
  } finally {
    for (const k of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_RESOURCE_ATTRIBUTES']) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

describe('OTLP spans → Collector → Kafka → span bridge → task events → consumer → analytics API', () => {
  let sent: ReadableSpan[] = [];
  let first: Received[] = [];
  const T = Date.now();
  const specs = {
    chat: {
      name: 'chat gpt-4o-mini',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 1200, // includes 200 cache reads
        'gen_ai.usage.cache_read.input_tokens': 200,
        'gen_ai.usage.output_tokens': 300,
        'aurea.task.name': 'summarize',
        'aurea.user': 'u-1',
      } as Attributes,
    },
    failed: {
      name: 'chat claude-3-5-haiku',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': 'anthropic', // deprecated spelling of the provider
        'gen_ai.request.model': 'claude-3-5-haiku-20241022',
        'gen_ai.usage.input_tokens': 500, // includes 50 cache writes
        'gen_ai.usage.cache_creation.input_tokens': 50,
        'gen_ai.usage.output_tokens': 0,
        'error.type': 'TimeoutError',
        'aurea.task.name': 'classify',
      } as Attributes,
    },
    unknown: {
      name: 'chat acme-llm-9',
      attrs: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'acme',
        'gen_ai.request.model': 'acme-llm-9',
        'gen_ai.usage.input_tokens': 40,
        'gen_ai.usage.output_tokens': 2,
        'aurea.task.name': 'classify',
      } as Attributes,
    },
    noUsage: {
      name: 'embeddings gpt-4o-mini',
      attrs: {
        'gen_ai.operation.name': 'embeddings',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
      } as Attributes,
    },
  };

  it('turns each GenAI span into one exact task event (tokens, cost, ids), and drops the rest', async () => {
    const { provider, memory } = envConfiguredProvider();
    const tracer = provider.getTracer('py-like-instrumentation', '0.1.0');
    const root = tracer.startSpan('job run', { startTime: T }); // no gen_ai.*: the Collector drops it
    const ctx = trace.setSpan(ROOT_CONTEXT, root);
    const mk = (s: { name: string; attrs: Attributes }, offsetMs: number, durMs: number, error = false) => {
      const span = tracer.startSpan(
        s.name,
        { kind: SpanKind.CLIENT, attributes: s.attrs, startTime: T + offsetMs },
        ctx,
      );
      if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: 'request timed out' });
      span.end(T + offsetMs + durMs);
    };
    mk(specs.chat, 10, 1234.5);
    mk(specs.failed, 1300, 30_000, true);
    mk(specs.unknown, 31_400, 80);
    mk(specs.noUsage, 31_500, 12);
    root.end(T + 32_000);
    await provider.forceFlush();
    sent = memory.getFinishedSpans().slice();
    await provider.shutdown();
    expect(sent).toHaveLength(5);

    first = await waitFor('4 task events from the bridge', () => {
      const r = ours();
      return r.length >= 4 && r;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(ours()).toHaveLength(4); // the root span has no gen_ai.operation.name

    const bySpan = new Map(first.map((r) => [r.event.span_id, r]));
    const rootSpan = sent.find((s) => s.name === 'job run')!;
    const expected = (name: string) => {
      const s = sent.find((x) => x.name === name)!;
      const r = bySpan.get(s.spanContext().spanId);
      if (!r) throw new Error(`no event for span ${name}`);
      const startMs = hrMs(s.startTime);
      expect(r.event.event_id).toBe(
        deterministicEventId(`${s.spanContext().traceId}:${s.spanContext().spanId}`, startMs),
      );
      expect(r.event).toMatchObject({
        source: 'otlp',
        job_id: JOB,
        task_id: s.spanContext().spanId,
        parent_task_id: rootSpan.spanContext().spanId,
        service: SERVICE,
        tenant: 'team-otel',
        repository: 'acme/app',
        trace_id: s.spanContext().traceId,
        span_id: s.spanContext().spanId,
        started_at: new Date(Math.floor(startMs)).toISOString(),
      });
      expect(r.key).toBe(JOB); // keyed by job id
      return { r: r.event, startMs };
    };

    const chat = expected(specs.chat.name);
    expect(chat.r).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      response_model: 'gpt-4o-mini-2024-07-18',
      task_name: 'summarize',
      user: 'u-1',
      status: 'ok',
      pricing_status: 'priced',
      usage: {
        input_tokens: 1000,
        output_tokens: 300,
        cache_read_tokens: 200,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
      },
    });
    expect(chat.r.latency_ms).toBeCloseTo(1234.5, 6);
    const chatCost = expectedCost('openai', 'gpt-4o-mini-2024-07-18', chat.startMs, {
      input: 1000,
      output: 300,
      cacheRead: 200,
    });
    expect(chat.r.cost_usd).toBeCloseTo(chatCost, 12);

    const failed = expected(specs.failed.name);
    expect(failed.r).toMatchObject({
      provider: 'anthropic',
      status: 'timeout',
      error_type: 'TimeoutError',
      pricing_status: 'priced',
      usage: { input_tokens: 450, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 50, reasoning_tokens: 0 },
      latency_ms: 30_000,
    });
    const failedCost = expectedCost('anthropic', 'claude-3-5-haiku-20241022', failed.startMs, {
      input: 450,
      output: 0,
      cacheWrite: 50,
    });
    expect(failed.r.cost_usd).toBeCloseTo(failedCost, 12);

    const unknown = expected(specs.unknown.name);
    expect(unknown.r).toMatchObject({
      cost_usd: null,
      pricing_status: 'unknown_model',
      usage: { input_tokens: 40, output_tokens: 2 },
    });

    const none = expected(specs.noUsage.name);
    expect(none.r).toMatchObject({
      operation: 'embeddings',
      cost_usd: 0,
      pricing_status: 'priced',
      usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0 },
    });

    // The analytics API shows the job with exact tokens and cost.
    const job = await waitFor('the job in the analytics API', async () => {
      const res = await app!.inject({ url: `/v1/jobs/${JOB}` });
      const body = res.statusCode === 200 ? res.json<Record<string, unknown>>() : undefined;
      return body && body.tasks === 4 ? body : undefined;
    });
    expect(job).toMatchObject({
      job_id: JOB,
      tasks: 4,
      failed_tasks: 1,
      unpriced_tasks: 1,
      tokens: {
        input: 1000 + 450 + 40,
        output: 300 + 2,
        cache_read: 200,
        cache_write: 50,
        reasoning: 0,
        total: 1000 + 450 + 40 + 300 + 2 + 200 + 50,
      },
      services: [SERVICE],
      tenants: ['team-otel'],
      repositories: ['acme/app'],
      users: ['u-1'],
    });
    expect(Number(job.cost_usd)).toBeCloseTo(chatCost + failedCost, 9);
    firstJob = job;
  });

  let firstJob: Record<string, unknown> = {};

  it('resending the same spans yields the same event ids and changes nothing in the API', async () => {
    expect(sent).toHaveLength(5);
    const exporter = new OTLPTraceExporter({ url: `${COLLECTOR}/v1/traces` });
    const code = await new Promise<number>((resolve) => exporter.export(sent, (r) => resolve(r.code)));
    expect(code).toBe(0);
    await exporter.shutdown();

    const all = await waitFor('the resent spans as events', () => {
      const r = ours();
      return r.length >= 8 && r;
    });
    const firstIds = first.map((r) => r.event.event_id).sort();
    const second = all.slice(first.length); // arrival order: the first round came before the resend
    expect(second.map((r) => r.event.event_id).sort()).toEqual(firstIds);
    for (const r of second) {
      const original = first.find((f) => f.event.event_id === r.event.event_id)!;
      expect(r.event).toEqual(original.event); // byte-for-byte the same event
      expect(r.partition).toBe(original.partition); // same key, same partition
    }

    // The consumer stored the duplicates too (8 rows in); the API counts each event once.
    await waitFor('the consumer to insert the resent events', () => consumer!.stats().inserted >= 8);
    const res = await app!.inject({ url: `/v1/jobs/${JOB}` });
    expect(res.statusCode).toBe(200);
    const job = res.json<Record<string, unknown>>();
    expect(job).toMatchObject({
      tasks: 4,
      tokens: firstJob.tokens,
      cost_usd: firstJob.cost_usd,
      unpriced_tasks: 1,
      failed_tasks: 1,
    });
  });

  it('real-time metrics of a span-only service: Prometheus, the cost alert and the budget see the API’s cost', async () => {
    // The spans were sent twice (the resend above): the API counts each event once, and so must
    // the bridge's metrics.
    const apiNanos = decimalNanos(String(firstJob.cost_usd));
    const sel = `{job="${SERVICE}"}`;
    const promNanos = async (q: string) => {
      const r = await prom(q);
      return r[0] ? Math.round(Number(r[0].value[1]) * 1e9) : undefined;
    };
    await waitFor(
      'the service cost counter in Prometheus',
      async () => (await promNanos(`sum(aurea_llm_cost_USD_total${sel})`)) === Number(apiNanos),
      90_000,
    );
    // Tasks by status and tokens by type, as the SDK records them.
    const tasks = await prom(`sum by (aurea_task_status) (aurea_tasks_total${sel})`);
    expect(Object.fromEntries(tasks.map((s) => [s.metric.aurea_task_status, Number(s.value[1])]))).toMatchObject({
      ok: 3,
      timeout: 1,
    });
    // gen_ai.client.* stay the instrumentation's own (off by default in the bridge): none here.
    expect(await prom(`count({__name__=~"gen_ai_client_.*", job="${SERVICE}"})`)).toEqual([]);
    // The cost alert's expression (AureaLLMCostPerHourHigh: aurea:llm_cost_usd_by_job:increase1h) for this service.
    const alertExpr = `sum by (job) (increase(aurea_llm_cost_USD_total${sel}[1h] anchored) + (first_over_time(aurea_llm_cost_USD_total${sel}[1h]) unless aurea_llm_cost_USD_total${sel} offset 1h) or increase(aurea_llm_cost_USD_total${sel}[1h] anchored))`;
    expect(await promNanos(alertExpr)).toBe(Number(apiNanos));
    // The team's budget spend (ClickHouse, the API's budgets and their gauges) holds the same cost.
    const budgets = (await app!.inject({ url: '/v1/budgets' })).json<{
      budgets: { name: string; spend_usd: string }[];
    }>();
    const team = budgets.budgets.find((b) => b.name === 'team-otel-monthly')!;
    expect(decimalNanos(team.spend_usd)).toBe(apiNanos);
  });
});

describe('dead letters and offsets (private spans topic)', () => {
  it('an OpenLLMetry span (llm.request.type, no gen_ai.operation.name) passes the Collector and is priced', async () => {
    const service = `${SERVICE}-openllmetry`;
    const exporter = new OTLPTraceExporter({ url: `${COLLECTOR}/v1/traces` });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': service }),
      spanProcessors: [new SimpleSpanProcessor({ exporter })],
    });
    const t = Date.now();
    // What OpenLLMetry's OpenAI instrumentation sets on a chat span.
    provider
      .getTracer('opentelemetry.instrumentation.openai.v1', '0.40.0')
      .startSpan('openai.chat', {
        kind: SpanKind.CLIENT,
        startTime: t,
        attributes: {
          'llm.request.type': 'chat',
          'gen_ai.system': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
          'gen_ai.usage.input_tokens': 2000,
          'gen_ai.usage.output_tokens': 100,
          'llm.usage.total_tokens': 2100,
        },
      })
      .end(t + 700);
    await provider.forceFlush();
    await provider.shutdown();
    const got = await waitFor('the OpenLLMetry span as a task event', () =>
      raw.map((m) => JSON.parse(m.value.toString()) as TaskEventV1).find((e) => e.service === service),
    );
    expect(got).toMatchObject({
      source: 'otlp',
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-4o-mini',
      pricing_status: 'priced',
      usage: { input_tokens: 2000, output_tokens: 100 },
    });
    expect(got.cost_usd).toBeCloseTo(
      expectedCost('openai', 'gpt-4o-mini-2024-07-18', t, { input: 2000, output: 100 }),
      12,
    );
  });

  it('dead-letters undecodable messages and unconvertible spans (exact span bytes), converts the rest, commits after', async () => {
    const groupId = `it-span-bridge-private-${RUN}`;
    const dead: { value: Buffer; key: string; headers: IHeaders; partition: number }[] = [];
    const events: { value: Buffer; key: string; headers: IHeaders; partition: number }[] = [];
    const dlq2 = DLQ2;
    const b = await startSpanBridge({
      kafka: kafkaFor('span-bridge-it-2'),
      logger: log,
      groupId,
      inputTopic: PRIVATE_IN,
      outputTopic: PRIVATE_OUT,
      dlqTopic: dlq2,
    });
    cleanups.push(() => admin.deleteGroups([groupId]).catch(() => undefined));
    try {
      await readAll(dlq2, dead);
      await readAll(PRIVATE_OUT, events);

      // Two spans of one request: one fine, one with a negative token count.
      const exporter = new InMemorySpanExporter();
      const provider = new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': `${SERVICE}-private` }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      });
      const tracer = provider.getTracer('t');
      const t = Date.now();
      const ok = tracer.startSpan('chat', {
        startTime: t,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.usage.input_tokens': 10,
        },
      });
      ok.end(t + 5);
      const bad = tracer.startSpan('chat', {
        startTime: t,
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': -1 },
      });
      bad.end(t + 5);
      await provider.forceFlush();
      const spans = exporter.getFinishedSpans();
      const request = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({
        topic: PRIVATE_IN,
        messages: [{ key: 'k', value: Buffer.from('not protobuf {"resourceSpans":[]}'), partition: 0 }],
      });
      await producer.send({ topic: PRIVATE_IN, messages: [{ key: 'k', value: request, partition: 1 }] });
      await producer.disconnect();
      await provider.shutdown();

      await waitFor('2 dead letters and 1 event', () => dead.length >= 2 && events.length >= 1);
      const byReason = new Map(dead.map((d) => [d.headers[DLQ_HEADERS.reason]?.toString(), d]));
      const garbage = byReason.get('invalid_protobuf')!;
      expect(garbage.value.toString()).toBe('not protobuf {"resourceSpans":[]}'); // original bytes
      expect(garbage.headers[DLQ_HEADERS.sourceTopic]?.toString()).toBe(PRIVATE_IN);
      expect(garbage.headers[DLQ_HEADERS.sourcePartition]?.toString()).toBe('0');
      expect(garbage.headers[DLQ_HEADERS.sourceOffset]?.toString()).toBe('0');

      const badDead = byReason.get('invalid_attribute')!;
      expect(badDead.headers[DLQ_HEADERS.errors]?.toString()).toContain('gen_ai.usage.input_tokens');
      expect(badDead.headers['aurea-dlq-span']?.toString()).toBe(
        `${bad.spanContext().traceId}:${bad.spanContext().spanId}`,
      );
      // The dead letter is a replayable OTLP request holding exactly the failed span.
      const replay = decodeTraceRequest(badDead.value);
      const replaySpans = replay.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
      expect(replaySpans.map((s) => s.spanId)).toEqual([bad.spanContext().spanId]);
      expect(replay.resourceSpans[0]!.resource.attributes['service.name']).toBe(`${SERVICE}-private`);

      const event = JSON.parse(events[0]!.value.toString()) as TaskEventV1;
      expect(event).toMatchObject({
        span_id: ok.spanContext().spanId,
        usage: { input_tokens: 10 },
        service: `${SERVICE}-private`,
      });

      // Offsets are committed once the produced batch is acknowledged.
      await waitFor('committed span offsets', async () => {
        const [o] = await admin.fetchOffsets({ groupId, topics: [PRIVATE_IN] });
        const committed = Object.fromEntries(o!.partitions.map((p) => [p.partition, p.offset]));
        return committed[0] === '1' && committed[1] === '1';
      });
      expect(b.stats()).toMatchObject({ messages: 2, spans: 2, events: 1, deadLettered: 2 });
    } finally {
      await b.stop();
    }
  });
});
