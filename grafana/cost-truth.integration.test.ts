/* eslint-disable
  @typescript-eslint/no-unsafe-member-access,
  @typescript-eslint/no-unsafe-assignment,
  @typescript-eslint/no-unsafe-return,
  @typescript-eslint/no-unsafe-call --
   HTTP response bodies are untyped JSON (inject().json() is any); the assertions below check them. */
// Cost truth: on one seeded dataset, every money and count figure of the ClickHouse boards equals
// the analytics API's figure for the same job, range and group — the boards run through the
// runner their own tests use (variables resolved by their queries, plugin macros filled in),
// the API in-process (app.inject). Money is compared as integers of nano-dollars, never floats;
// percentiles must be equal, since both claim exactness (quantilesExactInclusive).
// The daily trend panels read the daily_costs rollup (recomputed from task_events FINAL, 0005): after
// a refresh they equal the API's day buckets, the events published twice at two offsets included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '@aurea/analytics-api';
import { createClickHouse, insertEvents, migrate, refreshRollups, type AureaClickHouse } from '@aurea/clickhouse';
import { OTHER_GROUP } from '@aurea/clickhouse/queries';
import { createLogger } from '@aurea/common';
import { makeDataset, type SeededEvent } from '../services/analytics-api/src/testing/dataset.js';
import { allBoards, UID } from './src/boards/index.js';
import { isClickHouseQuery, type Dashboard } from './src/builders.js';
import {
  dataPanels,
  panelTargets,
  runBoard,
  runTarget,
  type Backends,
  type Selection,
  type TargetResult,
} from './src/run-targets.js';
import type { Vars } from './src/interpolate.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
// 24 jobs over 20 days from 2026-10-03; the range holds all of them, the window only part.
// Two "whale" jobs cost ~$100M per task: their sums have 18 significant digits, more than a
// float holds, so any float step on a board would show.
const whales = makeDataset({ seed: 8, jobs: 2, jobPrefix: 'whale' }).map((e, k) => {
  if (e.cost_usd === null) return e;
  const cost = 123_456_789.1234567 + k * 1_000.000000007;
  return { ...e, cost_usd: cost, costNanos: nanos(String(cost)) }; // stored from the number's shortest text
});
const base = makeDataset({ seed: 7, jobs: 24 });
const events = [...base, ...whales];
const FULL = { from: new Date('2026-10-01T00:00:00.000Z'), to: new Date('2026-11-01T00:00:00.000Z') };
const WINDOW = { from: new Date('2026-10-09T00:00:00.000Z'), to: new Date('2026-10-16T00:00:00.000Z') };
// Every fifth event published a second time at another offset (a producer retry): task_events
// FINAL collapses it, and so do the rollups recomputed from it.
const republished = base.filter((_, i) => i % 5 === 0);

let dir: string;
let ch: AureaClickHouse;
let app: FastifyInstance;
let backends: Backends;
const boards = allBoards();
const board = (uid: string) => Object.values(boards).find((b) => b.uid === uid)!;

/** A decimal (string or number as the engine prints it; null = none) → nano-dollars. */
function nanos(v: unknown): bigint {
  if (v === null || v === undefined) return 0n;
  const m = typeof v === 'string' || typeof v === 'number' ? /^(-?)(\d+)(?:\.(\d{1,9}))?$/.exec(String(v)) : null;
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(v)}`);
  const n = BigInt(m[2]!) * 1_000_000_000n + BigInt((m[3] ?? '').padEnd(9, '0'));
  return m[1] ? -n : n;
}
const utc = (engineTime: unknown) => Date.parse(`${(engineTime as string).replace(' ', 'T')}Z`);

/** A panel's rows as objects keyed by column name. */
function rows(results: TargetResult[], panel: string): Record<string, unknown>[] {
  const r = results.find((x) => x.panel === panel);
  if (!r?.columns || !r.rows) throw new Error(`no ClickHouse result for panel ${panel}`);
  return r.rows.map((row) => Object.fromEntries(r.columns!.map((c, i) => [c.name, row[i]])));
}

async function api(path: string, query: Record<string, string | number | undefined> = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const res = await app.inject({ url: `/v1${path}?${qs.toString()}` });
  if (res.statusCode !== 200) throw new Error(`${path} → ${res.statusCode} ${res.body}`);
  return res.json();
}

const iso = (d: Date) => d.toISOString();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurea-cost-truth-'));
  ch = await createClickHouse({ database: 'aurea_truth', dataDir: dir });
  await migrate(ch);
  await insertEvents(ch, events);
  await insertEvents(ch, republished, (i) => ({ partition: 1, offset: i }));
  await refreshRollups(ch);
  app = await buildApp({
    ch,
    config: {
      auth: { mode: 'disabled', keys: [] },
      metricsAuth: 'open',
      ingest: { topic: 'aurea.task-events.v1', maxEventsPerRequest: 10, bodyLimitBytes: 1 << 20 },
      budgets: [],
      docs: false,
      maxPageSize: 1000,
    },
    logger: createLogger('cost-truth', 'silent'),
    budgetRefreshMs: 0,
  });
  await app.ready();
  backends = { clickhouse: ch, scrapeIntervalS: 15 };
});

afterAll(async () => {
  await app?.close();
  await ch?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const jobIds = [...new Set(events.map((e) => e.job_id))];

describe('dataset', () => {
  it('holds producer-side duplicates, unpriced and failed tasks, jobs inside and across the window', async () => {
    const rs = await ch.client.query({ query: 'SELECT count() AS n FROM task_events', format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(events.length + republished.length);
    expect(events.some((e) => e.costNanos === null)).toBe(true);
    expect(events.some((e) => e.status === 'cancelled')).toBe(true);
    const inWindow = (e: SeededEvent) => Date.parse(e.ended_at) >= +WINDOW.from && Date.parse(e.ended_at) < +WINDOW.to;
    expect(events.some(inWindow)).toBe(true);
    expect(events.some((e) => !inWindow(e))).toBe(true);
  });
});

// The per-job board, for each job: the job's figures equal GET /v1/jobs/{job_id} (+ /events).
describe('per-job board = GET /v1/jobs/{job_id}', () => {
  it('summary, task breakdown, model usage, cost over time, latencies and timeline of every job', async () => {
    for (const job of jobIds) {
      const { results } = await runBoard(board(UID.jobCost), backends, FULL, { job: [job] });
      const s = await api(`/jobs/${encodeURIComponent(job)}`);

      const [sum] = rows(results, 'Job summary');
      expect(sum).toMatchObject({
        status: s.status,
        tasks: String(s.tasks),
        tokens: String(s.tokens.total),
        failed_tasks: String(s.failed_tasks),
        unpriced_tasks: String(s.unpriced_tasks),
        span: String(s.duration_ms),
        p50_latency: s.latency_ms.p50,
        p95_latency: s.latency_ms.p95,
      });
      expect(nanos(sum!.cost), job).toBe(nanos(s.cost_usd));

      const tasks = rows(results, 'Task breakdown');
      expect(tasks.map((t) => t.task_name)).toEqual(s.task_breakdown.map((t: { task_name: string }) => t.task_name));
      for (const [i, t] of tasks.entries()) {
        const a = s.task_breakdown[i];
        expect(t).toMatchObject({
          tasks: String(a.tasks),
          failed: String(a.failed_tasks),
          tokens: String(a.tokens.total),
          unpriced: String(a.unpriced_tasks),
          p95_latency: a.latency_ms.p95,
        });
        expect(t.mean_latency as number).toBeCloseTo(a.latency_ms.avg as number, 6);
        expect(nanos(t.cost)).toBe(nanos(a.cost_usd));
      }

      const pie = rows(results, 'Cost by model');
      const tokensPie = rows(results, 'Tokens by model');
      const usage = rows(results, 'Model usage');
      expect(usage.map((u) => `${String(u.provider)}/${String(u.model)}`)).toEqual(
        s.model_usage.map((m: { provider: string; model: string }) => `${m.provider}/${m.model}`),
      );
      for (const [i, u] of usage.entries()) {
        const m = s.model_usage[i];
        expect(u).toMatchObject({
          calls: String(m.tasks),
          input: String(m.tokens.input),
          output: String(m.tokens.output),
          cache_read: String(m.tokens.cache_read),
          cache_write: String(m.tokens.cache_write),
          reasoning: String(m.tokens.reasoning),
          tokens: String(m.tokens.total),
          unpriced: String(m.unpriced_tasks),
          p95_latency: m.latency_ms.p95,
        });
        expect(nanos(u.cost)).toBe(nanos(m.cost_usd));
        expect(pie[i]).toMatchObject({ label: `${m.provider} / ${m.model}` });
        expect(nanos(pie[i]!.cost)).toBe(nanos(m.cost_usd));
        expect(tokensPie[i]).toMatchObject({ label: `${m.provider} / ${m.model}`, tokens: String(m.tokens.total) });
      }

      // Over a range that holds the whole job, the buckets of a task add up to its breakdown.
      const overTime = new Map<string, bigint>();
      for (const r of rows(results, 'Job cost over time by task'))
        overTime.set(String(r.task), (overTime.get(String(r.task)) ?? 0n) + nanos(r.cost));
      for (const a of s.task_breakdown as { task_name: string; cost_usd: string }[])
        expect(overTime.get(a.task_name) ?? 0n, `${job} ${a.task_name}`).toBe(nanos(a.cost_usd));

      const page = await api(`/jobs/${encodeURIComponent(job)}/events`, { limit: 1000 });
      const timeline = rows(results, 'Task timeline');
      expect(timeline.map((t) => t.task_id)).toEqual(page.events.map((e: { task_id: string }) => e.task_id));
      for (const [i, t] of timeline.entries()) {
        const e = page.events[i];
        expect(t.status).toBe(e.status);
        expect(t.latency).toBe(e.latency_ms);
        expect(e.cost_usd === null ? t.cost : nanos(t.cost)).toBe(e.cost_usd === null ? null : nanos(e.cost_usd));
      }
      const latencies = rows(results, 'Task latency distribution').map((r) => r.latency as number);
      expect(latencies.sort((a, b) => a - b)).toEqual(
        page.events.map((e: { latency_ms: number }) => e.latency_ms).sort((a: number, b: number) => a - b),
      );
    }
  });
});

interface ApiJob {
  job_id: string;
  status: string;
  tasks: number;
  failed_tasks: number;
  unpriced_tasks: number;
  cost_usd: string;
  tokens: { total: number };
  first_seen: string;
}

function expectJobsEqual(board: Record<string, unknown>[], api: ApiJob[], label: string) {
  expect(
    board.map((j) => j.job_id),
    label,
  ).toEqual(api.map((j) => j.job_id));
  for (const [i, j] of board.entries()) {
    const a = api[i]!;
    expect(j, `${label} ${a.job_id}`).toMatchObject({ status: a.status, tasks: String(a.tasks) });
    expect(String(j.tokens)).toBe(String(a.tokens.total));
    expect(nanos(j.cost), `${label} ${a.job_id}`).toBe(nanos(a.cost_usd));
    if ('failed' in j) expect(j.failed).toBe(String(a.failed_tasks));
    if ('unpriced' in j) expect(j.unpriced).toBe(String(a.unpriced_tasks));
    if ('started' in j) expect(utc(j.started)).toBe(Date.parse(a.first_seen));
  }
}

// Ranges × filters: the board's selection and the API's query parameters for the same thing.
const CASES: { name: string; range: typeof FULL; selection: Selection; query: Record<string, string> }[] = [
  { name: 'everything', range: FULL, selection: {}, query: {} },
  { name: 'one week', range: WINDOW, selection: {}, query: {} },
  {
    name: 'one service, model and tenant',
    range: FULL,
    selection: { service: ['orchestrator'], model: ['gpt-4o'], tenant: ['acme'] },
    query: { service: 'orchestrator', model: 'gpt-4o', tenant: 'acme' },
  },
  {
    name: 'one provider in the week',
    range: WINDOW,
    selection: { provider: ['openai'] },
    query: { provider: 'openai' },
  },
];

describe('jobs lists = GET /v1/jobs', () => {
  for (const c of CASES) {
    it(`top jobs and the job choices, ${c.name}`, async () => {
      const range = { from: iso(c.range.from), to: iso(c.range.to) };
      const perJob = await runBoard(board(UID.jobCost), backends, c.range, c.selection);
      const jobs500 = (await api('/jobs', { ...range, ...c.query, limit: 500 })).jobs as ApiJob[];
      expect(jobs500.length).toBeGreaterThan(0);
      expect(perJob.vars.job!.options).toEqual(jobs500.map((j) => j.job_id));
      const top20 = (await api('/jobs', { ...range, ...c.query, limit: 20 })).jobs as ApiJob[];
      expectJobsEqual(rows(perJob.results, 'Top jobs by cost'), top20, `per-job board, ${c.name}`);

      const attribution = await runBoard(board(UID.attribution), backends, c.range, c.selection);
      const top15 = (await api('/jobs', { ...range, ...c.query, limit: 15 })).jobs as ApiJob[];
      expectJobsEqual(rows(attribution.results, 'Top jobs'), top15, `attribution board, ${c.name}`);

      // Cost by job over time: every task the filters select, once (the range total of
      // GET /v1/attribution); without filters, each of the 10 most expensive jobs adds up to its
      // cost in the range (GET /v1/jobs) and the rest is (other).
      const perJobTime = new Map<string, bigint>();
      for (const r of rows(perJob.results, 'Cost by job over time'))
        perJobTime.set(String(r.job), (perJobTime.get(String(r.job)) ?? 0n) + nanos(r.cost));
      const [total] = (await api('/attribution', { ...range, ...c.query, bucket: 'none', limit: 1 })).rows as ApiRow[];
      const sum = [...perJobTime.values()].reduce((a, b) => a + b, 0n);
      expect(sum, `cost by job over time, ${c.name}`).toBe(nanos(total!.cost_usd));
      if (Object.keys(c.query).length === 0) {
        const top10 = top20.slice(0, 10);
        expect([...perJobTime.keys()].filter((k) => k !== OTHER_GROUP).sort()).toEqual(
          top10.map((j) => j.job_id).sort(),
        );
        for (const j of top10) expect(perJobTime.get(j.job_id), j.job_id).toBe(nanos(j.cost_usd));
        const rest = nanos(total!.cost_usd) - top10.reduce((a, j) => a + nanos(j.cost_usd), 0n);
        expect(perJobTime.get(OTHER_GROUP) ?? 0n).toBe(rest);
      }
    });
  }
});

/**
 * The ClickHouse panels of a board whose other variables come from Prometheus (the agents board):
 * run without Prometheus, with the given selection and every other variable on All.
 */
async function clickhousePanels(b: Dashboard, range: typeof FULL, selection: Record<string, string[]>) {
  const vars: Vars = {};
  for (const def of b.templating.list ?? [])
    vars[def.name] = { def, options: selection[def.name] ?? [], selected: selection[def.name] ?? '$__all' };
  const out: TargetResult[] = [];
  for (const p of dataPanels(b))
    for (const t of panelTargets(p))
      if (isClickHouseQuery(t)) out.push(await runTarget(b, p, t, vars, backends, range));
  return out;
}

interface ApiLatencyRow {
  group: Record<string, string | null>;
  tasks: number;
  latency_ms: { p50: number; p95: number; p99: number };
  time_to_first_token_ms: { p95: number } | null;
}

describe('agents board = GET /v1/latency', () => {
  for (const c of CASES) {
    it(`exact percentiles per agent, repository and user, ${c.name}`, async () => {
      const agents = board(UID.agents);
      const names = new Set((agents.templating.list ?? []).map((v) => v.name));
      // The board has no tenant filter: ask the API for the board's filters only.
      const selection = Object.fromEntries(Object.entries(c.selection).filter(([k]) => names.has(k))) as Record<
        string,
        string[]
      >;
      const query = Object.fromEntries(Object.entries(c.query).filter(([k]) => names.has(k)));
      const results = await clickhousePanels(agents, c.range, selection);
      const range = { from: iso(c.range.from), to: iso(c.range.to) };
      for (const [panel, dim, column] of [
        ['Latency by agent', 'task', 'agent'],
        ['Latency by repository', 'repository', 'repository'],
        ['Latency by user', 'user', 'user'],
      ] as const) {
        const expected = (await api('/latency', { ...range, ...query, group_by: dim, limit: 50 }))
          .rows as ApiLatencyRow[];
        const got = rows(results, panel);
        expect(got.length, panel).toBeGreaterThan(0);
        expect(
          got.map((r) => [r[column], r.tasks, r.p50, r.p95, r.p99, r.ttft_p95 ?? null]),
          `${panel}, ${c.name}`,
        ).toEqual(
          expected.map((e) => [
            shown(e.group[dim]),
            String(e.tasks),
            e.latency_ms.p50,
            e.latency_ms.p95,
            e.latency_ms.p99,
            e.time_to_first_token_ms?.p95 ?? null,
          ]),
        );
      }
    });
  }
});

interface ApiRow {
  bucket: string | null;
  group: Record<string, string | null>;
  tasks: number;
  jobs: number;
  unpriced_tasks: number;
  cost_usd: string;
  tokens: { total: number };
}

const shown = (v: string | null | undefined) => (v === null || v === undefined ? '(none)' : v);

describe('attribution board = GET /v1/attribution', () => {
  for (const c of CASES) {
    it(`totals, breakdowns, cost over time and daily trends, ${c.name}`, async () => {
      const range = { from: iso(c.range.from), to: iso(c.range.to) };
      const attr = async (q: Record<string, string | number>) =>
        (await api('/attribution', { ...range, ...c.query, limit: 10_000, ...q })).rows as ApiRow[];
      const { results } = await runBoard(board(UID.attribution), backends, c.range, c.selection);

      // Totals in range.
      const [total] = await attr({ bucket: 'none' });
      const [t] = rows(results, 'Totals in range');
      expect(t).toMatchObject({ tasks: String(total!.tasks), jobs: String(total!.jobs) });
      expect(String(t!.tokens)).toBe(String(total!.tokens.total));
      expect(nanos(t!.cost)).toBe(nanos(total!.cost_usd));
      expect(t!.unpriced_share).toBe(total!.unpriced_tasks / total!.tasks);

      // Breakdown tables: the API's rows in the API's order, and each row's share of the total.
      const tables = [
        ['By tenant', ['tenant'], 50],
        ['By service', ['service'], 50],
        ['By user', ['user', 'tenant'], 25],
        ['By repository', ['repository'], 25],
      ] as const;
      const label = { tenant: 'Tenant', service: 'Service', user: 'User', repository: 'Repository' } as const;
      const all = nanos(total!.cost_usd);
      for (const [panel, dims, limit] of tables) {
        const expected = await attr({ bucket: 'none', group_by: dims.join(','), limit });
        const got = rows(results, panel);
        expect(
          got.map((r) => dims.map((d) => r[label[d]]).join('|')),
          panel,
        ).toEqual(expected.map((r) => dims.map((d) => shown(r.group[d])).join('|')));
        for (const [i, r] of got.entries()) {
          const e = expected[i]!;
          expect(r, panel).toMatchObject({ tasks: String(e.tasks), jobs: String(e.jobs) });
          expect(String(r.tokens)).toBe(String(e.tokens.total));
          expect(nanos(r.cost), panel).toBe(nanos(e.cost_usd));
          // Decimal(38, 9) division truncates to 9 decimals.
          expect(nanos(r.share), `${panel} share`).toBe(all === 0n ? 0n : (nanos(e.cost_usd) * 1_000_000_000n) / all);
        }
      }

      // Cost over time: the top 10 groups of the range by cost (the API's order), the rest as
      // (other); buckets added up per hour equal the API's hour buckets.
      for (const dim of ['tenant', 'service', 'user', 'repository'] as const) {
        const panel = `Cost by ${dim}`;
        const ranked = await attr({ bucket: 'none', group_by: dim });
        const top = new Set(ranked.slice(0, 10).map((r) => shown(r.group[dim])));
        const expected = new Map<string, bigint>();
        for (const r of await attr({ bucket: 'hour', group_by: dim })) {
          const g = shown(r.group[dim]);
          const key = `${Date.parse(r.bucket!)}|${top.has(g) ? g : OTHER_GROUP}`;
          expected.set(key, (expected.get(key) ?? 0n) + nanos(r.cost_usd));
        }
        // The panel's interval (from the range and its data points) must nest in hours.
        const interval = /INTERVAL (\d+) second/.exec(results.find((r) => r.panel === panel)!.query)![1]!;
        expect(3600 % Number(interval), `${panel}: ${interval} s buckets`).toBe(0);
        const got = new Map<string, bigint>();
        for (const r of rows(results, panel)) {
          const key = `${Math.floor(utc(r.time) / HOUR) * HOUR}|${String(r[label[dim]])}`;
          got.set(key, (got.get(key) ?? 0n) + nanos(r.cost));
        }
        expect(got.size, panel).toBeGreaterThan(0);
        expect(new Map([...got].filter(([, v]) => v !== 0n)), panel).toEqual(
          new Map([...expected].filter(([, v]) => v !== 0n)),
        );
      }

      // Daily trends (the daily_costs rollup): whole UTC days that overlap the range, so the
      // API is asked for the same whole days.
      const days = {
        from: iso(new Date(Math.floor(+c.range.from / DAY) * DAY)),
        to: iso(new Date(Math.ceil(+c.range.to / DAY) * DAY)),
      };
      for (const dim of ['model', 'service'] as const) {
        const panel = `Daily cost by ${dim}`;
        const expected = new Map<string, bigint>();
        for (const r of await attr({ ...days, bucket: 'day', group_by: dim }))
          expected.set(`${Date.parse(r.bucket!)}|${shown(r.group[dim])}`, nanos(r.cost_usd));
        const got = new Map<string, bigint>();
        for (const r of rows(results, panel))
          got.set(`${utc(r.time)}|${String(r[dim === 'model' ? 'Model' : 'Service'])}`, nanos(r.cost));
        expect(got.size, panel).toBeGreaterThan(0);
        expect(got, panel).toEqual(expected);
      }
    });
  }
});
