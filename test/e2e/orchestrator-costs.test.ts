// End to end on the real stack: jobs go into the orchestrator's HTTP API; the SDK sends task
// events to Kafka and metrics through the Collector into Prometheus; services/local (consumer +
// analytics API on the embedded ClickHouse engine) stores and serves them. The SDK prices with a
// price file this test writes (docs/pricing.md, "Price file"); expected costs are computed here
// from the same numbers, in integer nano-dollars (every price is a whole number of nano-dollars per
// token), so the comparison is exact:
//   - analytics API: each job's cost_usd and the per-model attribution, decimal strings, equal;
//   - Prometheus (http://127.0.0.1:9090/api/v1/query, aurea_llm_cost_USD_total): the total and
//     per-model sums, equal at nano-dollar precision (Prometheus stores float64).
// Needs the stack (npm run stack:start). Unique topic, consumer group, service name, temp data dir.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '@aurea/common';
import { run as aureaCli } from '@aurea/cli';
import { startLocal, type LocalHandle } from '@aurea/local';
import { buildOrchestrator, loadConfig, type JobRecord, type Orchestrator } from '@aurea/orchestrator';
import { init, type Aurea } from '@aurea/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PROMETHEUS = process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:9090';
const OTLP = process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318';
const RUN = `e2e-orch-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
const TOPIC = `${RUN}.task-events`;
const DLQ = `${RUN}.dlq`;
const SERVICE = RUN;

// ---- independent expected costs -------------------------------------------------------------

const PROVIDER: Record<string, string> = {
  'gpt-4o': 'openai',
  'gpt-4o-mini': 'openai',
  'o3-mini': 'openai',
  'claude-3-7-sonnet': 'anthropic',
  'claude-3-5-haiku': 'anthropic',
  'gemini-2.0-flash': 'gcp.gemini',
};

/** USD per 1M tokens, chosen for this test (not the catalog's): whole nano-dollars per token. */
interface Price {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  reasoning: number;
}
const PRICES: Record<string, Price> = {
  'gpt-4o': { input: 2.5, output: 10, cache_read: 1.25, cache_write: 2.5, reasoning: 10 },
  'gpt-4o-mini': { input: 0.15, output: 0.6, cache_read: 0.075, cache_write: 0.15, reasoning: 0.6 },
  'o3-mini': { input: 1.1, output: 4.4, cache_read: 0.55, cache_write: 1.1, reasoning: 4.4 },
  'claude-3-7-sonnet': { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75, reasoning: 15 },
  'claude-3-5-haiku': { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1, reasoning: 4 },
  'gemini-2.0-flash': { input: 0.1, output: 0.4, cache_read: 0.025, cache_write: 0.1, reasoning: 0.4 },
};
const PRICE_FILE = {
  version: `${RUN}-prices`,
  extends: false as const,
  models: Object.entries(PRICES).map(([model, p]) => ({
    id: model,
    provider: PROVIDER[model]!,
    model,
    effective_from: '2020-01-01',
    ...Object.fromEntries(Object.entries(p).map(([k, v]) => [k, String(v)])),
  })),
};

/** Nano-dollars per token for a USD-per-1M-token price (must be whole: checked). */
function nanoPerToken(usdPerMillion: number): bigint {
  const n = usdPerMillion * 1000;
  const r = Math.round(n);
  if (Math.abs(n - r) > 1e-9) throw new Error(`price ${usdPerMillion} is not a whole number of nano-dollars per token`);
  return BigInt(r);
}

interface Size {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  reasoningTokens?: number;
}

function expectedNanos(model: string, s: Size): bigint {
  const p = PRICES[model]!;
  return (
    BigInt(s.inputTokens) * nanoPerToken(p.input) +
    BigInt(s.outputTokens) * nanoPerToken(p.output) +
    BigInt(s.cacheReadTokens ?? 0) * nanoPerToken(p.cache_read) +
    BigInt(s.cacheWriteTokens ?? 0) * nanoPerToken(p.cache_write) +
    BigInt(s.reasoningTokens ?? 0) * nanoPerToken(p.reasoning)
  );
}

/** 123456789n → "0.123456789" (the API's money format: 9 decimals). */
function usd9(nanos: bigint): string {
  const s = nanos.toString().padStart(10, '0');
  return `${s.slice(0, -9)}.${s.slice(-9)}`;
}

// ---- the jobs -----------------------------------------------------------------------------------

interface TaskIn {
  name: string;
  model: string;
  synthetic: Size;
  dependsOn?: string[];
  simulate?: 'ok' | 'error';
}
interface JobIn {
  id: string;
  tenant: string;
  user: string;
  repository: string;
  tasks: TaskIn[];
}

const JOBS: JobIn[] = [
  {
    id: `${RUN}-review`,
    tenant: 'acme',
    user: 'alice',
    repository: 'acme/web',
    tasks: [
      {
        name: 'summarize-diff',
        model: 'gpt-4o-mini',
        synthetic: { inputTokens: 5321, outputTokens: 417, cacheReadTokens: 1024 },
      },
      {
        name: 'review',
        model: 'claude-3-7-sonnet',
        synthetic: { inputTokens: 8123, outputTokens: 1311, cacheReadTokens: 2048, cacheWriteTokens: 777 },
        dependsOn: ['summarize-diff'],
      },
      {
        name: 'security-scan',
        model: 'gpt-4o',
        synthetic: { inputTokens: 6007, outputTokens: 523, cacheReadTokens: 1500 },
        dependsOn: ['summarize-diff'],
      },
      {
        name: 'final-comment',
        model: 'gpt-4o-mini',
        synthetic: { inputTokens: 1999, outputTokens: 301 },
        dependsOn: ['review', 'security-scan'],
      },
    ],
  },
  {
    id: `${RUN}-research`,
    tenant: 'globex',
    user: 'greta',
    repository: 'globex/search',
    tasks: [
      {
        name: 'plan',
        model: 'o3-mini',
        synthetic: { inputTokens: 2222, outputTokens: 333, cacheReadTokens: 111, reasoningTokens: 1777 },
      },
      {
        name: 'search-1',
        model: 'gemini-2.0-flash',
        synthetic: { inputTokens: 12345, outputTokens: 678, cacheReadTokens: 4000 },
        dependsOn: ['plan'],
      },
      {
        name: 'search-2',
        model: 'gemini-2.0-flash',
        synthetic: { inputTokens: 9876, outputTokens: 543 },
        dependsOn: ['plan'],
      },
      {
        name: 'synthesize',
        model: 'claude-3-7-sonnet',
        synthetic: { inputTokens: 7000, outputTokens: 2100, cacheWriteTokens: 3000 },
        dependsOn: ['search-1', 'search-2'],
      },
    ],
  },
  {
    // A failed task costs nothing and its dependent never runs; the rest is billed.
    id: `${RUN}-partial`,
    tenant: 'initech',
    user: 'peter',
    repository: 'initech/payroll',
    tasks: [
      {
        name: 'classify',
        model: 'claude-3-5-haiku',
        synthetic: { inputTokens: 1500, outputTokens: 90, cacheReadTokens: 600, cacheWriteTokens: 200 },
      },
      { name: 'draft', model: 'gpt-4o', synthetic: { inputTokens: 3000, outputTokens: 800 }, simulate: 'error' },
      {
        name: 'polish',
        model: 'gpt-4o-mini',
        synthetic: { inputTokens: 900, outputTokens: 200 },
        dependsOn: ['draft'],
      },
    ],
  },
];

/** Tasks that produce a task event (run), their expected cost (0 for a failed call). */
function expectedTasks(job: JobIn): { task: TaskIn; nanos: bigint; ran: boolean }[] {
  const failed = new Set<string>();
  return job.tasks.map((t) => {
    const blocked = (t.dependsOn ?? []).some((d) => failed.has(d));
    if (t.simulate === 'error' || blocked) failed.add(t.name);
    const ran = !blocked;
    return { task: t, ran, nanos: ran && t.simulate !== 'error' ? expectedNanos(t.model, t.synthetic) : 0n };
  });
}

// ---- helpers ------------------------------------------------------------------------------------

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: r.status, body: (await r.json()) as T };
}

async function prom(query: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const u = new URL('/api/v1/query', PROMETHEUS);
  u.searchParams.set('query', query);
  const { body } = await getJson<{
    status: string;
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  }>(u.toString());
  expect(body.status).toBe('success');
  return body.data.result;
}

// ---- the run ------------------------------------------------------------------------------------

let dataDir: string;
let local: LocalHandle | undefined;
let aurea: Aurea | undefined;
let orch: Orchestrator | undefined;
let orchUrl: string;
const results = new Map<string, JobRecord>();

beforeAll(async () => {
  const kafka = new Kafka({ clientId: RUN, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: TOPIC, numPartitions: 3 },
      { topic: DLQ, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();

  dataDir = await mkdtemp(join(tmpdir(), 'aurea-e2e-orch-'));
  local = await startLocal({
    ...process.env,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: '0',
    API_AUTH: 'disabled',
    CLICKHOUSE_URL: undefined,
    CLICKHOUSE_DATA_DIR: join(dataDir, 'ch'),
    CONSUMER_TOPIC: TOPIC,
    CONSUMER_DLQ_TOPIC: DLQ,
    CONSUMER_GROUP_ID: RUN,
    AUREA_LOCAL_SERVICE_NAME: `${RUN}-local`,
    AUREA_LOCAL_OTLP: 'false',
    // This test is about SDK events; the span path has its own (services/span-bridge).
    AUREA_LOCAL_SPAN_BRIDGE: 'false',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });

  const config = loadConfig({
    LOG_LEVEL: 'warn',
    SIM_LATENCY_SCALE: '0.05',
    SIM_FAILURE_RATE: '0',
    SIM_TIMEOUT_RATE: '0',
    ORCH_PORT: '0',
    AUREA_SERVICE_NAME: SERVICE,
  });
  aurea = await init({
    serviceName: SERVICE,
    priceTable: PRICE_FILE,
    environment: 'e2e',
    otlp: { endpoint: OTLP, exportIntervalMs: 1000 },
    kafka: { brokers: BROKERS, topic: TOPIC, clientId: SERVICE },
    prometheus: { enabled: true },
  });
  orch = buildOrchestrator({ config, aurea, logger: createLogger(SERVICE, 'warn') });
  await orch.app.listen({ host: '127.0.0.1', port: 0 });
  orchUrl = `http://127.0.0.1:${(orch.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await orch?.runner.drain(5000);
  await orch?.app.close();
  await aurea?.shutdown({ deadlineMs: 5000 });
  await local?.stop();
  const kafka = new Kafka({ clientId: RUN, brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await admin.disconnect();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('orchestrator → SDK → Kafka/Collector → ClickHouse/Prometheus: costs are exact', () => {
  it('runs the jobs through the orchestrator’s HTTP API', async () => {
    const submitted = await Promise.all(
      JOBS.map((j) =>
        fetch(`${orchUrl}/v1/jobs?wait=true`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(j),
        }).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as JobRecord,
        })),
      ),
    );
    for (const [i, r] of submitted.entries()) {
      expect(r.status).toBe(200);
      const job = JOBS[i]!;
      const exp = expectedTasks(job);
      expect(r.body.status).toBe(exp.every((t) => t.ran && t.task.simulate !== 'error') ? 'succeeded' : 'failed');
      r.body.tasks.forEach((t, k) => {
        expect(t.status).toBe(!exp[k]!.ran ? 'skipped' : exp[k]!.task.simulate === 'error' ? 'error' : 'ok');
      });
      // The orchestrator's own view of cost (same price table) agrees at nano-dollar precision.
      expect(Math.round(r.body.costUsd * 1e9)).toBe(Number(exp.reduce((s, t) => s + t.nanos, 0n)));
      results.set(job.id, r.body);
    }
  });

  it('the analytics API reports each job’s cost exactly, with its tokens and tasks', async () => {
    expect(results.size).toBe(JOBS.length);
    for (const job of JOBS) {
      const exp = expectedTasks(job);
      const ran = exp.filter((t) => t.ran);
      type Summary = {
        cost_usd: string;
        tasks: number;
        failed_tasks: number;
        tenants: string[];
        repositories: string[];
        users: string[];
        tokens: Record<string, number> & { total: number };
      };
      const summary = await eventually(`job ${job.id} in ClickHouse`, async () => {
        const r = await getJson<Summary>(`${local!.apiUrl}/v1/jobs/${encodeURIComponent(job.id)}`);
        return r.status === 200 && r.body.tasks === ran.length ? r.body : undefined;
      });
      expect(summary.cost_usd).toBe(usd9(ran.reduce((s, t) => s + t.nanos, 0n)));
      expect(summary.failed_tasks).toBe(ran.filter((t) => t.task.simulate === 'error').length);
      expect(summary.tenants).toEqual([job.tenant]);
      expect(summary.repositories).toEqual([job.repository]);
      expect(summary.users).toEqual([job.user]);
      const billed = ran.filter((t) => t.task.simulate !== 'error').map((t) => t.task.synthetic);
      // The simulated calls use the five text token types; the others (audio, image, 1-hour cache
      // writes) are zero.
      expect(summary.tokens).toMatchObject({
        input: billed.reduce((s, x) => s + x.inputTokens, 0),
        output: billed.reduce((s, x) => s + x.outputTokens, 0),
        cache_read: billed.reduce((s, x) => s + (x.cacheReadTokens ?? 0), 0),
        cache_write: billed.reduce((s, x) => s + (x.cacheWriteTokens ?? 0), 0),
        reasoning: billed.reduce((s, x) => s + (x.reasoningTokens ?? 0), 0),
      });
      const other = Object.entries(summary.tokens).filter(
        ([k]) => !['input', 'output', 'cache_read', 'cache_write', 'reasoning', 'total'].includes(k),
      );
      expect(other.every(([, v]) => v === 0)).toBe(true);
      expect(summary.tokens.total).toBe(
        billed.reduce(
          (s, x) =>
            s +
            x.inputTokens +
            x.outputTokens +
            (x.cacheReadTokens ?? 0) +
            (x.cacheWriteTokens ?? 0) +
            (x.reasoningTokens ?? 0),
          0,
        ),
      );
    }
    // Attribution by model for this service: every model's cost, exact.
    const byModel = new Map<string, bigint>();
    for (const job of JOBS)
      for (const t of expectedTasks(job))
        if (t.ran) byModel.set(t.task.model, (byModel.get(t.task.model) ?? 0n) + t.nanos);
    const attr = await getJson<{ rows: { group: { model: string | null }; cost_usd: string }[] }>(
      `${local!.apiUrl}/v1/attribution?service=${encodeURIComponent(SERVICE)}&group_by=model&bucket=none`,
    );
    expect(attr.status).toBe(200);
    expect(Object.fromEntries(attr.body.rows.map((r) => [r.group.model, r.cost_usd]))).toEqual(
      Object.fromEntries([...byModel].map(([m, n]) => [m, usd9(n)])),
    );
  });

  it('Prometheus holds the same cost in aurea_llm_cost_USD_total, in total and per model', async () => {
    let total = 0n;
    const byModel = new Map<string, bigint>();
    for (const job of JOBS)
      for (const t of expectedTasks(job))
        if (t.ran && t.nanos > 0n) {
          total += t.nanos;
          byModel.set(t.task.model, (byModel.get(t.task.model) ?? 0n) + t.nanos);
        }
    const sel = `{job="${SERVICE}"}`;
    const got = await eventually(
      'the cost counter in Prometheus',
      async () => {
        const r = await prom(`sum(aurea_llm_cost_USD_total${sel})`);
        const v = r[0] ? Math.round(Number(r[0].value[1]) * 1e9) : undefined;
        return v === Number(total) ? v : undefined;
      },
      90_000,
    );
    expect(got).toBe(Number(total));
    const per = await prom(`sum by (gen_ai_request_model) (aurea_llm_cost_USD_total${sel})`);
    expect(
      Object.fromEntries(per.map((s) => [s.metric.gen_ai_request_model, Math.round(Number(s.value[1]) * 1e9)])),
    ).toEqual(Object.fromEntries([...byModel].map(([m, n]) => [m, Number(n)])));
    // The ids stayed out of Prometheus: no series of this service carries a job or tenant id.
    const ids = await prom(
      `count({job="${SERVICE}", __name__=~"aurea_.*", tenant!=""} or {job="${SERVICE}", __name__=~"aurea_.*", job_id!=""})`,
    );
    expect(ids).toEqual([]);
  });

  it('the aurea CLI prints the same costs as tables', async () => {
    const review = JOBS[0]!;
    const nanos = expectedTasks(review).reduce((s, t) => s + t.nanos, 0n);
    const job = await aureaCli(['job', review.id, '--api', local!.apiUrl]);
    expect(job.code).toBe(0);
    expect(job.out).toContain(`job         ${review.id}`);
    expect(job.out).toContain(`cost        $${(Number(nanos) / 1e9).toFixed(4)}`);
    for (const t of review.tasks) expect(job.out).toMatch(new RegExp(`^${t.name}\\s+1\\s+0\\s`, 'm'));

    const costs = await aureaCli(['costs', '--by', 'model', '--service', SERVICE, '--api', local!.apiUrl]);
    expect(costs.code).toBe(0);
    const lines = costs.out.split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+JOBS\s+TASKS\s+FAILED\s+TOKENS\s+COST\s+SHARE$/);
    const models = new Set(
      JOBS.flatMap((j) =>
        expectedTasks(j)
          .filter((t) => t.ran)
          .map((t) => t.task.model),
      ),
    );
    expect(
      lines
        .slice(2)
        .filter((l) => /^[a-z]/.test(l) && !l.startsWith('total'))
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual([...models].sort());
    let total = 0n;
    for (const j of JOBS) for (const t of expectedTasks(j)) total += t.nanos;
    expect(costs.out).toContain(`total $${(Number(total) / 1e9).toFixed(4)}`);

    const jobs = await aureaCli(['jobs', '--api', local!.apiUrl, '--service', SERVICE]);
    expect(jobs.code).toBe(0);
    // Sorted by cost, most expensive first.
    const order = JOBS.map((j) => ({ id: j.id, n: expectedTasks(j).reduce((s, t) => s + t.nanos, 0n) })).sort((a, b) =>
      b.n > a.n ? 1 : b.n < a.n ? -1 : 0,
    );
    expect(
      jobs.out
        .split('\n')
        .slice(2)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(order.map((o) => o.id));

    const missing = await aureaCli(['job', 'no-such-job', '--api', local!.apiUrl]);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/404/);
  });
});
