import { afterEach, describe, expect, it } from 'vitest';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { validateTaskEvent, uuidv7Time } from '@aurea/events';
import { MemoryPublisher, init, monitorTask as topMonitorTask, type Aurea, type EventPublisher } from './index.js';
import { METRICS, type MetricSpec } from './metrics/spec.js';

let aurea: Aurea | undefined;
afterEach(async () => {
  await aurea?.shutdown({ deadlineMs: 1000 });
  aurea = undefined;
});

async function setup(extra: Partial<Parameters<typeof init>[0]> = {}) {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const publisher = new MemoryPublisher();
  aurea = await init({
    serviceName: 'unit-svc',
    otlp: false,
    kafka: false,
    publisher,
    metricExporters: [{ exporter }],
    ...extra,
  });
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await aurea!.flushMetrics();
    const out = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics())
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
    return out;
  };
  return { aurea, publisher, collect, exporter };
}

type Hist = { sum: number; count: number; buckets: { boundaries: number[]; counts: number[] } };
/** attribute value → data-point value, for one attribute of a metric. */
function by(d: MetricData | undefined, key: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of d!.dataPoints) out[String(p.attributes[key])] = p.value;
  return out;
}

const task = {
  jobId: 'job-123',
  taskName: 'summarize',
  model: 'gpt-4o',
  provider: 'openai',
  tenant: 'acme',
  user: 'u-9',
  repository: 'org/repo',
};

describe('monitorTask metrics (InMemoryMetricExporter)', () => {
  it('names, units, attributes, buckets and values', async () => {
    const { aurea, collect } = await setup();
    const out = await aurea.monitorTask(task, (ctx) => {
      ctx.recordUsage({
        prompt_tokens: 1000,
        completion_tokens: 300,
        prompt_tokens_details: { cached_tokens: 400 },
        completion_tokens_details: { reasoning_tokens: 100 },
      });
      ctx.setResponseModel('gpt-4o-2024-08-06');
      return Promise.resolve('answer');
    });
    expect(out).toBe('answer');
    const m = await collect();

    const spec = Object.values(METRICS) as MetricSpec[];
    for (const s of spec) {
      const d = m.get(s.name);
      if (d) expect(d.descriptor.unit, s.name).toBe(s.unit);
    }

    const dur = m.get('gen_ai.client.operation.duration')!;
    expect(dur.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(dur.aggregationTemporality).toBe(AggregationTemporality.CUMULATIVE);
    expect(dur.dataPoints).toHaveLength(1);
    expect(dur.dataPoints[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
    });
    const hv = dur.dataPoints[0]!.value as { buckets: { boundaries: number[]; counts: number[] }; count: number };
    expect(hv.buckets.boundaries).toEqual([...METRICS.operationDuration.buckets]);
    expect(hv.count).toBe(1);

    const tok = m.get('gen_ai.client.token.usage')!;
    const byType = by(tok, 'gen_ai.token.type') as Record<string, Hist>;
    expect(byType.input!.sum).toBe(1000); // semconv input: all prompt tokens, cached included
    expect(byType.output!.sum).toBe(300); // semconv output: completion incl. reasoning
    expect(byType.input!.buckets.boundaries).toEqual([...METRICS.tokenUsage.buckets]);
    expect(byType.input!.buckets.counts[5]).toBe(1); // 1000 ∈ (256, 1024]

    const tokens = m.get('aurea.llm.tokens')!;
    expect(by(tokens, 'aurea.token.type')).toEqual({ input: 600, output: 200, cache_read: 400, reasoning: 100 });

    const cost = m.get('aurea.llm.cost')!;
    expect(cost.dataPoints[0]!.attributes).toEqual({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'aurea.task.name': 'summarize',
    });
    expect(cost.dataPoints[0]!.value).toBeCloseTo(600 * 2.5e-6 + 400 * 1.25e-6 + 200 * 10e-6 + 100 * 10e-6, 12);
    expect(cost.dataPointType).toBe(DataPointType.SUM);

    const tasks = m.get('aurea.tasks')!;
    const ok = tasks.dataPoints.find((p) => p.attributes['aurea.task.status'] === 'ok')!;
    expect(ok.value).toBe(1);
    expect(tasks.dataPoints.find((p) => p.attributes['aurea.task.status'] === 'error')!.value).toBe(0);
    expect(m.get('aurea.tasks.active')!.dataPoints[0]!.value).toBe(0);
    expect(m.get('aurea.task.duration')!.dataPoints[0]!.attributes).toEqual({
      'aurea.task.name': 'summarize',
      'aurea.task.status': 'ok',
    });
  });

  it('active tasks rise while running', async () => {
    const { aurea, collect } = await setup();
    let release!: () => void;
    const p = aurea.monitorTask(task, () => new Promise<void>((r) => (release = r)));
    expect((await collect()).get('aurea.tasks.active')!.dataPoints[0]!.value).toBe(1);
    release();
    await p;
    expect((await collect()).get('aurea.tasks.active')!.dataPoints[0]!.value).toBe(0);
  });

  it('ids never become metric attributes, even when passed as attributes or on the service meter', async () => {
    const { aurea, collect } = await setup();
    await aurea.monitorTask(
      {
        ...task,
        taskId: 't-1',
        parentTaskId: 'p-1',
        attributes: { 'job.id': 'x', 'aurea.task.id': 'y', feature: 'f' },
      },
      () => ['r', { input: 1, output: 1 }],
    );
    aurea.recordLlmCall({ ...task, durationMs: 12, usage: { input: 1 } });
    const custom = aurea.meter.createCounter('consumer.batches');
    custom.add(1, {
      'job.id': 'j',
      job_id: 'j',
      'tenant.id': 't',
      user: 'u',
      'aurea.job.id': 'j',
      'kafka.topic': 'aurea.task-events.v1',
    });
    const m = await collect();
    const ids = ['job-123', 't-1', 'p-1', 'acme', 'u-9', 'org/repo', 'x', 'y', 'j', 't', 'u'];
    for (const d of m.values()) {
      for (const p of d.dataPoints) {
        for (const [k, v] of Object.entries(p.attributes)) {
          expect(/(^|\.)(job|task|tenant|user|repository)([._]id)?$/.test(k), `${d.descriptor.name} has ${k}`).toBe(
            false,
          );
          expect(ids.includes(String(v)), `${d.descriptor.name} ${k}=${String(v)}`).toBe(false);
        }
      }
    }
    expect(m.get('consumer.batches')!.dataPoints[0]!.attributes).toEqual({ 'kafka.topic': 'aurea.task-events.v1' });
  });

  it('unknown model: cost null in the event, unpriced counter, no cost added', async () => {
    const { aurea, collect, publisher } = await setup();
    await aurea.monitorTask({ ...task, model: 'gpt-9-ultra' }, () => ({ text: 'x', tokens: { input: 10, output: 5 } }));
    const m = await collect();
    expect(m.get('aurea.cost.unpriced')!.dataPoints[0]).toMatchObject({
      value: 1,
      attributes: { 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-9-ultra' },
    });
    expect(
      m.get('aurea.llm.cost')?.dataPoints.find((p) => p.attributes['gen_ai.request.model'] === 'gpt-9-ultra'),
    ).toBeUndefined();
    expect(publisher.events[0]).toMatchObject({ cost_usd: null, pricing_status: 'unknown_model' });
  });

  it('queue stages, circuit breakers, budgets, http', async () => {
    const { aurea, collect } = await setup();
    const q = aurea.queueStage('dispatch', { capacity: 100 });
    q.setDepth(7);
    q.admitted();
    q.admitted(2);
    q.shed();
    const cb = aurea.circuitBreaker('openai', { provider: 'openai' });
    cb.set('open');
    aurea.setBudgets([
      { name: 'monthly', scope: 'global', period: 'month', limitUsd: 100, spendUsd: 0 },
      { name: 'acme', scope: 'tenant', period: 'day', limitUsd: 5, spendUsd: 7 },
    ]);
    aurea.recordHttpRequest({ method: 'get', route: '/v1/jobs/:jobId', statusCode: 200, durationS: 0.02 });
    let m = await collect();
    const attr = { 'aurea.stage': 'dispatch' };
    expect(m.get('aurea.queue.depth')!.dataPoints).toEqual([expect.objectContaining({ attributes: attr, value: 7 })]);
    expect(m.get('aurea.queue.capacity')!.dataPoints[0]!.value).toBe(100);
    expect(m.get('aurea.queue.admitted')!.dataPoints[0]!.value).toBe(3);
    expect(m.get('aurea.queue.shed')!.dataPoints[0]!.value).toBe(1);
    expect(m.get('aurea.circuit_breaker.state')!.dataPoints[0]).toMatchObject({
      value: 2,
      attributes: { 'aurea.circuit_breaker.name': 'openai', 'gen_ai.provider.name': 'openai' },
    });
    const rem = by(m.get('aurea.budget.remaining'), 'aurea.budget.name');
    expect(rem).toEqual({ monthly: 100, acme: -2 });
    expect(
      m.get('aurea.budget.spend')!.dataPoints.find((p) => p.attributes['aurea.budget.name'] === 'monthly')!.value,
    ).toBe(0);
    expect(m.get('http.server.request.duration')!.dataPoints[0]!.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/v1/jobs/:jobId',
      'http.response.status_code': 200,
      'url.scheme': 'http',
    });
    // setBudgets replaces the set
    aurea.setBudgets([{ name: 'acme', scope: 'tenant', period: 'day', limitUsd: 5, spendUsd: 1 }]);
    cb.set('half_open');
    m = await collect();
    expect(m.get('aurea.budget.limit')!.dataPoints.map((p) => p.attributes['aurea.budget.name'])).toEqual(['acme']);
    expect(m.get('aurea.circuit_breaker.state')!.dataPoints[0]!.value).toBe(1);
  });

  it('caps distinct series: beyond the limit data lands on an overflow series', async () => {
    const { aurea, collect } = await setup({ seriesLimit: 3 });
    for (let i = 0; i < 10; i++) aurea.recordLlmCall({ ...task, taskName: `t${i}`, durationMs: 1 });
    const tasks = (await collect()).get('aurea.tasks')!;
    const counted = tasks.dataPoints
      .filter((p) => p.attributes['aurea.task.status'] === 'ok' || p.attributes['otel.metric.overflow'] === true)
      .reduce((s, p) => s + (p.value as number), 0);
    expect(counted).toBe(10);
    expect(tasks.dataPoints.some((p) => p.attributes['otel.metric.overflow'] === true)).toBe(true);
    expect(new Set(tasks.dataPoints.map((p) => p.attributes['aurea.task.name'])).size).toBeLessThanOrEqual(4);
  });
});

describe('monitorTask behaviour and task events', () => {
  it('returns the result unchanged (sync and async, tuple included)', async () => {
    const { aurea } = await setup();
    const obj = { a: 1, tokens: 5 };
    expect(await aurea.monitorTask(task, () => obj)).toBe(obj);
    const tuple = ['x', 3] as const;
    expect(await aurea.monitorTask(task, () => tuple)).toBe(tuple);
    expect(await aurea.monitorTask(task, () => Promise.resolve(42))).toBe(42);
  });

  it('error path: records error.type, rethrows the very same error', async () => {
    const { aurea, collect, publisher } = await setup();
    class RateLimitError extends Error {
      override name = 'RateLimitError';
    }
    const err = new RateLimitError('429');
    await expect(aurea.monitorTask(task, () => Promise.reject(err))).rejects.toBe(err);
    const syncErr = new TypeError('bad');
    await expect(
      aurea.monitorTask(task, () => {
        throw syncErr;
      }),
    ).rejects.toBe(syncErr);
    const abort = new DOMException('aborted', 'AbortError');
    await expect(aurea.monitorTask(task, () => Promise.reject(abort))).rejects.toBe(abort);
    const m = await collect();
    const errors = by(m.get('aurea.errors'), 'error.type');
    expect(errors).toEqual({ RateLimitError: 1, TypeError: 1, AbortError: 1 });
    const dur = m
      .get('gen_ai.client.operation.duration')!
      .dataPoints.map((p) => p.attributes['error.type'])
      .sort();
    expect(dur).toEqual(['AbortError', 'RateLimitError', 'TypeError']);
    const statuses = by(m.get('aurea.tasks'), 'aurea.task.status');
    expect(statuses).toEqual({ ok: 0, error: 2, timeout: 0, cancelled: 1, refused: 0 });
    expect(publisher.events.map((e) => [e.status, e.error_type])).toEqual([
      ['error', 'RateLimitError'],
      ['error', 'TypeError'],
      ['cancelled', 'AbortError'],
    ]);
  });

  it('emits one valid v1 event per task with ids, usage, cost and provided cost kept apart', async () => {
    const { aurea, publisher } = await setup({ environment: 'staging' });
    const before = Date.now();
    await aurea.monitorTask(
      {
        ...task,
        provider: 'anthropic',
        model: 'claude-3-5-sonnet-20241022',
        parentTaskId: 'parent-1',
        attributes: { feature: 'triage', n: 3 },
      },
      (ctx) => {
        ctx.recordUsage({
          input_tokens: 100,
          output_tokens: 50,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 10,
        });
        ctx.setTimeToFirstToken(12.5);
        ctx.setProvidedCost(0.01);
        ctx.setAttribute('attempt', 2);
        return 'ok';
      },
    );
    expect(publisher.events).toHaveLength(1);
    const e = publisher.events[0]!;
    const v = validateTaskEvent(JSON.parse(JSON.stringify(e)));
    expect(v.ok, JSON.stringify(v)).toBe(true);
    expect(e).toMatchObject({
      schema_version: 1,
      source: 'sdk',
      job_id: 'job-123',
      parent_task_id: 'parent-1',
      service: 'unit-svc',
      environment: 'staging',
      task_name: 'summarize',
      operation: 'chat',
      provider: 'anthropic',
      request_model: 'claude-3-5-sonnet-20241022',
      usage: {
        input_tokens: 100,
        output_tokens: 50,
        cache_read_tokens: 1000,
        cache_write_tokens: 10,
        reasoning_tokens: 0,
      },
      status: 'ok',
      error_type: null,
      provided_cost_usd: 0.01,
      pricing_status: 'priced',
      tenant: 'acme',
      user: 'u-9',
      repository: 'org/repo',
      time_to_first_token_ms: 12.5,
      attributes: { feature: 'triage', n: 3, attempt: 2 },
    });
    expect(e.cost_usd).toBeCloseTo(100 * 3e-6 + 50 * 15e-6 + 1000 * 0.3e-6 + 10 * 3.75e-6, 12);
    expect(uuidv7Time(e.event_id)).toBeGreaterThanOrEqual(before);
    expect(e.price_version).toMatch(/^genai-prices@\d/);
    expect(e.price_source).toBe('catalog');
  });

  it('estimateCost → pricing_status custom; recordLlmCall → valid event with the caller’s timing', async () => {
    const { aurea, publisher, collect } = await setup();
    await aurea.monitorTask(
      { ...task, model: 'custom-model', provider: 'acme', estimateCost: ({ totalTokens }) => totalTokens * 0.00005 },
      () => ['r', 1000],
    );
    const started = Date.parse('2025-02-01T10:00:00Z');
    aurea.recordLlmCall({
      ...task,
      taskId: 'call-7',
      durationMs: 1500,
      startedAt: started,
      usage: { prompt_tokens: 10, completion_tokens: 20 },
      status: 'timeout',
      errorType: 'timeout',
    });
    const [custom, call] = publisher.events;
    expect(custom).toMatchObject({ cost_usd: 0.05, pricing_status: 'custom', price_version: null });
    expect(call).toMatchObject({
      task_id: 'call-7',
      started_at: '2025-02-01T10:00:00.000Z',
      ended_at: '2025-02-01T10:00:01.500Z',
      latency_ms: 1500,
      status: 'timeout',
      error_type: 'timeout',
    });
    for (const e of publisher.events) expect(validateTaskEvent(JSON.parse(JSON.stringify(e))).ok).toBe(true);
    const m = await collect();
    expect(
      m.get('aurea.llm.cost')!.dataPoints.find((p) => p.attributes['gen_ai.request.model'] === 'custom-model')!.value,
    ).toBeCloseTo(0.05, 12);
  });

  it('bounds event fields so events stay valid', async () => {
    const { aurea, publisher } = await setup();
    const attrs: Record<string, string> = {};
    for (let i = 0; i < 50; i++) attrs[`k${i}`] = 'v'.repeat(500);
    await aurea.monitorTask({ ...task, jobId: 'j'.repeat(400), taskName: 'n'.repeat(300), attributes: attrs }, () => 1);
    expect(validateTaskEvent(JSON.parse(JSON.stringify(publisher.events[0]))).ok).toBe(true);
  });

  it('ctx.taskId is stable and becomes the event task_id; top-level monitorTask uses the last init', async () => {
    const { publisher } = await setup();
    let seen = '';
    await topMonitorTask(task, (ctx) => {
      seen = ctx.taskId;
      return null;
    });
    expect(publisher.events[0]!.task_id).toBe(seen);
  });

  it('a throwing publisher or logger never reaches the caller', async () => {
    const publisher: EventPublisher = {
      publish: () => {
        throw new Error('boom');
      },
      flush: () => Promise.resolve({ pending: 0 }),
      close: () => Promise.resolve({ pending: 0 }),
      stats: () => ({ published: 0, buffered: 0, dropped: new Map() }),
    };
    aurea = await init({
      serviceName: 'unit-svc',
      otlp: false,
      publisher,
      logger: { warn: () => undefined, error: () => undefined },
    });
    expect(await aurea.monitorTask(task, () => 'still fine')).toBe('still fine');
  });
});

describe('a custom publisher with broken stats()', () => {
  it('does not stop the other metrics from exporting', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const broken = {
      publish: () => true,
      flush: () => Promise.resolve({ pending: 0 }),
      close: () => Promise.resolve({ pending: 0 }),
      stats: () => ({ published: 1 }) as unknown as ReturnType<EventPublisher['stats']>,
    };
    const a = await init({
      serviceName: 'broken-stats',
      otlp: false,
      kafka: false,
      publisher: broken,
      metricExporters: [{ exporter, intervalMs: 60_000 }],
    });
    await a.monitorTask({ jobId: 'j', taskName: 't', model: 'gpt-4o', provider: 'openai' }, () => ({
      tokens: { input: 10, output: 5 },
    }));
    await a.flushMetrics();
    const names = exporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics.map((m) => m.descriptor.name)));
    expect(names).toContain('aurea.tasks');
    expect(names).toContain('aurea.llm.cost');
    await a.shutdown({ deadlineMs: 500 });
  });
});

describe('streaming latency and the server on the GenAI client metrics', () => {
  it('recordChunk: time to first chunk, one time_per_output_chunk value per later chunk, server.address/port', async () => {
    const { publisher, collect } = await setup();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await aurea!.monitorTask({ ...task, serverAddress: 'api.openai.com', serverPort: 443 }, async (ctx) => {
      await sleep(30);
      ctx.recordChunk();
      for (let i = 0; i < 3; i++) {
        await sleep(15);
        ctx.recordChunk();
      }
      ctx.setResponseModel('gpt-4o-2024-08-06');
      ctx.recordUsage({ input: 10, output: 3 });
    });
    const m = await collect();
    const server = { 'server.address': 'api.openai.com', 'server.port': 443 };
    const first = m.get('gen_ai.client.operation.time_to_first_chunk')!;
    expect(first.dataPoints).toHaveLength(1);
    expect(first.dataPoints[0]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o-2024-08-06',
      ...server,
    });
    const ttfc = first.dataPoints[0]!.value as Hist;
    expect(ttfc.count).toBe(1);
    expect(ttfc.sum).toBeGreaterThanOrEqual(0.025);
    expect(ttfc.sum).toBeLessThan(1);
    expect(first.descriptor.unit).toBe('s');
    expect(ttfc.buckets.boundaries).toEqual([...METRICS.timeToFirstChunk.buckets]);
    const per = m.get('gen_ai.client.operation.time_per_output_chunk')!.dataPoints[0]!;
    expect((per.value as Hist).count).toBe(3);
    expect((per.value as Hist).sum).toBeGreaterThanOrEqual(0.03);
    expect(per.attributes).toMatchObject(server);
    expect(m.get('gen_ai.client.operation.duration')!.dataPoints[0]!.attributes).toMatchObject(server);
    for (const p of m.get('gen_ai.client.token.usage')!.dataPoints) expect(p.attributes).toMatchObject(server);
    // The task event carries the time to first chunk in ms (same measurement).
    expect(publisher.events[0]!.time_to_first_token_ms).toBeCloseTo(ttfc.sum * 1000, 6);
  });

  it('a call that did not stream records no chunk metrics; server.port needs server.address', async () => {
    const { collect } = await setup();
    await aurea!.monitorTask({ ...task, serverPort: 8443 }, () => [null, { input: 1, output: 1 }]);
    const m = await collect();
    expect(m.has('gen_ai.client.operation.time_to_first_chunk')).toBe(false);
    expect(m.has('gen_ai.client.operation.time_per_output_chunk')).toBe(false);
    const attrs = m.get('gen_ai.client.operation.duration')!.dataPoints[0]!.attributes;
    expect(attrs).not.toHaveProperty('server.port');
    expect(attrs).not.toHaveProperty('server.address');
  });

  it('recordLlmCall: caller-timed time to first token and chunk intervals', async () => {
    const { publisher, collect } = await setup();
    aurea!.recordLlmCall({
      ...task,
      durationMs: 900,
      usage: { input: 5, output: 4 },
      timeToFirstTokenMs: 250,
      chunkIntervalsMs: [100, 200, Number.NaN, -1, 300],
      serverAddress: 'api.anthropic.com',
    });
    const m = await collect();
    const first = m.get('gen_ai.client.operation.time_to_first_chunk')!.dataPoints[0]!;
    expect(first.value).toMatchObject({ count: 1, sum: 0.25 });
    expect(first.attributes['server.address']).toBe('api.anthropic.com');
    const per = m.get('gen_ai.client.operation.time_per_output_chunk')!.dataPoints[0]!.value as Hist;
    expect(per.count).toBe(3);
    expect(per.sum).toBeCloseTo(0.6, 12);
    expect(publisher.events[0]!.time_to_first_token_ms).toBe(250);
  });
});
