import { describe, expect, it } from 'vitest';
import type { Attributes } from '@opentelemetry/api';
import { deterministicEventId, validateTaskEvent, type TaskEventV1 } from '@aurea/events';
import { createPriceTable } from '@aurea/sdk/pricing';
import { convertSpan, usageFromAttributes, type ConvertResult } from './convert.js';
import { decodeTraceRequest } from './otlp-proto.js';
import { encodeSpans, makeSpans, SpanStatusCode, type SpanSpec } from './test-spans.js';

// A price table of our own, so these tests do not move when the default prices do.
const table = createPriceTable({
  version: 'test-7',
  extends: false,
  models: [
    {
      provider: 'openai',
      model: 'gpt-x',
      effective_from: '2025-01-01',
      input: 2,
      output: 8,
      cache_read: 0.5,
      reasoning: 8,
    },
    {
      provider: 'openai',
      model: 'gpt-x',
      effective_from: '2025-06-01',
      input: 1,
      output: 4,
      cache_read: 0.25,
      reasoning: 4,
    },
    { provider: 'openai', model: 'gpt-x-2025-05-01', effective_from: '2025-01-01', input: 3, output: 12 },
    {
      provider: 'anthropic',
      model: 'claude-y',
      effective_from: '2025-01-01',
      input: 3,
      output: 15,
      cache_read: 0.3,
      cache_write: 3.75,
    },
    { provider: 'gcp.vertex_ai', model: 'gemini-z', effective_from: '2025-01-01', input: 1, output: 1 },
  ],
});

const MAY = Date.parse('2025-05-10T12:00:00.000Z');
const JULY = Date.parse('2025-07-10T12:00:00.000Z');
const M = 1_000_000;

/** Spans through the real encoder and our decoder, then converted. */
async function convert(resource: Attributes, specs: SpanSpec[]): Promise<ConvertResult[]> {
  const bytes = encodeSpans(await makeSpans(resource, specs));
  const out: ConvertResult[] = [];
  for (const rs of decodeTraceRequest(bytes).resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans)
        out.push(
          convertSpan(s, { resourceAttributes: rs.resource.attributes, scopeName: ss.scope.name, priceTable: table }),
        );
    }
  }
  return out;
}

async function one(
  attributes: Attributes,
  resource: Attributes = { 'service.name': 'py-svc' },
  extra: Partial<SpanSpec> = {},
): Promise<TaskEventV1> {
  const [r] = await convert(resource, [{ name: 'chat gpt-x', start: JULY, end: JULY + 1500, attributes, ...extra }]);
  if (r?.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(r)}`);
  return r.event;
}

const chat = (extra: Attributes = {}): Attributes => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-x',
  ...extra,
});

describe('convertSpan', () => {
  it('maps every documented attribute of a GenAI span into a valid task event', async () => {
    const results = await convert(
      {
        'service.name': 'py-orchestrator',
        'deployment.environment.name': 'staging',
        'aurea.tenant': 'team-a',
        'aurea.repository': 'acme/app',
        'aurea.job.id': 'resource-job',
      },
      [
        { name: 'task', start: JULY - 10, end: JULY + 2000 },
        {
          name: 'chat gpt-x',
          parent: 0,
          start: [Math.floor(JULY / 1000), 123_456_789],
          end: [Math.floor(JULY / 1000) + 1, 623_456_789],
          attributes: chat({
            'gen_ai.response.model': 'gpt-x',
            'gen_ai.usage.input_tokens': 1000,
            'gen_ai.usage.output_tokens': 500,
            'gen_ai.response.id': 'resp-1',
            'gen_ai.response.finish_reasons': ['stop'],
            'gen_ai.response.time_to_first_chunk': 0.25,
            'server.address': 'api.openai.com',
            'aurea.job.id': 'job-123',
            'aurea.task.name': 'summarize',
            'aurea.user': 'u-9',
            'aurea.step': 3,
          }),
        },
      ],
    );
    expect(results[0]).toEqual({ kind: 'skipped', reason: 'not_genai' });
    const r = results[1]!;
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    const e = r.event;
    const startMs = Math.floor(JULY / 1000) * 1000 + 123.456789;
    expect(e).toEqual({
      schema_version: 1,
      event_id: deterministicEventId(`${e.trace_id}:${e.span_id}`, startMs),
      source: 'otlp',
      started_at: new Date(Math.floor(startMs)).toISOString(),
      ended_at: new Date(Math.floor(startMs + 1500)).toISOString(),
      job_id: 'job-123', // span level wins over resource level
      task_id: e.span_id,
      parent_task_id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
      service: 'py-orchestrator',
      environment: 'staging',
      task_name: 'summarize',
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-x',
      response_model: 'gpt-x',
      usage: {
        input_tokens: 1000,
        output_tokens: 500,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
      },
      latency_ms: 1500,
      time_to_first_token_ms: 250,
      status: 'ok',
      error_type: null,
      cost_usd: (1000 * 1 + 500 * 4) / M, // July prices
      provided_cost_usd: null,
      pricing_status: 'priced',
      price_version: 'test-7',
      tenant: 'team-a',
      user: 'u-9',
      repository: 'acme/app',
      attributes: {
        'otel.span.name': 'chat gpt-x',
        'otel.scope.name': 'test-genai',
        'gen_ai.response.id': 'resp-1',
        'gen_ai.response.finish_reasons': 'stop',
        'server.address': 'api.openai.com',
        'aurea.step': 3,
      },
      trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
      span_id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
    });
    expect(e.parent_task_id).not.toBe(e.span_id);
    expect(validateTaskEvent(e).ok).toBe(true);
  });

  it('an OpenLLMetry span (llm.request.type, gen_ai.system, no gen_ai.operation.name) is a GenAI span', async () => {
    const legacy = (type: string) => ({
      'llm.request.type': type,
      'gen_ai.system': 'openai',
      'gen_ai.request.model': 'gpt-x',
      'gen_ai.usage.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 500,
    });
    const e = await one(legacy('chat'));
    // gpt-x from 2025-06-01: $1 / $4 per 1M tokens → 1000 × 1e-6 + 500 × 4e-6.
    expect(e).toMatchObject({
      operation: 'chat',
      provider: 'openai',
      request_model: 'gpt-x',
      pricing_status: 'priced',
    });
    expect(e.cost_usd).toBeCloseTo(0.003, 12);
    expect((await one(legacy('completion'))).operation).toBe('text_completion');
    expect((await one(legacy('embedding'))).operation).toBe('embeddings');
    expect((await one(legacy('rerank'))).operation).toBe('rerank');
    // The convention's name wins when both are there.
    expect((await one({ ...legacy('completion'), 'gen_ai.operation.name': 'chat' })).operation).toBe('chat');
    const [none] = await convert({ 'service.name': 's' }, [{ name: 'db query', start: JULY, end: JULY + 5 }]);
    expect(none).toEqual({ kind: 'skipped', reason: 'not_genai' });
  });

  it('uses the trace id as the job, span id as task, span name as task name when none is given', async () => {
    const e = await one(chat());
    expect(e.job_id).toBe(e.trace_id);
    expect(e.task_id).toBe(e.span_id);
    expect(e.task_name).toBe('chat gpt-x');
    expect(e.parent_task_id).toBeNull();
    expect(e.tenant ?? null).toBeNull();
  });

  it('reads job, task, tenant, user, repository from the resource when the span lacks them', async () => {
    const e = await one(chat(), {
      'service.name': 's',
      'aurea.job.id': 'job-r',
      'aurea.task.name': 'nightly',
      'aurea.task.id': 'task-7',
      'aurea.tenant': 't',
      'aurea.user': 'u',
      'aurea.repository': 'r',
    });
    expect(e).toMatchObject({
      job_id: 'job-r',
      task_name: 'nightly',
      parent_task_id: 'task-7',
      tenant: 't',
      user: 'u',
      repository: 'r',
      service: 's',
    });
  });

  it('normalises inclusive GenAI usage so the types never overlap', async () => {
    const e = await one(
      chat({
        'gen_ai.usage.input_tokens': 1000, // includes 600 cache reads and 100 cache writes
        'gen_ai.usage.cache_read.input_tokens': 600,
        'gen_ai.usage.cache_creation.input_tokens': 100,
        'gen_ai.usage.output_tokens': 400, // includes 150 reasoning
        'gen_ai.usage.reasoning.output_tokens': 150,
      }),
    );
    expect(e.usage).toEqual({
      input_tokens: 300,
      output_tokens: 250,
      cache_read_tokens: 600,
      cache_write_tokens: 100,
      reasoning_tokens: 150,
    });
    // cache_write falls back to the input price (1), reasoning has its own (4).
    expect(e.cost_usd).toBeCloseTo((300 * 1 + 250 * 4 + 600 * 0.25 + 100 * 1 + 150 * 4) / M, 12);
  });

  it('reads cache writes under the current name (cache_write), the former one (cache_creation) when absent', async () => {
    const claude = (usage: Attributes) =>
      chat({
        'gen_ai.provider.name': 'anthropic',
        'gen_ai.request.model': 'claude-y',
        'gen_ai.usage.input_tokens': 1000, // includes the 200 cache writes
        'gen_ai.usage.output_tokens': 10,
        ...usage,
      });
    const written = { input_tokens: 800, output_tokens: 10, cache_read_tokens: 0, cache_write_tokens: 200 };
    // Priced at claude-y's cache-write price (3.75), not as plain input (3).
    const cost = (800 * 3 + 10 * 15 + 200 * 3.75) / M;
    const current = await one(claude({ 'gen_ai.usage.cache_write.input_tokens': 200 }));
    expect(current.usage).toMatchObject(written);
    expect(current.cost_usd).toBeCloseTo(cost, 12);
    const former = await one(claude({ 'gen_ai.usage.cache_creation.input_tokens': 200 }));
    expect(former.usage).toMatchObject(written);
    expect(former.cost_usd).toBeCloseTo(cost, 12);
    // Both present (an instrumentation emitting both names): the current one wins, never the sum.
    const both = await one(
      claude({ 'gen_ai.usage.cache_write.input_tokens': 200, 'gen_ai.usage.cache_creation.input_tokens': 999 }),
    );
    expect(both.usage).toMatchObject(written);
    // A malformed value under the current name is rejected like any usage attribute.
    const [bad] = await convert({ 'service.name': 's' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: claude({ 'gen_ai.usage.cache_write.input_tokens': -1 }) },
    ]);
    expect(bad).toMatchObject({ kind: 'rejected', reason: 'invalid_attribute' });
  });

  it('time to first chunk (seconds on the span) becomes time_to_first_token_ms', async () => {
    const e = await one(chat({ 'gen_ai.response.time_to_first_chunk': 0.42 }));
    expect(e.time_to_first_token_ms).toBeCloseTo(420, 9);
    expect((await one(chat({ 'gen_ai.response.time_to_first_chunk': -1 }))).time_to_first_token_ms).toBeNull();
    expect((await one(chat())).time_to_first_token_ms).toBeNull();
  });

  it('takes evidently exclusive counts as they are, and honours aurea.usage.convention', () => {
    // Parts exceed the total: the producer reported Anthropic-style exclusive input.
    expect(
      usageFromAttributes({ 'gen_ai.usage.input_tokens': 20, 'gen_ai.usage.cache_read.input_tokens': 500 }),
    ).toMatchObject({
      input_tokens: 20,
      cache_read_tokens: 500,
    });
    expect(
      usageFromAttributes(
        { 'gen_ai.usage.input_tokens': 800, 'gen_ai.usage.cache_read.input_tokens': 500 },
        { 'aurea.usage.convention': 'exclusive' },
      ),
    ).toMatchObject({ input_tokens: 800, cache_read_tokens: 500 });
    // Deprecated names and legacy spellings.
    expect(
      usageFromAttributes({
        'gen_ai.usage.prompt_tokens': 70,
        'gen_ai.usage.completion_tokens': 30,
        'gen_ai.usage.cache_read_input_tokens': 20,
        'gen_ai.usage.reasoning_tokens': 10,
      }),
    ).toEqual({
      input_tokens: 50,
      output_tokens: 20,
      cache_read_tokens: 20,
      cache_write_tokens: 0,
      reasoning_tokens: 10,
    });
  });

  it('prices with the table in force at the span start', async () => {
    const usage = { 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 1000 };
    const may = await one(chat(usage), undefined, { start: MAY, end: MAY + 10 });
    const july = await one(chat(usage), undefined, { start: JULY, end: JULY + 10 });
    expect(may.cost_usd).toBeCloseTo((1000 * 2 + 1000 * 8) / M, 12);
    expect(july.cost_usd).toBeCloseTo((1000 * 1 + 1000 * 4) / M, 12);
  });

  it('prices the requested model (as the SDK does), the response model only when the request is unknown', async () => {
    const usage = { 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.output_tokens': 0 };
    // Request model known (1 per 1M input): priced by it even when the response names a snapshot.
    const known = await one(chat({ ...usage, 'gen_ai.response.model': 'gpt-x-2025-05-01' }));
    expect(known).toMatchObject({ response_model: 'gpt-x-2025-05-01', pricing_status: 'priced' });
    expect(known.cost_usd).toBeCloseTo((1000 * 1) / M, 12);
    // Request model unknown: the response model (3 per 1M) is the fallback.
    const fallback = await one(
      chat({ ...usage, 'gen_ai.request.model': 'gpt-x-alias', 'gen_ai.response.model': 'gpt-x-2025-05-01' }),
    );
    expect(fallback).toMatchObject({ request_model: 'gpt-x-alias', pricing_status: 'priced' });
    expect(fallback.cost_usd).toBeCloseTo((1000 * 3) / M, 12);
  });

  it('flags an unknown model (cost null, never $0)', async () => {
    const e = await one({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'mystery-model',
      'gen_ai.usage.input_tokens': 10,
      'gen_ai.usage.output_tokens': 10,
    });
    expect(e).toMatchObject({
      cost_usd: null,
      pricing_status: 'unknown_model',
      request_model: 'mystery-model',
      price_version: 'test-7',
    });
    expect(e.usage).toMatchObject({ input_tokens: 10, output_tokens: 10 });
  });

  it('counts a span without usage as a call with zero tokens', async () => {
    const e = await one(chat());
    expect(e.usage).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
    });
    expect(e).toMatchObject({ cost_usd: 0, pricing_status: 'priced', status: 'ok' });
  });

  it('maps span status and error.type to status and error_type', async () => {
    const err = await one(chat({ 'error.type': '429' }), undefined, {
      status: { code: SpanStatusCode.ERROR, message: 'Too Many Requests' },
    });
    expect(err).toMatchObject({ status: 'error', error_type: '429' });
    const noType = await one(chat(), undefined, { status: { code: SpanStatusCode.ERROR, message: 'boom' } });
    expect(noType).toMatchObject({ status: 'error', error_type: '_OTHER' });
    const typeOnly = await one(chat({ 'error.type': 'openai.APIConnectionError' }));
    expect(typeOnly).toMatchObject({ status: 'error', error_type: 'openai.APIConnectionError' });
    const timeout = await one(chat({ 'error.type': 'TimeoutError' }), undefined, {
      status: { code: SpanStatusCode.ERROR },
    });
    expect(timeout).toMatchObject({ status: 'timeout', error_type: 'TimeoutError' });
    const cancelled = await one(chat({ 'error.type': 'AbortError' }), undefined, {
      status: { code: SpanStatusCode.ERROR },
    });
    expect(cancelled).toMatchObject({ status: 'cancelled', error_type: 'AbortError' });
    const ok = await one(chat(), undefined, { status: { code: SpanStatusCode.OK } });
    expect(ok).toMatchObject({ status: 'ok', error_type: null });
  });

  it('falls back to the deprecated gen_ai.system (renamed values mapped) and to "unknown"', async () => {
    const vertex = await one({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'vertex_ai',
      'gen_ai.request.model': 'gemini-z',
      'gen_ai.usage.output_tokens': 5,
    });
    expect(vertex).toMatchObject({ provider: 'gcp.vertex_ai', cost_usd: 5 / M, pricing_status: 'priced' });
    const anthropic = await one({
      'gen_ai.operation.name': 'chat',
      'gen_ai.system': 'anthropic',
      'gen_ai.request.model': 'claude-y',
    });
    expect(anthropic.provider).toBe('anthropic');
    const none = await one({ 'gen_ai.operation.name': 'embeddings', 'gen_ai.request.model': 'gpt-x' });
    expect(none).toMatchObject({
      provider: 'unknown',
      operation: 'embeddings',
      pricing_status: 'unknown_model',
      cost_usd: null,
    });
    const noModel = await one({ 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai' });
    expect(noModel).toMatchObject({ request_model: 'unknown', response_model: null, pricing_status: 'unknown_model' });
  });

  it('skips spans of a service whose calls already reach Aurea as SDK task events', async () => {
    const [r] = await convert({ 'service.name': 's', 'aurea.task_events': 'sdk' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: chat() },
    ]);
    expect(r).toEqual({ kind: 'skipped', reason: 'reported_by_sdk' });
    const [spanLevel] = await convert({ 'service.name': 's' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: chat({ 'aurea.task_events': 'sdk' }) },
    ]);
    expect(spanLevel).toEqual({ kind: 'skipped', reason: 'reported_by_sdk' });
  });

  it('keeps a caller-reported cost apart from the computed one', async () => {
    const e = await one(chat({ 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.cost': 0.5 }));
    expect(e.provided_cost_usd).toBe(0.5);
    expect(e.cost_usd).toBeCloseTo(1000 / M, 12);
  });

  it('gives the same span the same event id every time, and different spans different ids', async () => {
    const specs: SpanSpec[] = [{ name: 'chat', start: JULY, end: JULY + 5, attributes: chat() }];
    const bytes = encodeSpans(await makeSpans({ 'service.name': 's' }, specs));
    const ids = () =>
      decodeTraceRequest(bytes).resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) =>
          ss.spans.map((s) => {
            const r = convertSpan(s, { resourceAttributes: rs.resource.attributes, priceTable: table });
            return r.kind === 'event' ? r.event.event_id : null;
          }),
        ),
      );
    const first = ids();
    expect(first[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids()).toEqual(first);
    const other = await one(chat(), undefined, { start: JULY, end: JULY + 5 });
    expect(other.event_id).not.toBe(first[0]);
  });

  it('rejects spans it cannot convert, with reasons (never throws)', async () => {
    const [neg] = await convert({ 'service.name': 's' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: chat({ 'gen_ai.usage.input_tokens': -3 }) },
    ]);
    expect(neg).toMatchObject({
      kind: 'rejected',
      reason: 'invalid_attribute',
      errors: [{ field: '/attributes/gen_ai.usage.input_tokens' }],
    });
    const [frac] = await convert({ 'service.name': 's' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: chat({ 'gen_ai.usage.output_tokens': 1.5 }) },
    ]);
    expect(frac).toMatchObject({ kind: 'rejected', reason: 'invalid_attribute' });
    const [longJob] = await convert({ 'service.name': 's' }, [
      { name: 'chat', start: JULY, end: JULY + 1, attributes: chat({ 'aurea.job.id': 'j'.repeat(300) }) },
    ]);
    expect(longJob).toMatchObject({ kind: 'rejected', reason: 'schema_violation', errors: [{ field: '/job_id' }] });
    // The JS SDK clamps such an end time; other SDKs and hand-rolled exporters may not.
    const decoded = decodeTraceRequest(
      encodeSpans(
        await makeSpans({ 'service.name': 's' }, [{ name: 'chat', start: JULY, end: JULY + 5, attributes: chat() }]),
      ),
    );
    const span = decoded.resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    const backwards = convertSpan(
      { ...span, endTimeUnixNano: span.startTimeUnixNano - 1n },
      { resourceAttributes: {}, priceTable: table },
    );
    expect(backwards).toMatchObject({ kind: 'rejected', reason: 'inconsistent' });
    const noStart = convertSpan({ ...span, startTimeUnixNano: 0n }, { resourceAttributes: {}, priceTable: table });
    expect(noStart).toMatchObject({
      kind: 'rejected',
      reason: 'invalid_attribute',
      errors: [{ field: '/started_at' }],
    });
    const noTrace = convertSpan({ ...span, traceId: '' }, { resourceAttributes: {}, priceTable: table });
    expect(noTrace).toMatchObject({ kind: 'rejected', reason: 'invalid_attribute', errors: [{ field: '/trace_id' }] });
  });
});
