/* eslint-disable
  @typescript-eslint/no-unsafe-member-access,
  @typescript-eslint/no-unsafe-assignment,
  @typescript-eslint/no-unsafe-argument,
  @typescript-eslint/no-unsafe-return --
   HTTP response bodies are untyped JSON (inject().json() is any); the assertions below check their shape. */
// The API over the embedded ClickHouse engine with a seeded dataset. Every expected figure is
// computed here from the generated events with plain TypeScript (BigInt nano-dollars for money,
// a sort for quantiles) — never read back from the engine. Some events are inserted twice, as a
// redelivery would before a merge: totals must not change.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AureaHandle } from './app.js';
import type { Budget, BudgetGauge } from './budgets.js';
import { KEYS, auth, silentLogger, testConfig } from './testing/app.js';
import { insertEvents, openTestClickHouse, type TestClickHouse } from './testing/clickhouse.js';
import { formatNanos, makeDataset, quantile, REPOS, type SeededEvent } from './testing/dataset.js';

const DAY = 86_400_000;
const NOW = Date.now();
const history = makeDataset({ seed: 4242, jobs: 16 });
// Recent jobs, for budgets (current month / rolling windows): within the last 20 hours.
const recent = makeDataset({ seed: 99, jobs: 5, start: NOW - 20 * 3_600_000, spanMs: 3_600_000, jobPrefix: 'recent' });
const all = [...history, ...recent];

const budgets: Budget[] = [
  {
    name: 'global-month',
    scope: 'global',
    period: { type: 'calendar_month' },
    amount: 5_000_000_000n,
    warnPercent: 50,
    alertPercent: 90,
  },
  {
    name: 'openai-day',
    scope: 'provider',
    value: 'openai',
    period: { type: 'rolling', days: 1 },
    amount: 1_000_000_000n,
    warnPercent: 80,
    alertPercent: 100,
  },
  {
    name: 'nobody',
    scope: 'user',
    value: 'no-such-user',
    period: { type: 'rolling', days: 7 },
    amount: 10_000_000_000n,
    warnPercent: 80,
    alertPercent: 100,
  },
];

let t: TestClickHouse;
let app: FastifyInstance;
const gauges: BudgetGauge[][] = [];
const aurea: AureaHandle = { setBudgets: (b) => void gauges.push(b) };

const get = async (url: string) => {
  const r = await app.inject({ url, headers: auth(KEYS.read) });
  if (r.statusCode !== 200) throw new Error(`${url} → ${r.statusCode} ${r.body}`);
  return r.json();
};

const sumN = (es: readonly SeededEvent[], f: (e: SeededEvent) => bigint | null) =>
  es.reduce((a, e) => a + (f(e) ?? 0n), 0n);
const sum = (es: readonly SeededEvent[], f: (e: SeededEvent) => number) => es.reduce((a, e) => a + f(e), 0);
const tokensOf = (es: readonly SeededEvent[]) => {
  const input = sum(es, (e) => e.usage.input_tokens);
  const output = sum(es, (e) => e.usage.output_tokens);
  const cache_read = sum(es, (e) => e.usage.cache_read_tokens);
  const cache_write = sum(es, (e) => e.usage.cache_write_tokens);
  const reasoning = sum(es, (e) => e.usage.reasoning_tokens);
  return {
    input,
    output,
    cache_read,
    cache_write,
    reasoning,
    total: input + output + cache_read + cache_write + reasoning,
  };
};
const jobStatus = (es: readonly SeededEvent[]) =>
  es.some((e) => e.status === 'error' || e.status === 'timeout')
    ? 'error'
    : es.some((e) => e.status === 'cancelled')
      ? 'cancelled'
      : 'ok';
const byJob = (es: readonly SeededEvent[]) => {
  const m = new Map<string, SeededEvent[]>();
  for (const e of es) m.set(e.job_id, [...(m.get(e.job_id) ?? []), e]);
  return m;
};
const expectLatency = (got: Record<string, number>, es: readonly SeededEvent[]) => {
  const l = es.map((e) => e.latency_ms);
  expect(got.avg).toBeCloseTo(sum(es, (e) => e.latency_ms) / es.length, 6);
  expect(got.p50).toBeCloseTo(quantile(l, 0.5), 6);
  expect(got.p95).toBeCloseTo(quantile(l, 0.95), 6);
  expect(got.max).toBe(Math.max(...l));
  expect(got.total).toBeCloseTo(
    sum(es, (e) => e.latency_ms),
    6,
  );
};

beforeAll(async () => {
  t = await openTestClickHouse('api-it');
  await insertEvents(t.ch, all);
  // Redelivery before a merge: a different block holding events already stored.
  await insertEvents(t.ch, all.filter((_, i) => i % 3 === 0).reverse());
  app = await buildApp({
    ch: t.ch,
    config: testConfig({}, budgets),
    logger: silentLogger(),
    aurea,
    budgetRefreshMs: 0,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

describe('dataset', () => {
  it('really holds duplicate rows (the queries must dedupe)', async () => {
    const rs = await t.ch.client.query({ query: 'SELECT count() AS n FROM task_events', format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string }>();
    expect(Number(row!.n)).toBeGreaterThan(all.length);
  });
});

describe('GET /v1/jobs/:job_id', () => {
  it('matches independently computed totals for every job', async () => {
    for (const [jobId, es] of byJob(all)) {
      const s = await get(`/v1/jobs/${jobId}`);
      const cost = sumN(es, (e) => e.costNanos);
      const priced = es.filter((e) => e.costNanos !== null).length;
      expect(s).toMatchObject({
        job_id: jobId,
        currency: 'USD',
        status: jobStatus(es),
        tasks: es.length,
        failed_tasks: es.filter((e) => e.status !== 'ok').length,
        unpriced_tasks: es.length - priced,
        cost_usd: formatNanos(cost),
        provided_cost_usd: formatNanos(sumN(es, (e) => e.providedNanos)),
        avg_cost_per_task_usd: formatNanos(priced ? cost / BigInt(priced) : 0n),
        tokens: tokensOf(es),
        tasks_by_status: {
          ok: es.filter((e) => e.status === 'ok').length,
          error: es.filter((e) => e.status === 'error').length,
          timeout: es.filter((e) => e.status === 'timeout').length,
          cancelled: es.filter((e) => e.status === 'cancelled').length,
        },
        first_seen: new Date(Math.min(...es.map((e) => Date.parse(e.started_at)))).toISOString(),
        last_seen: new Date(Math.max(...es.map((e) => Date.parse(e.ended_at)))).toISOString(),
        tenants: [...new Set(es.map((e) => e.tenant).filter((x) => x !== null))].sort(),
        repositories: [...new Set(es.map((e) => e.repository).filter((x) => x !== null))].sort(),
      });
      expectLatency(s.latency_ms, es);

      const tasks = new Map<string, SeededEvent[]>();
      for (const e of es) tasks.set(e.task_name, [...(tasks.get(e.task_name) ?? []), e]);
      expect(s.task_breakdown).toHaveLength(tasks.size);
      for (const tb of s.task_breakdown as {
        task_name: string;
        tasks: number;
        cost_usd: string;
        tokens: unknown;
        latency_ms: Record<string, number>;
      }[]) {
        const g = tasks.get(tb.task_name)!;
        expect(tb).toMatchObject({
          tasks: g.length,
          cost_usd: formatNanos(sumN(g, (e) => e.costNanos)),
          tokens: tokensOf(g),
        });
        expectLatency(tb.latency_ms, g);
      }
      // most expensive first
      const costs = (s.task_breakdown as { cost_usd: string }[]).map((x) => Number(x.cost_usd));
      expect(costs).toEqual([...costs].sort((a, b) => b - a));

      const models = new Map<string, SeededEvent[]>();
      for (const e of es)
        models.set(`${e.provider}/${e.request_model}`, [...(models.get(`${e.provider}/${e.request_model}`) ?? []), e]);
      expect(s.model_usage).toHaveLength(models.size);
      for (const mu of s.model_usage as {
        provider: string;
        model: string;
        tasks: number;
        cost_usd: string;
        unpriced_tasks: number;
      }[]) {
        const g = models.get(`${mu.provider}/${mu.model}`)!;
        expect(mu).toMatchObject({
          tasks: g.length,
          cost_usd: formatNanos(sumN(g, (e) => e.costNanos)),
          unpriced_tasks: g.filter((e) => e.costNanos === null).length,
        });
      }
    }
  });

  it('unknown job → 404; injection attempts in the id are just ids', async () => {
    for (const id of [
      'no-such-job',
      "job-000' OR '1'='1",
      'job-000%27%20OR%201%3D1%20--',
      "x'); DROP TABLE task_events; --",
    ]) {
      const r = await app.inject({ url: `/v1/jobs/${encodeURIComponent(id)}`, headers: auth(KEYS.read) });
      expect(r.statusCode, id).toBe(404);
      expect(r.json().error).toBe('not_found');
    }
    expect((await get('/v1/jobs/job-000')).job_id).toBe('job-000');
  });
});

describe('GET /v1/jobs/:job_id/events', () => {
  it('pages through every event once, in time order', async () => {
    const [jobId, es] = [...byJob(all)].sort((a, b) => b[1].length - a[1].length)[0]!;
    const seen: { event_id: string; started_at: string; cost_usd: string | null }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { events: typeof seen; next_cursor: string | null } = await get(
        `/v1/jobs/${jobId}/events?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...page.events);
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(es.length / 4));
    const expected = [...es].sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at));
    expect(seen.map((e) => e.event_id)).toEqual(expected.map((e) => e.event_id));
    expect(seen.map((e) => e.cost_usd)).toEqual(
      expected.map((e) => (e.costNanos === null ? null : formatNanos(e.costNanos))),
    );
    expect((await app.inject({ url: '/v1/jobs/nope/events', headers: auth(KEYS.read) })).statusCode).toBe(404);
  });
});

describe('GET /v1/jobs', () => {
  const FROM = '2026-01-01T00:00:00.000Z';
  type Item = { job_id: string; cost_usd: string; tasks: number; tokens: { total: number }; status: string };
  const pageAll = async (query: string, limit: number) => {
    const out: Item[] = [];
    let cursor: string | null = null;
    do {
      const page: { jobs: Item[]; next_cursor: string | null } = await get(
        `/v1/jobs?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      out.push(...page.jobs);
      cursor = page.next_cursor;
    } while (cursor);
    return out;
  };

  it('sorted by cost with cursor pagination: every job once, in order, with exact totals', async () => {
    const expected = [...byJob(all)]
      .map(([id, es]) => ({ id, cost: sumN(es, (e) => e.costNanos), n: es.length }))
      .sort((a, b) => (a.cost === b.cost ? (a.id < b.id ? -1 : 1) : a.cost > b.cost ? -1 : 1));
    const got = await pageAll(`from=${FROM}`, 3);
    expect(got.map((j) => j.job_id)).toEqual(expected.map((e) => e.id));
    expect(got.map((j) => j.cost_usd)).toEqual(expected.map((e) => formatNanos(e.cost)));
    expect(got.map((j) => j.tasks)).toEqual(expected.map((e) => e.n));
  });

  it('sorts by tokens ascending', async () => {
    const expected = [...byJob(all)]
      .map(([id, es]) => ({ id, tokens: tokensOf(es).total }))
      .sort((a, b) => a.tokens - b.tokens || (a.id < b.id ? -1 : 1));
    const got = await pageAll(`from=${FROM}&sort=tokens&order=asc`, 5);
    expect(got.map((j) => j.job_id)).toEqual(expected.map((e) => e.id));
  });

  it('filters by tenant, model, status, repository (an injection-shaped value is only a value)', async () => {
    const jobs = byJob(all);
    const expectIds = (pred: (es: SeededEvent[]) => boolean) =>
      [...jobs]
        .filter(([, es]) => pred(es))
        .map(([id]) => id)
        .sort();
    const ids = async (q: string) => (await pageAll(`from=${FROM}&${q}`, 100)).map((j) => j.job_id).sort();
    expect(await ids('tenant=acme')).toEqual(expectIds((es) => es.some((e) => e.tenant === 'acme')));
    expect(await ids('environment=staging')).toEqual(expectIds((es) => es.some((e) => e.environment === 'staging')));
    expect(await ids('model=claude-sonnet-4')).toEqual(
      expectIds((es) => es.some((e) => e.request_model === 'claude-sonnet-4')),
    );
    expect(await ids('status=error')).toEqual(expectIds((es) => jobStatus(es) === 'error'));
    expect(await ids('status=ok')).toEqual(expectIds((es) => jobStatus(es) === 'ok'));
    const evil = REPOS[2];
    const evilIds = await ids(`repository=${encodeURIComponent(evil)}`);
    expect(evilIds).toEqual(expectIds((es) => es.some((e) => e.repository === evil)));
    expect(evilIds.length).toBeGreaterThan(0);
    expect(await ids(`tenant=${encodeURIComponent("acme' OR '1'='1")}`)).toEqual([]);
    // the table survived
    expect((await pageAll(`from=${FROM}`, 100)).length).toBe(jobs.size);
  });

  it('without from: every job of all time (no silent 30-day window), paginated; the answer says from null', async () => {
    // The dataset reaches further back than 30 days, so a 30-day default would have hidden jobs.
    expect(all.some((e) => Date.parse(e.ended_at) < NOW - 30 * DAY)).toBe(true);
    const first = await get('/v1/jobs?limit=4');
    expect(first.from).toBeNull();
    expect(first.to).toBeNull();
    const got = await pageAll('sort=time', 4);
    expect(got.map((j) => j.job_id).sort()).toEqual([...byJob(all).keys()].sort());
    expect(new Set(got.map((j) => j.job_id)).size).toBe(got.length);
    const total = got.reduce((a, j) => a + BigInt(j.cost_usd.replace('.', '')), 0n);
    expect(formatNanos(total)).toBe(formatNanos(sumN(all, (e) => e.costNanos)));
    // An explicit from still bounds the list.
    const from = new Date(NOW - 30 * DAY).toISOString();
    const bounded = await pageAll(`from=${from}`, 50);
    expect(bounded.map((j) => j.job_id).sort()).toEqual(
      [...byJob(all.filter((e) => Date.parse(e.ended_at) >= Date.parse(from))).keys()].sort(),
    );
  });

  it('time range: only events that ended in [from, to) count', async () => {
    const from = '2026-10-08T00:00:00.000Z';
    const to = '2026-10-15T00:00:00.000Z';
    const inRange = all.filter((e) => e.ended_at >= from && e.ended_at < to);
    const got = await pageAll(`from=${from}&to=${to}`, 100);
    expect(got.map((j) => j.job_id).sort()).toEqual([...byJob(inRange).keys()].sort());
    const total = got.reduce((a, j) => a + BigInt(j.cost_usd.replace('.', '')), 0n);
    expect(formatNanos(total)).toBe(formatNanos(sumN(inRange, (e) => e.costNanos)));
  });
});

describe('GET /v1/attribution', () => {
  it('cost by day × tenant matches the events', async () => {
    const from = '2026-10-01T00:00:00.000Z';
    const to = '2026-11-01T00:00:00.000Z';
    const r = await get(`/v1/attribution?from=${from}&to=${to}&group_by=tenant&bucket=day`);
    const exp = new Map<string, SeededEvent[]>();
    for (const e of all.filter((x) => x.ended_at >= from && x.ended_at < to)) {
      const k = `${e.ended_at.slice(0, 10)}T00:00:00.000Z|${e.tenant ?? 'null'}`;
      exp.set(k, [...(exp.get(k) ?? []), e]);
    }
    expect(r.rows).toHaveLength(exp.size);
    expect(r.truncated).toBe(false);
    for (const row of r.rows as {
      bucket: string;
      group: { tenant: string | null };
      tasks: number;
      cost_usd: string;
      jobs: number;
      tokens: unknown;
    }[]) {
      const es = exp.get(`${row.bucket}|${row.group.tenant ?? 'null'}`)!;
      expect(es, `${row.bucket} ${row.group.tenant}`).toBeDefined();
      expect(row).toMatchObject({
        tasks: es.length,
        cost_usd: formatNanos(sumN(es, (e) => e.costNanos)),
        jobs: new Set(es.map((e) => e.job_id)).size,
        tokens: tokensOf(es),
      });
    }
  });

  it('cost by provider × model over the whole range (no bucket), filtered by user', async () => {
    const from = '2026-01-01T00:00:00.000Z';
    const r = await get(`/v1/attribution?from=${from}&group_by=provider,model&bucket=none&user=alice`);
    const es = all.filter((e) => e.user === 'alice');
    const exp = new Map<string, SeededEvent[]>();
    for (const e of es)
      exp.set(`${e.provider}|${e.request_model}`, [...(exp.get(`${e.provider}|${e.request_model}`) ?? []), e]);
    expect(r.rows).toHaveLength(exp.size);
    for (const row of r.rows as {
      bucket: null;
      group: { provider: string; model: string };
      cost_usd: string;
      tasks: number;
    }[]) {
      expect(row.bucket).toBeNull();
      const g = exp.get(`${row.group.provider}|${row.group.model}`)!;
      expect(row).toMatchObject({ tasks: g.length, cost_usd: formatNanos(sumN(g, (e) => e.costNanos)) });
    }
    const total = (r.rows as { cost_usd: string }[]).reduce((a, x) => a + BigInt(x.cost_usd.replace('.', '')), 0n);
    expect(formatNanos(total)).toBe(formatNanos(sumN(es, (e) => e.costNanos)));
  });

  it('truncates at limit and says so', async () => {
    const r = await get('/v1/attribution?from=2026-01-01T00:00:00Z&group_by=model,tenant&bucket=day&limit=3');
    expect(r.rows).toHaveLength(3);
    expect(r.truncated).toBe(true);
  });
});

describe('budgets', () => {
  const now = new Date();
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const spendOf = (pred: (e: SeededEvent) => boolean) => sumN(all.filter(pred), (e) => e.costNanos);

  it('spend, remaining, percent and projection per budget', async () => {
    const r = await get('/v1/budgets');
    const [g, o, n] = r.budgets as Record<string, unknown>[];
    const globalSpend = spendOf((e) => Date.parse(e.ended_at) >= monthStart);
    expect(g).toMatchObject({
      name: 'global-month',
      scope: 'global',
      value: null,
      currency: 'USD',
      limit_usd: '5.000000000',
      spend_usd: formatNanos(globalSpend),
    });
    expect(g!.remaining_usd).toBe(formatNanos(5_000_000_000n - globalSpend));
    expect(g!.percent_used).toBeCloseTo((Number(globalSpend) / 5e9) * 100, 3);
    expect(Number(g!.projected_spend_usd)).toBeGreaterThanOrEqual(Number(g!.spend_usd));
    const openai = spendOf(
      (e) => e.provider === 'openai' && Date.parse(e.ended_at) >= Date.parse(r.as_of as string) - DAY,
    );
    expect(openai).toBeGreaterThan(0n);
    expect(o).toMatchObject({
      name: 'openai-day',
      scope: 'provider',
      value: 'openai',
      spend_usd: formatNanos(openai),
      projected_spend_usd: formatNanos(openai),
    });
    // a budget with no spend yet: zero, full remaining, never missing
    expect(n).toMatchObject({ spend_usd: '0.000000000', remaining_usd: '10.000000000', percent_used: 0, status: 'ok' });
    const one = await get('/v1/budgets/openai-day');
    expect(one.spend_usd).toBe(formatNanos(openai));
    expect((await app.inject({ url: '/v1/budgets/none', headers: auth(KEYS.read) })).statusCode).toBe(404);
  });

  it('exports limit and spend of every budget as gauges at start (zero spend included)', () => {
    expect(gauges.length).toBeGreaterThanOrEqual(1);
    const last = gauges.at(-1)!;
    expect(last.map((b) => b.name)).toEqual(['global-month', 'openai-day', 'nobody']);
    expect(last[2]).toEqual({ name: 'nobody', scope: 'user', period: 'rolling_7d', limitUsd: 10, spendUsd: 0 });
    expect(last.every((b) => Number.isFinite(b.limitUsd) && Number.isFinite(b.spendUsd))).toBe(true);
  });
});

describe('GET /v1/latency', () => {
  const FROM = '2026-01-01T00:00:00.000Z';
  type Row = {
    bucket: string | null;
    group: Record<string, string | null>;
    tasks: number;
    latency_ms: { avg: number; p50: number; p95: number; p99: number; max: number };
    streamed_tasks: number;
    time_to_first_token_ms: { p50: number; p95: number; p99: number } | null;
  };
  type Answer = { rows: Row[]; group_by: string[]; bucket: string; status: string[] };
  /** Expected rows: groups by `key`, busiest first, then by key (nulls as the empty string sorts). */
  const expectRows = (rows: Row[], es: readonly SeededEvent[], key: (e: SeededEvent) => string) => {
    const groups = new Map<string, SeededEvent[]>();
    for (const e of es) groups.set(key(e), [...(groups.get(key(e)) ?? []), e]);
    const want = [...groups].sort(([a, x], [b, y]) => y.length - x.length || (a < b ? -1 : a > b ? 1 : 0));
    expect(rows.map((r) => r.tasks)).toEqual(want.map(([, g]) => g.length));
    rows.forEach((r, i) => {
      const g = want[i]![1];
      const l = g.map((e) => e.latency_ms);
      expect(r.latency_ms.p50).toBeCloseTo(quantile(l, 0.5), 6);
      expect(r.latency_ms.p95).toBeCloseTo(quantile(l, 0.95), 6);
      expect(r.latency_ms.p99).toBeCloseTo(quantile(l, 0.99), 6);
      expect(r.latency_ms.avg).toBeCloseTo(sum(g, (e) => e.latency_ms) / g.length, 6);
      expect(r.latency_ms.max).toBe(Math.max(...l));
    });
    return want.map(([k]) => k);
  };

  it('p50/p95/p99 per agent (task) over every task that ran, exact, duplicates counted once', async () => {
    const r: Answer = await get(`/v1/latency?from=${FROM}`);
    expect(r).toMatchObject({ group_by: ['task'], bucket: 'none', status: ['ok', 'error', 'timeout', 'cancelled'] });
    const keys = expectRows(r.rows, all, (e) => e.task_name);
    expect(r.rows.map((x) => x.group.task)).toEqual(keys);
    expect(r.rows.every((x) => x.streamed_tasks === 0 && x.time_to_first_token_ms === null)).toBe(true);
  });

  it('per repository and user, ok tasks only; none recorded is null', async () => {
    const r: Answer = await get(`/v1/latency?from=${FROM}&group_by=repository,user&status=ok`);
    const ok = all.filter((e) => e.status === 'ok');
    const keys = expectRows(r.rows, ok, (e) => `${e.repository ?? ''}\u0000${e.user ?? ''}`);
    expect(r.rows.map((x) => `${x.group.repository ?? ''}\u0000${x.group.user ?? ''}`)).toEqual(keys);
    expect(r.rows.some((x) => x.group.repository === null)).toBe(true);
    // The injection-shaped repository is just a value.
    expect(r.rows.some((x) => x.group.repository === REPOS[2])).toBe(true);
    const one = await get(
      `/v1/latency?from=${FROM}&group_by=user&repository=${encodeURIComponent(REPOS[2])}&task=plan`,
    );
    expectRows(
      one.rows,
      all.filter((e) => e.repository === REPOS[2] && e.task_name === 'plan'),
      (e) => e.user ?? '',
    );
  });

  it('by day, and a tenant-scoped key sees only its tenant', async () => {
    const from = '2026-10-05T00:00:00.000Z';
    const to = '2026-10-09T00:00:00.000Z';
    const r: Answer = await get(`/v1/latency?from=${from}&to=${to}&group_by=&bucket=day`);
    const inRange = all.filter((e) => e.ended_at >= from && e.ended_at < to);
    const days = [...new Set(inRange.map((e) => e.ended_at.slice(0, 10)))].sort();
    expect(r.rows.map((x) => x.bucket!.slice(0, 10))).toEqual(days);
    r.rows.forEach((x, i) =>
      expectRows(
        [x],
        inRange.filter((e) => e.ended_at.startsWith(days[i]!)),
        () => '',
      ),
    );
    const scoped = await app.inject({ url: `/v1/latency?from=${FROM}&group_by=tenant`, headers: auth(KEYS.acme) });
    expect(scoped.statusCode).toBe(200);
    expectRows(
      scoped.json().rows,
      all.filter((e) => e.tenant === 'acme'),
      (e) => e.tenant ?? '',
    );
  });

  it('time to first token of streamed tasks; bad parameters are 400s naming the field', async () => {
    // Streamed tasks of a tenant of their own (inserted here, after the other tests' figures).
    const streamed = makeDataset({ seed: 7, jobs: 2, jobPrefix: 'streamed' }).map((e, i) => ({
      ...e,
      tenant: 'streamco',
      time_to_first_token_ms: i % 4 === 3 ? null : 20 + ((i * 37) % 400),
    }));
    await insertEvents(t.ch, streamed);
    const r = await get(`/v1/latency?from=${FROM}&tenant=streamco&group_by=tenant`);
    expect(r.rows).toHaveLength(1);
    const ttft = streamed.flatMap((e) => (e.time_to_first_token_ms === null ? [] : [e.time_to_first_token_ms]));
    expect(r.rows[0].streamed_tasks).toBe(ttft.length);
    expect(ttft.length).toBeLessThan(streamed.length);
    expect(r.rows[0].time_to_first_token_ms.p50).toBeCloseTo(quantile(ttft, 0.5), 6);
    expect(r.rows[0].time_to_first_token_ms.p95).toBeCloseTo(quantile(ttft, 0.95), 6);
    expect(r.rows[0].time_to_first_token_ms.p99).toBeCloseTo(quantile(ttft, 0.99), 6);
    for (const [q, field] of [
      ['status=refusedx', '/status/0'],
      ['group_by=job', '/group_by/0'],
      ['bucket=week', '/bucket'],
      ['limit=0', '/limit'],
    ] as const) {
      const bad = await app.inject({ url: `/v1/latency?${q}`, headers: auth(KEYS.read) });
      expect(bad.statusCode, q).toBe(400);
      expect(JSON.stringify(bad.json().errors), q).toContain(field);
    }
  });
});
