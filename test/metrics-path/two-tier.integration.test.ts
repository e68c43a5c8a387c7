// The two-tier Collector topology (docs/collector.md, "Scaling out: two tiers"), started with the
// project's scripts on their own ports: scripts/stack/collector-tier.sh starts two guard Collectors
// (collector/config.yaml) and a routing Collector (collector/routing/config.yaml), and
// collector-instance.sh a second routing Collector with the same guard list. Clients spread over
// both routing instances with no affinity: six Aurea SDK clients (OpenTelemetry JS SDK underneath)
// of two services, a plain OpenTelemetry JS SDK client putting a job id on every point, and the raw
// OTLP client with ids of scenario.ts whose HTTP requests alternate between the two routers.
// Prometheus (private, the stack's flags) must show the exact totals of what was sent, one series
// per bounded label set, no id label; and both guard instances must have received streams.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { init } from '@aurea/sdk';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, uniqueName } from '../stack/helpers.js';
import { PrivateProcesses, REPO_ROOT, freePort, promInstant } from './binaries.js';
import { sendRawScenario, type Expected } from './scenario.js';

const run = promisify(execFile);
const procs = new PrivateProcesses();
const runDir = mkdtempSync(join(tmpdir(), 'aurea-two-tier-'));
// Guard instances on fixed ports (the script's default base): the consistent-hash ring depends on
// the guards' endpoints, so with these the spread of the clients below is the same on every run.
const GUARDS = 2;
const PORT_BASE = 24310;
let env: Record<string, string> = {};
let routers: string[] = [];
let prom: { url: string; port: number };

async function script(name: string, args: string[], extra: Record<string, string> = {}): Promise<void> {
  await run('bash', [join(REPO_ROOT, 'scripts/stack', name), ...args], { env: { ...process.env, ...env, ...extra } });
}

beforeAll(async () => {
  prom = await procs.startPrometheus();
  const ports = async () => ({
    OTELCOL_GRPC_PORT: String(await freePort()),
    OTELCOL_HTTP_PORT: String(await freePort()),
    OTELCOL_HEALTH_PORT: String(await freePort()),
    OTELCOL_METRICS_PORT: String(await freePort()),
  });
  env = {
    AUREA_RUN_DIR: runDir,
    PROMETHEUS_PORT: String(prom.port),
    OTELCOL_TIER_GUARDS: String(GUARDS),
    OTELCOL_TIER_PORT_BASE: String(PORT_BASE),
    ...(await ports()),
  };
  await script('collector-tier.sh', ['start']);
  const second = await ports();
  const guards = Array.from({ length: GUARDS }, (_, i) => `127.0.0.1:${PORT_BASE + 10 * i}`);
  await script('collector-instance.sh', ['start', 'routing', 'routing-2'], {
    ...second,
    OTELCOL_GUARD_ENDPOINTS: `[${guards.join(',')}]`,
  });
  routers = [`http://127.0.0.1:${env.OTELCOL_HTTP_PORT}`, `http://127.0.0.1:${second.OTELCOL_HTTP_PORT}`];
});

afterAll(async () => {
  await script('collector-instance.sh', ['stop', 'routing-2']).catch(() => undefined);
  await script('collector-tier.sh', ['stop']).catch(() => undefined);
  await procs.stop();
  rmSync(runDir, { recursive: true, force: true });
});

async function byLabels(expr: string, labels: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await promInstant(prom.url, expr))
    out[labels.map((l) => s.metric[l] ?? '').join('|')] = Number(s.value[1]);
  return out;
}

describe('two Collector tiers: routing by service and instance, the guard behind', () => {
  const services = [uniqueName('tier-sdk-a'), uniqueName('tier-sdk-b')];
  const rawServices = [uniqueName('tier-raw-a'), uniqueName('tier-raw-b')];
  const otelService = uniqueName('tier-otel');
  // Expected from the calls made: service|model → cost in micro-USD (integer prices per 1M tokens).
  const sdkCost: Record<string, number> = {};
  const sdkTasks: Record<string, number> = {};
  const raw: Expected[] = [];
  const otelExpected: Record<string, number> = {};

  it('clients of both kinds send through both routing instances', async () => {
    const prices = { 'model-x': { input: 2, output: 8 }, 'model-y': { input: 5, output: 20 } } as const;
    const clients = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        init({
          serviceName: services[i % 2]!,
          resourceAttributes: { 'service.instance.id': `client-${i}` },
          otlp: { endpoint: routers[i % 2]!, exportIntervalMs: 400 },
          kafka: false,
          logger: { warn: () => undefined, error: () => undefined },
          priceTable: {
            version: 'two-tier-test-1',
            extends: false,
            models: Object.entries(prices).map(([model, p]) => ({
              provider: 'openai',
              model,
              ...p,
              effective_from: '2020-01-01',
            })),
          },
        }),
      ),
    );
    for (let k = 0; k < 240; k++) {
      const i = k % clients.length;
      const model = Math.floor(k / clients.length) % 3 === 0 ? 'model-y' : 'model-x';
      const input = 50 + (k % 11) * 10;
      const output = 5 + (k % 4) * 3;
      const key = `${services[i % 2]}|${model}`;
      sdkCost[key] = (sdkCost[key] ?? 0) + input * prices[model].input + output * prices[model].output;
      sdkTasks[key] = (sdkTasks[key] ?? 0) + 1;
      await clients[i]!.monitorTask({ jobId: `job-${k}`, taskName: 'answer', provider: 'openai', model }, (ctx) => {
        ctx.recordUsage({ input, output });
        return Promise.resolve(k);
      });
    }

    // A plain OpenTelemetry JS SDK client that puts a job id on every point of its counter.
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': otelService, 'service.instance.id': 'otel-1' }),
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${routers[1]}/v1/metrics` }),
          exportIntervalMillis: 300,
        }),
      ],
    });
    const counter = provider.getMeter('two-tier-test').createCounter('aurea.test.requests', { unit: '{request}' });
    for (let k = 0; k < 120; k++) {
      const route = k % 4 === 0 ? '/b' : '/a';
      counter.add(k % 5, { 'http.route': route, 'aurea.job.id': `job-${k % 17}`, 'user.id': `u-${k % 3}` });
      otelExpected[route] = (otelExpected[route] ?? 0) + (k % 5);
      if (k % 30 === 29) await new Promise((r) => setTimeout(r, 400));
    }

    for (const s of rawServices) raw.push(await sendRawScenario(routers, s));
    await Promise.all([...clients.map((c) => c.shutdown({ deadlineMs: 5000 })), provider.shutdown()]);
    expect(raw.map((r) => r.requests)).toEqual([6, 6]);
  });

  it('Prometheus shows the exact totals of every client', async () => {
    const sdkSel = `job=~"${services.join('|')}"`;
    const costExpr = `sum by (job, gen_ai_request_model) (aurea_llm_cost_USD_total{${sdkSel}})`;
    const wantCost = Object.fromEntries(Object.entries(sdkCost).map(([k, v]) => [k, v / 1e6]));
    await eventually(
      'SDK cost totals',
      async () => {
        const got = await byLabels(costExpr, ['job', 'gen_ai_request_model']);
        return Object.entries(wantCost).every(([k, v]) => Math.abs((got[k] ?? NaN) - v) < 1e-9) ? true : undefined;
      },
      30_000,
    ).catch(async (e: unknown) => {
      expect(await byLabels(costExpr, ['job', 'gen_ai_request_model'])).toEqual(wantCost);
      throw e;
    });
    expect(
      await byLabels(`sum by (job, gen_ai_request_model) (aurea_tasks_total{${sdkSel}})`, [
        'job',
        'gen_ai_request_model',
      ]),
    ).toEqual(sdkTasks);

    for (const [i, s] of rawServices.entries()) {
      const exp = raw[i]!;
      const sel = `{job="${s}"}`;
      await eventually('raw client totals', async () => {
        const cost = await byLabels(`aurea_llm_cost_USD_total${sel}`, ['gen_ai_provider_name', 'gen_ai_request_model']);
        const tokens = await byLabels(`aurea_llm_tokens_total${sel}`, ['gen_ai_provider_name', 'gen_ai_request_model']);
        const same = (a: Record<string, number>, b: Map<string, number>) =>
          Object.keys(a).length === b.size && [...b].every(([k, v]) => a[k] === v);
        return same(cost, exp.cost) && same(tokens, exp.tokens) ? true : undefined;
      });
      expect(
        await byLabels(`gen_ai_client_operation_duration_seconds_count${sel}`, [
          'gen_ai_provider_name',
          'gen_ai_request_model',
        ]),
      ).toEqual(Object.fromEntries(exp.histCount));
    }

    await eventually('OTel JS client totals', async () => {
      const got = await byLabels(`aurea_test_requests_total{job="${otelService}"}`, ['http_route']);
      return got['/a'] === otelExpected['/a'] && got['/b'] === otelExpected['/b'] ? true : undefined;
    });
    expect(await byLabels(`aurea_test_requests_total{job="${otelService}"}`, ['http_route'])).toEqual(otelExpected);
  });

  it('one series per bounded label set, no id label, and both guard instances carried streams', async () => {
    const jobs = [...services, ...rawServices, otelService].join('|');
    const all = await promInstant(prom.url, `{job=~"${jobs}",__name__!="target_info"}`);
    const seen = new Set<string>();
    for (const s of all) {
      const key = JSON.stringify(Object.entries(s.metric).sort());
      expect(seen.has(key), `duplicate series ${key}`).toBe(false);
      seen.add(key);
    }
    const labels = new Set(all.flatMap((s) => Object.keys(s.metric)));
    expect([...labels].filter((l) => /(^|_)id$/.test(l))).toEqual([]);
    // Exactly one cost series per (service, instance, model, provider, task) for the SDK clients.
    const perInstance = await promInstant(
      prom.url,
      `count by (job, instance, gen_ai_request_model) (aurea_llm_cost_USD_total{job=~"${services.join('|')}"})`,
    );
    expect(perInstance.every((s) => s.value[1] === '1')).toBe(true);
    expect(perInstance.length).toBe(12); // 6 instances × 2 models
    // Each guard instance's own receiver counted points: the routing key spread the clients.
    for (let g = 0; g < GUARDS; g++) {
      const text = await (await fetch(`http://127.0.0.1:${PORT_BASE + 10 * g + 3}/metrics`)).text();
      const accepted = [...text.matchAll(/^otelcol_receiver_accepted_metric_points(?:_total)?\{[^}]*\} (\S+)$/gm)]
        .map((m) => Number(m[1]))
        .reduce((a, b) => a + b, 0);
      expect(accepted, `guard-${g} received points`).toBeGreaterThan(0);
    }
  });
});
