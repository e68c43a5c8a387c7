// Budgets in the reference orchestrator (docs/orchestrator.md, "Budgets"), with the real SDK
// configured from the orchestrator's own configuration (budgetOptions): the SDK reads budgets from
// a real HTTP server answering GET /v1/budgets with the analytics API's documented response
// (docs/api.md). A task over a hard budget is refused before its provider is called (the
// provider counts its calls), the job shows it, the task event says `refused`, the metric counts it.
// gpt-4o-mini list price (openai.com/api/pricing): $0.15 in, $0.60 out per 1M tokens, so a task of
// 10,000 input and 1,000 output tokens costs 0.0015 + 0.0006 = 0.0021 USD.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@aurea/common';
import { MemoryPublisher, init, type Aurea } from '@aurea/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildOrchestrator, type Orchestrator } from './app.js';
import { budgetOptions, loadConfig } from './config.js';
import type { JobRecord, RunnerStats } from './jobs.js';
import { SimulatedProvider } from './providers/simulated.js';
import type { CompletionRequest, ProviderAdapter } from './providers/types.js';

/** The simulated provider, counting the calls that reach it. */
class CountingProvider implements ProviderAdapter {
  readonly kind = 'simulated';
  calls = 0;
  private readonly inner = new SimulatedProvider({
    seed: 'budget',
    failureRate: 0,
    timeoutRate: 0,
    latencyScale: 0.01,
  });
  supports(model: string) {
    return this.inner.supports(model);
  }
  providerOf(model: string) {
    return this.inner.providerOf(model);
  }
  complete(req: CompletionRequest) {
    this.calls++;
    return this.inner.complete(req);
  }
}

// The analytics API's answer: acme's monthly budget of $0.01 with $0.009 already spent.
let acmeSpend = '0.009000000';
let budgetsServer: Server;
let budgetsUrl = '';
beforeAll(async () => {
  budgetsServer = createServer((req, res) => {
    if (req.url !== '/v1/budgets' || req.headers.authorization !== 'Bearer budgets-read-key') {
      res.statusCode = req.url === '/v1/budgets' ? 401 : 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        currency: 'USD',
        as_of: new Date().toISOString(),
        budgets: [
          {
            name: 'acme-month',
            scope: 'tenant',
            value: 'acme',
            period: { type: 'calendar_month' },
            limit_usd: '0.010000000',
            spend_usd: acmeSpend,
          },
          {
            name: 'all-week',
            scope: 'global',
            value: null,
            period: { type: 'rolling', days: 7 },
            limit_usd: '1000.000000000',
            spend_usd: '1.000000000',
          },
        ],
      }),
    );
  });
  await new Promise<void>((r) => budgetsServer.listen(0, '127.0.0.1', r));
  budgetsUrl = `http://127.0.0.1:${(budgetsServer.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => budgetsServer.close(() => r())));

let aurea: Aurea | undefined;
let orch: Orchestrator | undefined;
afterEach(async () => {
  await orch?.runner.drain(2000);
  await orch?.app.close();
  await aurea?.shutdown({ deadlineMs: 1000 });
  orch = undefined;
  aurea = undefined;
});

async function start(env: Record<string, string>) {
  const config = loadConfig({ SIM_LATENCY_SCALE: '0.01', LOG_LEVEL: 'silent', ...env });
  const publisher = new MemoryPublisher();
  const provider = new CountingProvider();
  aurea = await init({
    serviceName: `orch-budget-${Math.random().toString(36).slice(2, 8)}`,
    otlp: false,
    kafka: false,
    prometheus: { enabled: true },
    publisher,
    budgets: budgetOptions(config),
  });
  orch = buildOrchestrator({ config, aurea, logger: createLogger('test', 'silent'), adapters: [provider] });
  await orch.app.ready();
  return { app: orch.app, publisher, provider, guard: aurea.budgets };
}

const SIZE = { inputTokens: 10_000, outputTokens: 1_000 };
const submit = async (app: Orchestrator['app'], body: Record<string, unknown>) => {
  const r = await app.inject({ method: 'POST', url: '/v1/jobs?wait=true', payload: body });
  expect(r.statusCode).toBe(200);
  return r.json<JobRecord>();
};
/** Sum of a Prometheus sample over the series whose labels include `labels`. */
async function sample(app: Orchestrator['app'], name: string, labels: Record<string, string>): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

describe('budgets in the orchestrator', () => {
  it('refuses a task over a hard budget before calling the provider; job, task event and metric show it', async () => {
    acmeSpend = '0.009000000';
    const { app, publisher, provider, guard } = await start({
      AUREA_BUDGETS_URL: budgetsUrl,
      AUREA_BUDGETS_API_KEY: 'budgets-read-key',
      AUREA_BUDGETS_REFRESH_MS: '60000',
    });
    await guard!.refresh();

    // $0.009 known < $0.01: runs, and brings acme's known spend to 0.009 + 0.0021 = 0.0111
    const first = await submit(app, {
      id: 'acme-1',
      tenant: 'acme',
      tasks: [{ name: 'plan', model: 'gpt-4o-mini', synthetic: SIZE }],
    });
    expect(first.status).toBe('succeeded');
    expect(provider.calls).toBe(1);

    const second = await submit(app, {
      id: 'acme-2',
      tenant: 'acme',
      tasks: [
        { name: 'draft', model: 'gpt-4o-mini', synthetic: SIZE },
        { name: 'review', model: 'gpt-4o-mini', synthetic: SIZE, dependsOn: ['draft'] },
      ],
    });
    expect(provider.calls).toBe(1); // no provider call for a refused task
    expect(second.status).toBe('refused');
    expect(second.costUsd).toBe(0);
    expect(second.tasks[0]).toMatchObject({
      name: 'draft',
      status: 'refused',
      errorType: 'BudgetExceededError',
      costUsd: 0,
      budget: { name: 'acme-month', scope: 'tenant', spendUsd: '0.011100000', limitUsd: '0.010000000' },
    });
    expect(second.tasks[0]!.error).toContain('acme-month');
    expect(second.tasks[1]).toMatchObject({ name: 'review', status: 'skipped' });
    const stored = await app.inject({ method: 'GET', url: '/v1/jobs/acme-2' });
    expect(stored.json<JobRecord>().tasks.map((t) => t.status)).toEqual(['refused', 'skipped']);
    expect(stored.json<JobRecord>().status).toBe('refused');

    // Another tenant is not limited by acme's budget.
    const other = await submit(app, {
      id: 'globex-1',
      tenant: 'globex',
      tasks: [{ name: 'plan', model: 'gpt-4o-mini', synthetic: SIZE }],
    });
    expect(other.status).toBe('succeeded');
    expect(provider.calls).toBe(2);

    const refusedEvents = publisher.events.filter((e) => e.job_id === 'acme-2');
    expect(refusedEvents).toHaveLength(1); // the skipped task made no event
    expect(refusedEvents[0]).toMatchObject({
      task_id: 'draft',
      tenant: 'acme',
      status: 'refused',
      error_type: 'BudgetExceededError',
      pricing_status: 'not_applicable',
      cost_usd: null,
      attributes: { 'aurea.budget.name': 'acme-month' },
    });
    expect(
      await sample(app, 'aurea_budget_refused_total', {
        aurea_budget_name: 'acme-month',
        aurea_budget_scope: 'tenant',
      }),
    ).toBe(1);
    const stats = (await app.inject({ method: 'GET', url: '/v1/stats' })).json<RunnerStats>();
    expect(stats).toMatchObject({ tasksRefused: 1, tasksFailed: 0, tasksFinished: 3 });
  });

  it('enforces only the budgets named in AUREA_BUDGETS_ENFORCE', async () => {
    acmeSpend = '0.500000000'; // over acme's limit
    const { app, provider, guard } = await start({
      AUREA_BUDGETS_URL: budgetsUrl,
      AUREA_BUDGETS_API_KEY: 'budgets-read-key',
      AUREA_BUDGETS_ENFORCE: 'all-week',
    });
    await guard!.refresh();
    const job = await submit(app, { tenant: 'acme', tasks: [{ name: 'a', model: 'gpt-4o-mini', synthetic: SIZE }] });
    expect(job.status).toBe('succeeded');
    expect(provider.calls).toBe(1);
  });

  it('budgets API unreachable: tasks run with allow (counted as unknown), are refused with deny', async () => {
    const down = 'http://127.0.0.1:9';
    const allow = await start({ AUREA_BUDGETS_URL: down, AUREA_BUDGETS_TIMEOUT_MS: '200' });
    const ok = await submit(allow.app, {
      tenant: 'acme',
      tasks: [{ name: 'a', model: 'gpt-4o-mini', synthetic: SIZE }],
    });
    expect(ok.status).toBe('succeeded');
    expect(allow.provider.calls).toBe(1);
    expect(await sample(allow.app, 'aurea_budget_unknown_total', { aurea_budget_policy: 'allow' })).toBe(1);
    await orch!.app.close();
    await aurea!.shutdown({ deadlineMs: 1000 });

    const deny = await start({ AUREA_BUDGETS_URL: down, AUREA_BUDGETS_WHEN_UNKNOWN: 'deny' });
    const refused = await submit(deny.app, {
      tenant: 'acme',
      tasks: [{ name: 'a', model: 'gpt-4o-mini', synthetic: SIZE }],
    });
    expect(deny.provider.calls).toBe(0);
    expect(refused).toMatchObject({
      status: 'refused',
      tasks: [{ status: 'refused', budget: { name: '_unknown', scope: '_unknown', spendUsd: null, limitUsd: null } }],
    });
  });

  it('configuration: no URL, no enforcement; bad values fail naming the variable', () => {
    expect(budgetOptions(loadConfig({}))).toBeUndefined();
    expect(
      budgetOptions(
        loadConfig({
          AUREA_BUDGETS_URL: 'http://api:8080',
          AUREA_BUDGETS_REFRESH_MS: '5000',
          AUREA_BUDGETS_ENFORCE: 'a, b',
        }),
      ),
    ).toEqual({ url: 'http://api:8080', refreshMs: 5000, timeoutMs: 2000, whenUnknown: 'allow', enforce: ['a', 'b'] });
    expect(() => loadConfig({ AUREA_BUDGETS_WHEN_UNKNOWN: 'maybe' })).toThrow(/AUREA_BUDGETS_WHEN_UNKNOWN/);
    expect(() => loadConfig({ AUREA_BUDGETS_URL: 'not a url' })).toThrow(/AUREA_BUDGETS_URL/);
  });
});
