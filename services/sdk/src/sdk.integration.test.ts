// Integration tests against the running stack (npm run stack:start): Kafka 127.0.0.1:9092,
// Collector OTLP/HTTP 127.0.0.1:4318, Prometheus 127.0.0.1:9090.
import { randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics';
import { validateTaskEvent } from '@aurea/events';
import Fastify from 'fastify';
import { init, type Aurea } from './index.js';
import { aureaFastify } from './fastify.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PROM = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const OTLP = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const run = randomUUID().slice(0, 8);
const kafka = new kafkajs.Kafka({ clientId: `sdk-it-${run}`, brokers: BROKERS, logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
const topics: string[] = [];
const quiet = { warn: () => undefined, error: () => undefined };

async function newTopic(): Promise<string> {
  const topic = `aurea.sdk-it.${run}.${topics.length}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}

async function consumeAll(
  topic: string,
  expected: number,
  timeoutMs = 30_000,
): Promise<{ key: string; value: unknown }[]> {
  const consumer = kafka.consumer({ groupId: `sdk-it-${run}-${topic}`, maxWaitTimeInMs: 200 });
  const got: { key: string; value: unknown }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    void consumer.run({
      eachMessage: ({ message }) => {
        got.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) as unknown });
        if (got.length >= expected) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await new Promise((r) => setTimeout(r, 300)); // catch duplicates/extras, if any
  await consumer.disconnect();
  return got;
}

async function promQuery(q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${PROM}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  expect(body.status).toBe('success');
  return body.data.result;
}

async function waitForValue(q: string, want: number, timeoutMs = 45_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let last = NaN;
  while (Date.now() < until) {
    const r = await promQuery(q);
    if (r.length > 0) {
      last = Number(r[0]!.value[1]);
      if (Math.abs(last - want) < 1e-9) return last;
    }
    await new Promise((res) => setTimeout(res, 1000));
  }
  return last;
}

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  if (topics.length) await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
});

describe('task events on real Kafka', () => {
  it('land keyed by job_id and validate against schema v1', async () => {
    const topic = await newTopic();
    const aurea = await init({
      serviceName: `sdk-it-events-${run}`,
      otlp: false,
      kafka: { brokers: BROKERS, topic },
      logger: quiet,
    });
    const jobs = ['job-a', 'job-b', 'job-c'];
    for (let i = 0; i < 30; i++) {
      await aurea.monitorTask(
        { jobId: jobs[i % 3]!, taskName: 'summarize', model: 'gpt-4o', provider: 'openai', tenant: 'acme' },
        (ctx) => {
          ctx.recordUsage({ input: 100 + i, output: 10 });
          return i;
        },
      );
    }
    await expect(
      aurea.monitorTask({ jobId: 'job-a', taskName: 'summarize', model: 'nope', provider: 'openai' }, () =>
        Promise.reject(new RangeError('x')),
      ),
    ).rejects.toThrow(RangeError);
    await aurea.shutdown({ deadlineMs: 10_000 });
    expect(aurea.publisher!.stats()).toMatchObject({ published: 31, buffered: 0 });

    const msgs = await consumeAll(topic, 31);
    expect(msgs).toHaveLength(31);
    const ids = new Set<string>();
    for (const m of msgs) {
      const v = validateTaskEvent(m.value);
      expect(v.ok, JSON.stringify(v)).toBe(true);
      if (!v.ok) continue;
      expect(m.key).toBe(v.event.job_id);
      ids.add(v.event.event_id);
    }
    expect(ids.size).toBe(31);
    const failed = msgs
      .map((m) => m.value as { status: string; error_type: string; cost_usd: number | null; pricing_status: string })
      .find((e) => e.status === 'error')!;
    expect(failed).toMatchObject({ error_type: 'RangeError', cost_usd: null, pricing_status: 'unknown_model' });
  });

  it('shutdown() delivers everything buffered', async () => {
    const topic = await newTopic();
    const aurea = await init({
      serviceName: `sdk-it-flush-${run}`,
      otlp: false,
      kafka: { brokers: BROKERS, topic, maxBufferedEvents: 50_000 },
      logger: quiet,
    });
    const n = 5000;
    for (let i = 0; i < n; i++)
      aurea.recordLlmCall({
        jobId: `job-${i % 17}`,
        taskName: 'classify',
        model: 'gpt-4o-mini',
        provider: 'openai',
        durationMs: 5,
        usage: { input: 20, output: 2 },
      });
    expect(aurea.publisher!.stats().buffered).toBeGreaterThan(0); // nothing was sent synchronously
    await aurea.shutdown({ deadlineMs: 20_000 });
    expect(aurea.publisher!.stats()).toMatchObject({ published: n, buffered: 0 });
    const msgs = await consumeAll(topic, n);
    expect(new Set(msgs.map((m) => (m.value as { event_id: string }).event_id)).size).toBe(n);
  });
});

describe('Kafka unreachable', () => {
  it('monitored tasks keep running at full speed and the drop counter is exact', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const max = 100;
    const aurea: Aurea = await init({
      serviceName: `sdk-it-nokafka-${run}`,
      otlp: false,
      kafka: { brokers: ['127.0.0.1:1'], maxBufferedEvents: max },
      metricExporters: [{ exporter }],
      logger: quiet,
    });
    const n = 20_000;
    const task = { jobId: 'job-x', taskName: 'loop', model: 'gpt-4o', provider: 'openai' };
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await aurea.monitorTask(task, (ctx) => {
        ctx.recordUsage({ input: 1, output: 1 });
        return i;
      });
    }
    const perTaskUs = ((performance.now() - t0) * 1000) / n;
    const stats = aurea.publisher!.stats();
    expect(stats.published).toBe(0);
    expect(stats.buffered).toBe(max);
    expect(stats.dropped.get('buffer_full')).toBe(n - max);
    // Never blocked on the broker: a task that waited for it would take at least the connection
    // timeout (≥ 1 s). Tens of µs are typical; the bound leaves room for a loaded 2-core CI box
    // (the speed figure itself is measured by bench/sdk.bench.ts, not asserted here).
    expect(perTaskUs).toBeLessThan(1_000);

    exporter.reset();
    await aurea.flushMetrics();
    const dropped = exporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics))
      .find((m) => m.descriptor.name === 'aurea.events.dropped')!;
    expect(dropped.dataPoints.find((p) => p.attributes['aurea.drop.reason'] === 'buffer_full')!.value).toBe(n - max);

    const t1 = Date.now();
    await aurea.shutdown({ deadlineMs: 2000 });
    expect(Date.now() - t1).toBeLessThan(5_000); // deadline 2 s + slack for a loaded machine
    expect(aurea.publisher!.stats().dropped.get('shutdown')).toBe(max);
    console.log(`kafka down: ${perTaskUs.toFixed(2)} µs/task over ${n} tasks`);
  });
});

describe('metrics through the real Collector into Prometheus', () => {
  it('arrive with the expected names and exact values', async () => {
    const service = `sdk-it-prom-${run}`;
    const aurea = await init({
      serviceName: service,
      serviceVersion: '9.9.9',
      otlp: { endpoint: OTLP, exportIntervalMs: 1000 },
      kafka: false,
      logger: quiet,
    });
    const n = 25;
    for (let i = 0; i < n; i++) {
      await aurea.monitorTask(
        { jobId: `job-${i}`, taskName: 'summarize', model: 'gpt-4o', provider: 'openai' },
        (ctx) => {
          ctx.recordUsage({
            prompt_tokens: 1000,
            completion_tokens: 100,
            prompt_tokens_details: { cached_tokens: 200 },
          });
          return 'x';
        },
      );
    }
    await expect(
      aurea.monitorTask({ jobId: 'j', taskName: 'summarize', model: 'gpt-4o', provider: 'openai' }, () =>
        Promise.reject(new TypeError('t')),
      ),
    ).rejects.toThrow();
    aurea.setBudgets([{ name: 'monthly', scope: 'global', period: 'month', limitUsd: 50, spendUsd: 0 }]);
    aurea.circuitBreaker('openai', { provider: 'openai' }).set('open');
    await aurea.shutdown({ deadlineMs: 5000 });

    const sel = `job="${service}"`;
    expect(await waitForValue(`sum(aurea_tasks_total{${sel},aurea_task_status="ok"})`, n)).toBe(n);
    expect(await waitForValue(`sum(aurea_tasks_total{${sel},aurea_task_status="error"})`, 1)).toBe(1);
    expect(await waitForValue(`sum(aurea_llm_tokens_total{${sel},aurea_token_type="input"})`, 800 * n)).toBe(800 * n);
    expect(await waitForValue(`sum(aurea_llm_tokens_total{${sel},aurea_token_type="cache_read"})`, 200 * n)).toBe(
      200 * n,
    );
    const cost = (800 * 2.5e-6 + 200 * 1.25e-6 + 100 * 10e-6) * n;
    const got = await waitForValue(`sum(aurea_llm_cost_USD_total{${sel}})`, cost);
    expect(got).toBeCloseTo(cost, 9);
    expect(await waitForValue(`sum(gen_ai_client_operation_duration_seconds_count{${sel}})`, n + 1)).toBe(n + 1);
    expect(await waitForValue(`sum(gen_ai_client_token_usage_sum{${sel},gen_ai_token_type="input"})`, 1000 * n)).toBe(
      1000 * n,
    );
    expect(await waitForValue(`sum(aurea_errors_total{${sel},error_type="TypeError"})`, 1)).toBe(1);
    expect(await waitForValue(`aurea_budget_remaining_USD{${sel},aurea_budget_name="monthly"}`, 50)).toBe(50);
    expect(await waitForValue(`aurea_circuit_breaker_state{${sel},aurea_circuit_breaker_name="openai"}`, 2)).toBe(2);
    const buckets = await promQuery(`gen_ai_client_operation_duration_seconds_bucket{${sel},error_type=""}`);
    expect(buckets.map((b) => b.metric.le).sort((a, b) => Number(a) - Number(b))).toContain('81.92');
    const labels = (await promQuery(`aurea_tasks_total{${sel}}`))[0]!.metric;
    expect(Object.keys(labels).filter((k) => /job_id|task_id|tenant/.test(k))).toEqual([]);
    expect(labels).toMatchObject({
      aurea_task_name: 'summarize',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o',
    });
  });

  it('stage and job durations, breaker transitions and the fastify plugin: names, values, summary = histogram_quantile', async () => {
    const service = `sdk-it-stages-${run}`;
    const aurea = await init({
      serviceName: service,
      otlp: { endpoint: OTLP, exportIntervalMs: 1000 },
      kafka: false,
      logger: quiet,
    });
    const wait = aurea.stage('queue_wait');
    for (let i = 0; i < 20; i++) wait.record(0.003);
    for (let i = 0; i < 80; i++) wait.record(0.02);
    aurea.stage('admission').record(0.0007, 'queue_full');
    aurea.recordJob({ durationS: 3, status: 'ok' });
    aurea.recordJob({ durationS: 700, status: 'ok' });
    const cb = aurea.circuitBreaker('anthropic', { provider: 'anthropic' });
    cb.set('open');
    cb.set('half_open');
    cb.set('closed');
    const app = Fastify();
    await app.register(aureaFastify, { aurea });
    app.get('/v1/items/:id', () => ({ ok: true }));
    await app.inject({ method: 'GET', url: '/v1/items/1' });
    await app.inject({ method: 'GET', url: '/v1/items/2' });
    await app.close();
    const summary = aurea.summary();
    await aurea.shutdown({ deadlineMs: 5000 });

    const sel = `job="${service}"`;
    const wq = `${sel},aurea_stage="queue_wait"`;
    expect(await waitForValue(`sum(aurea_stage_duration_seconds_count{${wq}})`, 100)).toBe(100);
    for (const q of [0.5, 0.95, 0.99] as const) {
      const mine = summary.stages.queue_wait!.durationS[q === 0.5 ? 'p50' : q === 0.95 ? 'p95' : 'p99']!;
      const prom = (
        await promQuery(`histogram_quantile(${q}, sum by (le) (aurea_stage_duration_seconds_bucket{${wq}}))`)
      )[0];
      expect(Number(prom!.value[1]), `p${q * 100}`).toBeCloseTo(mine, 12);
    }
    const les = (await promQuery(`aurea_stage_duration_seconds_bucket{${wq}}`)).map((b) => b.metric.le);
    expect(les).toEqual(expect.arrayContaining(['0.001', '10', '+Inf']));
    expect(
      await waitForValue(
        `sum(aurea_stage_duration_seconds_count{${sel},aurea_stage="admission",error_type="queue_full"})`,
        1,
      ),
    ).toBe(1);
    expect(await waitForValue(`sum(aurea_job_duration_seconds_count{${sel},aurea_job_status="ok"})`, 2)).toBe(2);
    const tr = (from: string, to: string) =>
      `aurea_circuit_breaker_transitions_total{${sel},aurea_circuit_breaker_name="anthropic",aurea_circuit_breaker_from="${from}",aurea_circuit_breaker_to="${to}"}`;
    expect(await waitForValue(tr('closed', 'open'), 1)).toBe(1);
    expect(await waitForValue(tr('half_open', 'closed'), 1)).toBe(1);
    expect(await waitForValue(tr('open', 'closed'), 0)).toBe(0);
    expect(
      await waitForValue(`sum(http_server_request_duration_seconds_count{${sel},http_route="/v1/items/:id"})`, 2),
    ).toBe(2);
  });

  it('with the Collector unreachable the service keeps running, and metrics resume when it returns', async () => {
    // A port nothing listens on stands in for the stopped Collector; later a forwarder to the
    // real Collector starts listening there (the Collector "returns").
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const service = `sdk-it-collector-down-${run}`;
    const aurea = await init({
      serviceName: service,
      otlp: { endpoint: `http://127.0.0.1:${port}`, exportIntervalMs: 300, timeoutMs: 250 },
      kafka: false,
      logger: quiet,
    });
    let done = 0;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await aurea.monitorTask(
        { jobId: 'j', taskName: 'offline', model: 'gpt-4o', provider: 'openai' },
        () => new Promise((r) => setTimeout(r, 5)),
      );
      done++;
    }
    expect(done).toBeGreaterThan(50);

    const target = new URL(OTLP);
    const forwarder: Server = createServer((req, res) => {
      const up = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.writeHead(502).end());
      req.pipe(up);
    });
    await new Promise<void>((r) => forwarder.listen(port, '127.0.0.1', r));
    try {
      expect(await waitForValue(`sum(aurea_tasks_total{job="${service}",aurea_task_status="ok"})`, done)).toBe(done);
    } finally {
      await aurea.shutdown({ deadlineMs: 2000 });
      await new Promise<void>((r) => forwarder.close(() => r()));
    }
  });
});
