// Every panel target of every Aurea board, run the way Grafana runs it, returns data:
// - Prometheus boards against the live Prometheus, fed through the real path in this test:
//   a workload instrumented with @aurea/sdk (unique service name) exports OTLP/HTTP to the
//   Collector, which pushes to Prometheus's OTLP receiver;
// - ClickHouse boards against the embedded engine (temp data dir, the repo's migrations)
//   holding task events valid against the v1 contract, with the plugin's macros and the
//   variables expanded as the plugin expands them.
// Variables are resolved by running their own queries; each board runs with "All" and with
// specific selections, so the filters are exercised too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import type { NormalizedTaskEvent, TaskEventV1 } from '@aurea/events';
import { allBoards } from './src/boards/index.js';
import {
  dataPanels,
  hasData,
  resolveVariables,
  runAnnotations,
  runBoard,
  type Backends,
  type TargetResult,
} from './src/run-targets.js';
import { loadTaskEvents, pushGauge, sampleTaskEvents } from './src/pipeline-data.js';
import { runSdkWorkload } from './src/sdk-workload.js';

const PROMETHEUS = `http://127.0.0.1:${process.env.PROMETHEUS_PORT ?? '9090'}`;
const OTLP = `http://127.0.0.1:${process.env.OTELCOL_HTTP_PORT ?? '4318'}`;
const boards = allBoards();
const board = (uid: string) => Object.values(boards).find((b) => b.uid === uid)!;
const targetCount = (uid: string) => dataPanels(board(uid)).reduce((n, p) => n + (p.targets?.length ?? 0), 0);

function expectAllData(results: TargetResult[], expected: number) {
  expect(results).toHaveLength(expected);
  const empty = results.filter((r) => !hasData(r)).map((r) => `${r.panel} [${r.refId}]: ${r.query}`);
  expect(empty, `targets without data:\n${empty.join('\n')}`).toEqual([]);
}

async function promValue(expr: string): Promise<number | undefined> {
  const res = await fetch(`${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

// One SDK run feeds both paths: its metrics go to the Collector, its task events to ClickHouse.
const service = `grafana-proof-${Date.now().toString(36)}`;
/** The workload's service.version: a version Prometheus has not seen for the service (a deployment). */
const version = `1.${Date.now() % 1000}.0`;
let sdkEvents: TaskEventV1[] = [];
let sdkCalls = 0;

/** Series the boards read that rule groups (every 30 s or 1 min) record, and the alert an unpriced model raises. */
const ruleOutputs = () => [
  `aurea:aurea_stage_duration_seconds:p95_5m{job="${service}"}`,
  `aurea:aurea_job_duration_seconds:p95_5m{job="${service}"}`,
  `aurea:aurea_task_duration_seconds:p95_5m{job="${service}"}`,
  `aurea:slo_task_errors:ratio_rate5m{job="${service}"}`,
  `aurea:slo_task_slow:ratio_rate3d{job="${service}"}`,
  `ALERTS{alertname="AureaCostUnpriced", alertstate="firing", job="${service}"}`,
];

beforeAll(async () => {
  const t0 = Date.now();
  // The workload runs until the rule groups have recorded its series (prometheus/rules) and the
  // unpriced-model alert fires, so the boards' rates over the last minute and the recorded series
  // both have data when the boards are run, as on a dashboard watching a live service.
  let recorded = false;
  const poll = (async () => {
    for (;;) {
      const found = await Promise.all(ruleOutputs().map((q) => promValue(q)));
      if (found.every((v) => v !== undefined)) return (recorded = true);
      if (Date.now() - t0 > 170_000) return false;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  })();
  const run = await runSdkWorkload({
    serviceName: service,
    otlpEndpoint: OTLP,
    durationMs: 8_000,
    until: () => recorded,
    maxDurationMs: 180_000,
    extra: { serviceVersion: version },
  });
  sdkEvents = run.events;
  sdkCalls = run.calls;
  expect(await poll, `rule outputs never appeared: ${ruleOutputs().join(', ')}`).toBe(true);
  // The consumer's lag gauge, as services/consumer reports it through its own meter.
  await pushGauge(OTLP, {
    service: `${service}-consumer`,
    name: 'aurea.consumer.lag',
    unit: '{message}',
    value: 3,
    attributes: { 'messaging.destination.partition.id': '0' },
  });
  // Wait until the SDK's final export is queryable (Collector batch + Prometheus append).
  const deadline = Date.now() + 30_000;
  for (;;) {
    // The call-duration histogram counts every call (the final export is in when it equals them).
    const calls = await promValue(`sum(gen_ai_client_operation_duration_seconds_count{job="${service}"})`);
    const tasks = await promValue(`sum(aurea_tasks_total{job="${service}"})`);
    const lag = await promValue(`sum(aurea_consumer_lag{job="${service}-consumer"})`);
    if (calls === sdkCalls && tasks !== undefined && lag !== undefined) break;
    if (Date.now() > deadline)
      throw new Error(
        `SDK metrics incomplete in Prometheus: ${calls} of ${sdkCalls} calls, tasks ${tasks}, lag ${lag}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
  // Range queries are evaluated at multiples of the step (15 s); make sure one such instant
  // falls after the first recorded samples, as it always does on a dashboard watching live data.
  const firstStep = Math.ceil(Date.now() / 15_000) * 15_000;
  await new Promise((r) => setTimeout(r, Math.max(0, firstStep + 1_000 - Date.now())));
  expect(Date.now() - t0).toBeLessThan(240_000);
}, 270_000);

describe('Prometheus boards against the live pipeline (@aurea/sdk → Collector → Prometheus)', () => {
  const backends: Backends = { prometheusUrl: PROMETHEUS, scrapeIntervalS: 15 };
  const range = () => ({ from: new Date(Date.now() - 15 * 60_000), to: new Date() });

  for (const uid of ['aurea-operations', 'aurea-llm-cost', 'aurea-slo']) {
    it(`${uid}: every target returns data for the test service (other variables All)`, async () => {
      const { vars, results } = await runBoard(board(uid), backends, range(), { service: [service] });
      expect(vars.service!.options).toContain(service);
      expectAllData(results, targetCount(uid));
    });
  }

  for (const uid of ['aurea-operations', 'aurea-llm-cost']) {
    it(`${uid}: every target returns data with provider and model selected (regex-escaped values)`, async () => {
      const { vars, results } = await runBoard(board(uid), backends, range(), {
        service: [service],
        provider: ['anthropic', 'openai', 'self_hosted'],
        model: ['claude-3-sonnet', 'gpt-3.5-turbo', 'llama-3-70b-instruct'],
      });
      expect(vars.model!.options).toEqual(expect.arrayContaining(['claude-3-sonnet', 'gpt-3.5-turbo', 'gpt-4']));
      expectAllData(results, targetCount(uid));
      if (uid === 'aurea-llm-cost') {
        // The escaped dot matches only itself, the selection excludes gpt-4, and the unpriced
        // model has no cost series.
        const byModel = results.find((r) => r.panel === 'Cost per minute by model')!;
        expect([...new Set(byModel.series!.map((s) => s.labels.gen_ai_request_model))].sort()).toEqual([
          'claude-3-sonnet',
          'gpt-3.5-turbo',
        ]);
      }
    });
  }

  it('the boards agree with what the SDK recorded: tasks in range = calls made; tokens total = sum by type', async () => {
    const ops = await runBoard(board('aurea-operations'), backends, range(), { service: [service] });
    const tasks = ops.results
      .find((r) => r.panel === 'Tasks in range')!
      .series!.reduce((s, x) => s + x.points[0]![1], 0);
    // The exact form (anchored increase + first value of series born in the range): every task counted once.
    expect(tasks).toBe(sdkCalls);
    const cost = await runBoard(board('aurea-llm-cost'), backends, range(), { service: [service] });
    const total = cost.results.find((r) => r.panel === 'Tokens in range')!.series![0]!.points[0]![1];
    const byType = cost.results
      .find((r) => r.panel === 'Tokens by type in range')!
      .series!.reduce((s, x) => s + x.points[0]![1], 0);
    expect(total).toBeGreaterThan(0);
    expect(byType).toBeCloseTo(total, 3);
  });
});

describe('ClickHouse boards against the embedded engine', () => {
  let dir: string;
  let ch: AureaClickHouse;
  let events: NormalizedTaskEvent[];
  const now = Date.now() + 60_000;
  const range = { from: new Date(now - 24 * 3_600_000), to: new Date(now) };
  let backends: Backends;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aurea-grafana-'));
    ch = await createClickHouse({ database: 'aurea', dataDir: dir });
    await migrate(ch);
    // 40 jobs over the last 20 hours, plus the SDK run's own task events; the first 25 events
    // are delivered twice (a redelivery the boards must not double-count).
    expect(sdkEvents.length).toBe(sdkCalls);
    events = await loadTaskEvents(ch, [...sampleTaskEvents({ now, jobs: 40, seed: 11, hours: 20 }), ...sdkEvents], 25);
    backends = { clickhouse: ch, scrapeIntervalS: 15 };
  });

  afterAll(async () => {
    await ch?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const jobCost = (job: string) => events.filter((e) => e.job_id === job).reduce((s, e) => s + (e.cost_usd ?? 0), 0);

  for (const uid of ['aurea-job-cost', 'aurea-cost-attribution']) {
    it(`${uid}: every target returns data with all filters on All`, async () => {
      const { results } = await runBoard(board(uid), backends, range);
      expectAllData(results, targetCount(uid));
    });

    it(`${uid}: every target returns data with service, provider, model and tenant selected`, async () => {
      const { results } = await runBoard(board(uid), backends, range, {
        service: ['orchestrator'],
        provider: ['openai', 'anthropic'],
        model: ['gpt-4', 'claude-3-sonnet'],
        tenant: ['acme', ''],
      });
      expectAllData(results, targetCount(uid));
      // Job-scoped panels show the whole selected job; every other row must match the filter.
      for (const r of results.filter((x) => !x.query.includes('job_id = '))) {
        const provider = r.columns?.findIndex((c) => c.name === 'provider') ?? -1;
        if (provider >= 0) for (const row of r.rows!) expect(['openai', 'anthropic']).toContain(row[provider]);
      }
    });
  }

  it('every board annotates the test service\u2019s deployment (its new service.version) and its firing alert', async () => {
    for (const b of Object.values(boards)) {
      const both: Backends = { prometheusUrl: PROMETHEUS, clickhouse: ch, scrapeIntervalS: 15 };
      const live = { from: new Date(Date.now() - 15 * 60_000), to: new Date() };
      const vars = await resolveVariables(b, both, live, { service: [service] });
      const anns = await runAnnotations(b, both, live, vars);
      const deploys = anns.find((a) => a.name === 'Deployments')!.events;
      expect(
        deploys.map((e) => [e.labels.job, e.labels.service_version]),
        b.uid,
      ).toContainEqual([service, version]);
      const alerts = anns.find((a) => a.name === 'Alerts')!.events;
      expect(
        alerts.some((e) => e.labels.alertname === 'AureaCostUnpriced' && e.labels.job === service),
        b.uid,
      ).toBe(true);
      // only the selected service
      for (const e of [...deploys, ...alerts]) expect(e.labels.job, b.uid).toBe(service);
    }
  });

  it('aurea-agents: every target returns data, Prometheus and ClickHouse, for the test service and with repository and user selected', async () => {
    const both: Backends = { prometheusUrl: PROMETHEUS, clickhouse: ch, scrapeIntervalS: 15 };
    const live = { from: new Date(Date.now() - 15 * 60_000), to: new Date() };
    const all = await runBoard(board('aurea-agents'), both, live, { service: [service] });
    expectAllData(all.results, targetCount('aurea-agents'));
    // the test service's task events carry these repositories and users (sdk-workload.ts)
    expect(all.vars.repository!.options).toEqual(expect.arrayContaining(['web', 'billing', 'infra']));
    const some = await runBoard(board('aurea-agents'), both, live, {
      service: [service],
      repository: ['web', 'billing'],
      user: ['ada'],
    });
    expectAllData(some.results, targetCount('aurea-agents'));
    const byRepo = some.results.find((r) => r.panel === 'Latency by repository')!;
    expect(byRepo.rows!.map((row) => row[0]).sort()).toEqual(
      [
        ...new Set(
          sdkEvents
            .filter((e) => e.user === 'ada' && ['web', 'billing'].includes(e.repository ?? ''))
            .map((e) => e.repository),
        ),
      ].sort(),
    );
  });

  it('the job variable lists jobs most expensive first, and the job summary shows that job\u2019s exact cost (redelivered events not double-counted)', async () => {
    const { vars, results } = await runBoard(board('aurea-job-cost'), backends, range);
    const top = vars.job!.selected[0]!;
    const expectedTop = [...new Set(events.map((e) => e.job_id))].sort((a, b) => jobCost(b) - jobCost(a))[0];
    expect(top).toBe(expectedTop);
    const summary = results.find((r) => r.panel === 'Job summary')!;
    const col = (name: string) => summary.rows![0]![summary.columns!.findIndex((c) => c.name === name)];
    expect(Number(col('cost'))).toBeCloseTo(jobCost(top), 6);
    expect(Number(col('tasks'))).toBe(events.filter((e) => e.job_id === top).length);
    const breakdown = results.find((r) => r.panel === 'Task breakdown')!;
    const costIdx = breakdown.columns!.findIndex((c) => c.name === 'cost');
    expect(breakdown.rows!.reduce((s, row) => s + Number(row[costIdx]), 0)).toBeCloseTo(jobCost(top), 6);
  });

  it('time-series targets return a time column first and the time filter bounds them', async () => {
    const { results } = await runBoard(board('aurea-cost-attribution'), backends, range);
    for (const r of results.filter((x) => x.panelType === 'timeseries')) {
      expect(r.columns![0]!.type).toMatch(/^DateTime/);
      // Buckets start at or after the bucket holding `from`; the daily rollup's at its UTC day.
      const day = 86_400_000;
      const lower = r.query.includes('FROM daily_costs')
        ? Math.floor(range.from.getTime() / day) * day
        : range.from.getTime() - 3_600_000;
      for (const row of r.rows!) {
        const t = Date.parse(`${String(row[0]).replace(' ', 'T')}Z`);
        expect(t).toBeGreaterThanOrEqual(lower);
        expect(t).toBeLessThanOrEqual(range.to.getTime());
      }
    }
    const totals = results.find((r) => r.panel === 'Totals in range')!;
    const inRange = events.filter((e) => Date.parse(e.ended_at) >= Math.floor(range.from.getTime() / 1000) * 1000);
    expect(Number(totals.rows![0]![totals.columns!.findIndex((c) => c.name === 'cost')])).toBeCloseTo(
      inRange.reduce((s, e) => s + (e.cost_usd ?? 0), 0),
      6,
    );
  });
});
