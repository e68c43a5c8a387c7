// The orchestrator's HTTP API with the real SDK (metrics read from its Prometheus endpoint,
// task events captured through the SDK's publisher interface). Costs are checked against the
// providers' list prices, computed here independently of the SDK's pricing code.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@aurea/common';
import { MemoryPublisher, init, type Aurea } from '@aurea/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOrchestrator, type Orchestrator } from './app.js';
import { loadConfig } from './config.js';
import type { JobRecord } from './jobs.js';

/**
 * List prices, USD per 1M tokens, from the providers' pages (openai.com/api/pricing: o3-mini
 * $1.10 in, $0.55 cached, $4.40 out, reasoning billed as output; anthropic.com/pricing:
 * Claude 3.7 Sonnet $3 in, $3.75 cache write, $0.30 cache hit, $15 out;
 * ai.google.dev/gemini-api/docs/pricing: Gemini 2.0 Flash $0.10 in, $0.025 cached, $0.40 out).
 */
const LIST_PRICES: Record<string, { input: number; output: number; cacheRead: number; cacheWrite: number }> = {
  'openai/o3-mini': { input: 1.1, output: 4.4, cacheRead: 0.55, cacheWrite: 1.1 },
  'anthropic/claude-3-7-sonnet': { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  'gcp.gemini/gemini-2.0-flash': { input: 0.1, output: 0.4, cacheRead: 0.025, cacheWrite: 0.1 },
};

/** Independent cost from the list prices above. */
function expectedCost(
  provider: string,
  model: string,
  u: { input: number; output: number; cacheRead?: number; cacheWrite?: number; reasoning?: number },
): number {
  const e = LIST_PRICES[`${provider}/${model}`]!;
  return (
    (u.input * e.input +
      (u.output + (u.reasoning ?? 0)) * e.output +
      (u.cacheRead ?? 0) * e.cacheRead +
      (u.cacheWrite ?? 0) * e.cacheWrite) /
    1e6
  );
}

let aurea: Aurea | undefined;
let orch: Orchestrator | undefined;
afterEach(async () => {
  await orch?.runner.drain(2000);
  await orch?.app.close();
  await aurea?.shutdown({ deadlineMs: 1000 });
  orch = undefined;
  aurea = undefined;
});

async function start(env: Record<string, string> = {}) {
  const config = loadConfig({
    SIM_LATENCY_SCALE: '0.01',
    SIM_FAILURE_RATE: '0',
    SIM_TIMEOUT_RATE: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const publisher = new MemoryPublisher();
  aurea = await init({
    serviceName: `orch-unit-${Math.random().toString(36).slice(2, 8)}`,
    otlp: false,
    kafka: false,
    prometheus: { enabled: true },
    publisher,
  });
  orch = buildOrchestrator({ config, aurea, logger: createLogger('test', 'silent') });
  await orch.app.ready();
  return { app: orch.app, publisher, runner: orch.runner };
}

async function metrics(): Promise<string> {
  const r = await orch!.app.inject({ method: 'GET', url: '/metrics' });
  expect(r.statusCode).toBe(200);
  return r.body;
}

/** Sum of the samples of `name` whose labels include all of `labels` (Prometheus pull names: no unit suffix). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('POST /v1/jobs', () => {
  it('runs a job of synthetic tasks with dependencies; costs match the price table; one event per task', async () => {
    const { app, publisher } = await start();
    const tasks = [
      {
        name: 'plan',
        model: 'o3-mini',
        synthetic: { inputTokens: 1000, outputTokens: 200, cacheReadTokens: 300, reasoningTokens: 500 },
      },
      {
        name: 'write',
        model: 'claude-3-7-sonnet',
        synthetic: { inputTokens: 4000, outputTokens: 800, cacheReadTokens: 1000, cacheWriteTokens: 500 },
        dependsOn: ['plan'],
      },
      {
        name: 'check',
        model: 'gemini-2.0-flash',
        synthetic: { inputTokens: 2500, outputTokens: 100 },
        dependsOn: ['write'],
      },
    ];
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: { id: 'job-unit-1', tenant: 'acme', user: 'alice', repository: 'acme/web', tasks },
    });
    expect(r.statusCode).toBe(200);
    const job = r.json<JobRecord>();
    expect(job.status).toBe('succeeded');
    const want = [
      expectedCost('openai', 'o3-mini', { input: 1000, output: 200, cacheRead: 300, reasoning: 500 }),
      expectedCost('anthropic', 'claude-3-7-sonnet', { input: 4000, output: 800, cacheRead: 1000, cacheWrite: 500 }),
      expectedCost('gcp.gemini', 'gemini-2.0-flash', { input: 2500, output: 100 }),
    ];
    job.tasks.forEach((t, i) => expect(t.costUsd).toBeCloseTo(want[i]!, 12));
    expect(job.costUsd).toBeCloseTo(want[0]! + want[1]! + want[2]!, 9);
    // Dependencies ran in order.
    expect(Date.parse(job.tasks[1]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(job.tasks[0]!.finishedAt!));
    expect(Date.parse(job.tasks[2]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(job.tasks[1]!.finishedAt!));

    expect(publisher.events.map((e) => e.task_name)).toEqual(['plan', 'write', 'check']);
    const ev = publisher.events[1]!;
    expect(ev).toMatchObject({
      job_id: 'job-unit-1',
      task_id: 'write',
      provider: 'anthropic',
      request_model: 'claude-3-7-sonnet',
      response_model: 'claude-3-7-sonnet-20250219',
      status: 'ok',
      tenant: 'acme',
      user: 'alice',
      repository: 'acme/web',
    });
    expect(ev.usage).toMatchObject({
      input_tokens: 4000,
      output_tokens: 800,
      cache_read_tokens: 1000,
      cache_write_tokens: 500,
      reasoning_tokens: 0,
    });
    expect(ev.cost_usd).toBeCloseTo(want[1]!, 12);
    expect(ev.time_to_first_token_ms).toBeGreaterThan(0);
    expect(publisher.events[0]!.usage).toMatchObject({
      input_tokens: 1000,
      output_tokens: 200,
      cache_read_tokens: 300,
      cache_write_tokens: 0,
      reasoning_tokens: 500,
    });

    const m = await metrics();
    expect(sample(m, 'aurea_llm_cost_total')).toBeCloseTo(want[0]! + want[1]! + want[2]!, 9);
    expect(m).not.toContain('job-unit-1');

    const g = await app.inject({ method: 'GET', url: '/v1/jobs/job-unit-1' });
    expect(g.statusCode).toBe(200);
    expect(g.json<JobRecord>().costUsd).toBe(job.costUsd);
  });

  it('answers 202 at once without wait, and the job finishes in the background', async () => {
    const { app, runner } = await start();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { tasks: [{ name: 'a', model: 'gpt-4o-mini', prompt: 'Hello there, summarise this.' }] },
    });
    expect(r.statusCode).toBe(202);
    const { id, status } = r.json<JobRecord>();
    expect(status).toBe('running');
    expect(r.headers.location).toBe(`/v1/jobs/${id}`);
    await runner.wait(id);
    const g = await app.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    expect(g.json<JobRecord>()).toMatchObject({ status: 'succeeded', tasks: [{ status: 'ok', attempts: 1 }] });
    expect(g.json<JobRecord>().tasks[0]!.usage.input + g.json<JobRecord>().tasks[0]!.usage.cacheRead).toBe(7);
  });

  it('a failed task fails the job and skips its dependents; a timeout is recorded as such', async () => {
    const { app, publisher } = await start({ ORCH_TASK_TIMEOUT_MS: '100' });
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: {
        tasks: [
          { name: 'a', model: 'gpt-4o', simulate: 'error' },
          { name: 'b', model: 'gpt-4o', dependsOn: ['a'] },
          { name: 'c', model: 'claude-3-5-haiku', simulate: 'timeout' },
          { name: 'd', model: 'claude-3-5-haiku', simulate: 'ok' },
        ],
      },
    });
    const job = r.json<JobRecord>();
    expect(job.status).toBe('failed');
    expect(job.tasks.map((t) => [t.name, t.status, t.errorType])).toEqual([
      ['a', 'error', 'provider_error'],
      ['b', 'skipped', null],
      ['c', 'timeout', 'timeout'],
      ['d', 'ok', null],
    ]);
    const byTask = Object.fromEntries(publisher.events.map((e) => [e.task_name, e]));
    expect(Object.keys(byTask).sort()).toEqual(['a', 'c', 'd']);
    expect(byTask.a).toMatchObject({ status: 'error', error_type: 'provider_error' });
    expect(byTask.c).toMatchObject({ status: 'timeout', error_type: 'TimeoutError' });
    const m = await metrics();
    expect(sample(m, 'aurea_errors_total', { error_type: 'provider_error' })).toBe(1);
  });

  it('retries a retryable failure as a new monitored attempt when ORCH_TASK_RETRIES > 0', async () => {
    const { app, publisher } = await start({ ORCH_TASK_RETRIES: '1', SIM_FAILURE_RATE: '1' });
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: { id: 'retry-job', tasks: [{ name: 'a', model: 'gpt-4o' }] },
    });
    expect(r.json<JobRecord>().tasks[0]).toMatchObject({ status: 'error', attempts: 2 });
    expect(publisher.events.map((e) => e.task_id)).toEqual(['a', 'a#2']);
  });
});

describe('bad input → 400 naming the problem', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'unknown model',
      { tasks: [{ name: 'a', model: 'gpt-17' }] },
      /unknown model "gpt-17" in tasks\[0\]; known models: .*gpt-4o/,
    ],
    ['missing model', { tasks: [{ name: 'a' }] }, /tasks\/0.*model/],
    ['no tasks', { tasks: [] }, /tasks/],
    ['not a list', { tasks: 'a' }, /tasks.*array/],
    ['unknown field', { tasks: [{ name: 'a', model: 'gpt-4o', temperature: 2 }] }, /additional properties|temperature/],
    [
      'negative size',
      { tasks: [{ name: 'a', model: 'gpt-4o', synthetic: { inputTokens: -1, outputTokens: 1 } }] },
      /inputTokens/,
    ],
    [
      'duplicate names',
      {
        tasks: [
          { name: 'a', model: 'gpt-4o' },
          { name: 'a', model: 'gpt-4o' },
        ],
      },
      /duplicate task name "a"/,
    ],
    [
      'unknown dependency',
      { tasks: [{ name: 'a', model: 'gpt-4o', dependsOn: ['zz'] }] },
      /depends on unknown task "zz"/,
    ],
    [
      'cycle',
      {
        tasks: [
          { name: 'a', model: 'gpt-4o', dependsOn: ['b'] },
          { name: 'b', model: 'gpt-4o', dependsOn: ['a'] },
        ],
      },
      /dependency cycle: a -> b -> a/,
    ],
    [
      'prompt and size',
      { tasks: [{ name: 'a', model: 'gpt-4o', prompt: 'x', synthetic: { inputTokens: 1, outputTokens: 1 } }] },
      /both prompt and synthetic/,
    ],
    [
      'too many tasks',
      { tasks: Array.from({ length: 6 }, (_, i) => ({ name: `t${i}`, model: 'gpt-4o' })) },
      /too many tasks: 6 \(at most 5 per job\)/,
    ],
  ];
  it.each(cases)('%s', async (_label, payload, message) => {
    const { app } = await start({ ORCH_MAX_TASKS_PER_JOB: '5' });
    const r = await app.inject({ method: 'POST', url: '/v1/jobs', payload: payload as object });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ error: string; message: string }>()).toMatchObject({
      error: 'bad_request',
      message: expect.stringMatching(message) as string,
    });
  });

  it('malformed JSON', async () => {
    const { app } = await start();
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: '{"tasks": [',
      headers: { 'content-type': 'application/json' },
    });
    expect(r.statusCode).toBe(400);
  });

  it('unknown job → 404; duplicate job id → 409', async () => {
    const { app, runner } = await start();
    expect((await app.inject({ method: 'GET', url: '/v1/jobs/nope' })).statusCode).toBe(404);
    const payload = { id: 'dup', tasks: [{ name: 'a', model: 'gpt-4o-mini' }] };
    expect((await app.inject({ method: 'POST', url: '/v1/jobs', payload })).statusCode).toBe(202);
    expect((await app.inject({ method: 'POST', url: '/v1/jobs', payload })).statusCode).toBe(409);
    await runner.wait('dup');
  });
});

describe('backpressure, circuit breakers, HTTP metrics', () => {
  it('sheds a job when the dispatch queue is full: 429 with Retry-After, counted per stage', async () => {
    const { app, runner } = await start({ ORCH_CONCURRENCY: '1', ORCH_QUEUE_CAPACITY: '2', SIM_LATENCY_SCALE: '2' });
    const three = {
      tasks: [0, 1, 2].map((i) => ({
        name: `t${i}`,
        model: 'gpt-4o-mini',
        synthetic: { inputTokens: 10, outputTokens: 10 },
      })),
    };
    const first = await app.inject({ method: 'POST', url: '/v1/jobs', payload: three });
    expect(first.statusCode).toBe(202);
    const second = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { tasks: [{ name: 'x', model: 'gpt-4o-mini' }] },
    });
    expect(second.statusCode).toBe(429);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.json<{ error: string }>().error).toBe('queue_full');
    let m = await metrics();
    expect(sample(m, 'aurea_queue_shed_total', { aurea_stage: 'dispatch' })).toBe(1);
    expect(sample(m, 'aurea_queue_admitted_total', { aurea_stage: 'dispatch' })).toBe(1);
    expect(sample(m, 'aurea_queue_depth', { aurea_stage: 'dispatch' })).toBe(2);
    expect(sample(m, 'aurea_queue_capacity', { aurea_stage: 'dispatch' })).toBe(2);
    await runner.wait(first.json<JobRecord>().id);
    m = await metrics();
    expect(sample(m, 'aurea_queue_depth', { aurea_stage: 'dispatch' })).toBe(0);
    expect((await app.inject({ method: 'POST', url: '/v1/jobs', payload: three })).statusCode).toBe(202);
  });

  it('opens the provider’s breaker after repeated failures; calls then fail fast; state exported', async () => {
    const { app } = await start({
      ORCH_CB_FAILURE_THRESHOLD: '2',
      ORCH_CB_COOLDOWN_MS: '60000',
      ORCH_CONCURRENCY: '1',
    });
    const r = await app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: {
        tasks: [
          { name: 'a', model: 'gpt-4o', simulate: 'error' },
          { name: 'b', model: 'gpt-4o-mini', simulate: 'error', dependsOn: [] },
          { name: 'c', model: 'o3-mini', simulate: 'ok' },
          { name: 'd', model: 'claude-3-5-haiku', simulate: 'ok' },
        ],
      },
    });
    const job = r.json<JobRecord>();
    expect(job.tasks.map((t) => t.errorType)).toEqual(['provider_error', 'provider_error', 'circuit_open', null]);
    const stats = (await app.inject({ method: 'GET', url: '/v1/stats' })).json<{ breakers: Record<string, string> }>();
    // Every provider of a known model has its breaker from the start.
    expect(stats.breakers).toEqual({ openai: 'open', anthropic: 'closed', 'gcp.gemini': 'closed' });
    const m = await metrics();
    const openai = m
      .split('\n')
      .find((l) => l.startsWith('aurea_circuit_breaker_state{') && l.includes('gen_ai_provider_name="openai"'));
    const anthropic = m
      .split('\n')
      .find((l) => l.startsWith('aurea_circuit_breaker_state{') && l.includes('gen_ai_provider_name="anthropic"'));
    expect(openai).toBeDefined();
    expect(anthropic).toBeDefined();
    // The SDK's encoding: 0 closed, 1 half_open, 2 open.
    expect(Number(openai!.split(' ').pop())).toBe(2);
    expect(Number(anthropic!.split(' ').pop())).toBe(0);
  });

  it('counts HTTP requests by route template and status, never by raw URL', async () => {
    const { app } = await start();
    await app.inject({ method: 'GET', url: '/v1/jobs/abc' });
    await app.inject({ method: 'GET', url: '/v1/jobs/def' });
    await app.inject({ method: 'POST', url: '/v1/jobs', payload: { tasks: [] } });
    await app.inject({ method: 'GET', url: '/no/such/route' });
    const m = await metrics();
    expect(
      sample(m, 'http_server_request_duration_count', { http_route: '/v1/jobs/:id', http_response_status_code: '404' }),
    ).toBe(2);
    expect(
      sample(m, 'http_server_request_duration_count', { http_route: '/v1/jobs', http_response_status_code: '400' }),
    ).toBe(1);
    expect(m).not.toContain('abc');
    expect(m).not.toContain('/no/such/route');
  });
});

describe('circuit-breaker management', () => {
  type Breaker = {
    provider: string;
    state: string;
    consecutiveFailures: number;
    probeAt: string | null;
    available: boolean;
    transitions: Record<string, number>;
  };
  const failTwice = {
    tasks: [
      { name: 'a', model: 'gpt-4o', simulate: 'error' },
      { name: 'b', model: 'gpt-4o-mini', simulate: 'error' },
    ],
  };

  it('shows each breaker, lists the available providers, and a reset closes an open breaker', async () => {
    const { app } = await start({
      ORCH_CB_FAILURE_THRESHOLD: '2',
      ORCH_CB_COOLDOWN_MS: '60000',
      ORCH_CONCURRENCY: '1',
    });
    let all = (await app.inject({ method: 'GET', url: '/v1/breakers' })).json<{ breakers: Breaker[] }>().breakers;
    expect(all.map((b) => [b.provider, b.state, b.available])).toEqual([
      ['anthropic', 'closed', true],
      ['gcp.gemini', 'closed', true],
      ['openai', 'closed', true],
    ]);
    const t0 = Date.now();
    await app.inject({ method: 'POST', url: '/v1/jobs?wait=true', payload: failTwice });
    const open = (await app.inject({ method: 'GET', url: '/v1/breakers/openai' })).json<Breaker>();
    expect(open).toMatchObject({ provider: 'openai', state: 'open', available: false, consecutiveFailures: 2 });
    expect(open.transitions).toMatchObject({ 'closed->open': 1, 'open->closed': 0 });
    // The probe is due a cooldown (60 s) after the opening.
    expect(Date.parse(open.probeAt!) - t0).toBeGreaterThanOrEqual(60_000);
    expect(Date.parse(open.probeAt!) - Date.now()).toBeLessThanOrEqual(60_000);

    const providers = (await app.inject({ method: 'GET', url: '/v1/providers' })).json<{
      providers: { provider: string; available: boolean; breaker: string; models: string[] }[];
    }>().providers;
    expect(providers.map((p) => [p.provider, p.available, p.breaker])).toEqual([
      ['anthropic', true, 'closed'],
      ['gcp.gemini', true, 'closed'],
      ['openai', false, 'open'],
    ]);
    expect(providers.find((p) => p.provider === 'openai')!.models).toEqual(
      expect.arrayContaining(['gpt-4o', 'o3-mini']),
    );

    // Fails fast while open…
    let job = (
      await app.inject({
        method: 'POST',
        url: '/v1/jobs?wait=true',
        payload: { tasks: [{ name: 'c', model: 'gpt-4o' }] },
      })
    ).json<JobRecord>();
    expect(job.tasks[0]!.errorType).toBe('circuit_open');
    // …until reset by hand.
    const reset = await app.inject({ method: 'POST', url: '/v1/breakers/openai/reset' });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ previousState: 'open', breaker: { state: 'closed', available: true } });
    expect(reset.json<{ breaker: Breaker }>().breaker.transitions).toMatchObject({
      'closed->open': 1,
      'open->closed': 1,
    });
    job = (
      await app.inject({
        method: 'POST',
        url: '/v1/jobs?wait=true',
        payload: { tasks: [{ name: 'd', model: 'gpt-4o' }] },
      })
    ).json<JobRecord>();
    expect(job.status).toBe('succeeded');
    const m = await metrics();
    const tr = (from: string, to: string) =>
      sample(m, 'aurea_circuit_breaker_transitions_total', {
        gen_ai_provider_name: 'openai',
        aurea_circuit_breaker_from: from,
        aurea_circuit_breaker_to: to,
      });
    expect([tr('closed', 'open'), tr('open', 'closed'), tr('open', 'half_open')]).toEqual([1, 1, 0]);

    all = (await app.inject({ method: 'GET', url: '/v1/breakers' })).json<{ breakers: Breaker[] }>().breakers;
    expect(all.every((b) => b.state === 'closed')).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/v1/breakers/nope' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/v1/breakers/nope/reset' })).statusCode).toBe(404);
  });

  it('with ORCH_ADMIN_TOKEN a reset needs the bearer token', async () => {
    const token = 'admin-token-0123456789';
    const { app } = await start({ ORCH_ADMIN_TOKEN: token });
    const url = '/v1/breakers/openai/reset';
    const none = await app.inject({ method: 'POST', url });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    const wrong = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}x` } });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}` } });
    expect(right.statusCode).toBe(200);
    expect(right.json()).toMatchObject({ previousState: 'closed', breaker: { state: 'closed' } });
    // Reading stays open.
    expect((await app.inject({ method: 'GET', url: '/v1/breakers' })).statusCode).toBe(200);
  });
});

describe('stages, job duration and the summary endpoint', () => {
  type HistSummary = { count: number; sum: number; p50: number | null; p95: number | null; p99: number | null };
  type Summary = {
    stages: Record<
      string,
      {
        requests: number;
        errors: number;
        errorTypes: Record<string, number>;
        shed: number | null;
        durationS: HistSummary;
      }
    >;
    jobs: { byStatus: Record<string, number>; durationS: HistSummary };
    tasks: { byStatus: Record<string, number> };
  };

  it('times admission, queue wait and dispatch per item, and each job end to end', async () => {
    const { app, runner } = await start({
      ORCH_CONCURRENCY: '1',
      ORCH_QUEUE_CAPACITY: '3',
      ORCH_CB_FAILURE_THRESHOLD: '1',
      ORCH_CB_COOLDOWN_MS: '60000',
      SIM_LATENCY_SCALE: '0.05',
    });
    const three = {
      id: 'staged',
      tasks: [0, 1, 2].map((i) => ({
        name: `t${i}`,
        model: 'gpt-4o-mini',
        synthetic: { inputTokens: 10, outputTokens: 50 },
      })),
    };
    const first = await app.inject({ method: 'POST', url: '/v1/jobs', payload: three });
    expect(first.statusCode).toBe(202);
    // Shed (3 + 2 tasks > 1 + 3) and invalid: both fail in admission.
    const shed = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        tasks: [
          { name: 'x', model: 'gpt-4o-mini' },
          { name: 'y', model: 'gpt-4o-mini' },
        ],
      },
    });
    expect(shed.statusCode).toBe(429);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/jobs', payload: { tasks: [{ name: 'z', model: 'gpt-17' }] } }))
        .statusCode,
    ).toBe(400);
    await runner.wait('staged');
    // One failing task opens the anthropic breaker (threshold 1); the next is refused at dispatch.
    await app.inject({
      method: 'POST',
      url: '/v1/jobs?wait=true',
      payload: {
        id: 'broken',
        tasks: [
          { name: 'a', model: 'claude-3-5-haiku', simulate: 'error' },
          { name: 'b', model: 'claude-3-5-haiku', dependsOn: ['a'] },
          { name: 'c', model: 'claude-3-5-haiku' },
        ],
      },
    });

    const r = await app.inject({ method: 'GET', url: '/v1/metrics/summary' });
    expect(r.statusCode).toBe(200);
    const s = r.json<Summary>();
    expect(s.stages.admission).toMatchObject({ requests: 4, errors: 2, errorTypes: { queue_full: 1, invalid_job: 1 } });
    // queue_wait: every task that ran (3 + 2; 'b' was skipped); dispatch: the same, one refused by the breaker.
    expect(s.stages.queue_wait!.requests).toBe(5);
    expect(s.stages.dispatch).toMatchObject({ requests: 5, errors: 1, errorTypes: { circuit_open: 1 }, shed: 1 });
    // With one worker, t1 and t2 waited for t0 (and t2 for t1): the waits add up to more than nothing.
    expect(s.stages.queue_wait!.durationS.sum).toBeGreaterThan(0);
    expect(s.jobs.byStatus).toEqual({ ok: 1, error: 1 });
    expect(s.jobs.durationS.count).toBe(2);
    expect(s.jobs.durationS.p50).toBeGreaterThan(0);
    expect(s.tasks.byStatus).toMatchObject({ ok: 3, error: 2 });

    // The same counts in the exported metrics.
    const m = await metrics();
    for (const [stage, n] of [
      ['admission', 4],
      ['queue_wait', 5],
      ['dispatch', 5],
    ] as const)
      expect(sample(m, 'aurea_stage_duration_count', { aurea_stage: stage }), stage).toBe(n);
    expect(sample(m, 'aurea_stage_duration_count', { aurea_stage: 'dispatch', error_type: 'circuit_open' })).toBe(1);
    expect(sample(m, 'aurea_job_duration_count', { aurea_job_status: 'ok' })).toBe(1);
    expect(sample(m, 'aurea_job_duration_count', { aurea_job_status: 'error' })).toBe(1);
    expect(m).toMatch(/aurea_stage_duration_bucket\{aurea_stage="queue_wait",[^}]*le="0\.001"\}/);
  });
});

describe('OpenAI-compatible HTTP provider through the orchestrator', () => {
  it('bills the usage the endpoint reports: cached and reasoning tokens split out once, priced as such', async () => {
    const usage = {
      prompt_tokens: 3000,
      completion_tokens: 900,
      prompt_tokens_details: { cached_tokens: 1200 },
      completion_tokens_details: { reasoning_tokens: 400 },
    };
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(
          `data: ${JSON.stringify({ model: 'o3-mini-2025-01-31', choices: [{ delta: { content: 'ok' } }] })}\n\n`,
        );
        res.write(`data: ${JSON.stringify({ model: 'o3-mini-2025-01-31', choices: [], usage })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const { app, publisher } = await start({ OPENAI_BASE_URL: base, OPENAI_MODELS: 'o3-mini' });
      const models = (await app.inject({ method: 'GET', url: '/v1/models' })).json<{
        models: { model: string; adapter: string }[];
      }>().models;
      expect(models.find((m) => m.model === 'o3-mini')?.adapter).toBe('openai-http');
      expect(models.find((m) => m.model === 'gpt-4o')?.adapter).toBe('simulated');
      const r = await app.inject({
        method: 'POST',
        url: '/v1/jobs?wait=true',
        payload: { id: 'http-job', tasks: [{ name: 'plan', model: 'o3-mini', prompt: 'Plan it' }] },
      });
      const job = r.json<JobRecord>();
      expect(job.status).toBe('succeeded');
      const want = expectedCost('openai', 'o3-mini', { input: 1800, output: 500, cacheRead: 1200, reasoning: 400 });
      expect(job.tasks[0]).toMatchObject({
        adapter: 'openai-http',
        responseModel: 'o3-mini-2025-01-31',
        usage: { input: 1800, output: 500, cacheRead: 1200, cacheWrite: 0, reasoning: 400 },
      });
      expect(job.tasks[0]!.costUsd).toBeCloseTo(want, 12);
      expect(publisher.events[0]!.usage).toMatchObject({
        input_tokens: 1800,
        output_tokens: 500,
        cache_read_tokens: 1200,
        cache_write_tokens: 0,
        reasoning_tokens: 400,
      });
      expect(publisher.events[0]!.cost_usd).toBeCloseTo(want, 12);
      expect(publisher.events[0]!.time_to_first_token_ms).toBeGreaterThan(0);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('probes', () => {
  it('/health is live; /ready turns 503 once the runner drains', async () => {
    const { app, runner } = await start();
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    await runner.drain(100);
    const r = await app.inject({ method: 'GET', url: '/ready' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'not_ready' });
  });
});
