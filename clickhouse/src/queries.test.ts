// Named queries: values never reach the SQL text (only typed parameters do), identifiers come
// from allow-lists, and builders refuse anything outside them.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  attribution,
  boundInputs,
  budgetSpend,
  chTime,
  dailyCostTrend,
  dimensionValues,
  EVENTS_TABLE,
  isoTime,
  JOB_COSTS_TABLE,
  jobEvents,
  kafkaEngineIngest,
  jobSummary,
  latencyPercentiles,
  listJobs,
  OTHER_GROUP,
  project,
  syntheticEvents,
  TABLES,
  topJobsByCost,
  type FilterKey,
  type GroupByDimension,
  type Inputs,
} from './queries.js';

const EVIL = "x' OR 1=1; DROP TABLE task_events --";

describe('named queries', () => {
  it('bind every caller value as a parameter', () => {
    const qs = [
      jobSummary(EVIL),
      jobEvents(EVIL, 10, { startedAt: '2026-01-01T00:00:00Z', eventId: '0190c0de-0000-7000-8000-000000000000' }),
      listJobs({
        filters: {
          from: '2026-01-01T00:00:00Z',
          tenant: EVIL,
          user: EVIL,
          repository: EVIL,
          model: EVIL,
          status: 'ok',
        },
        sort: 'cost',
        order: 'desc',
        limit: 10,
        after: { value: '1.5', jobId: EVIL },
      }),
      attribution({
        groupBy: ['tenant', 'user'],
        bucket: 'day',
        filters: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', repository: EVIL },
        limit: 10,
      }),
      budgetSpend([{ scope: 'tenant', value: EVIL, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' }]),
      latencyPercentiles({
        groupBy: ['repository', 'user'],
        filters: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z', user: EVIL, task: EVIL },
        limit: 10,
        tenants: [EVIL],
      }),
    ];
    for (const q of qs) {
      expect(q.sql, q.name).not.toContain('DROP');
      expect(q.sql, q.name).not.toContain("x'");
      expect(Object.values(q.params), q.name).toContain(EVIL);
      // every placeholder has a value
      for (const m of q.sql.matchAll(/\{(\w+):/g)) expect(q.params, `${q.name}: ${m[1]}`).toHaveProperty(m[1]!);
      expect(q.sql).toContain('task_events FINAL');
    }
  });

  it('refuse identifiers outside the allow-lists', () => {
    expect(() =>
      attribution({
        groupBy: ['job_id' as GroupByDimension],
        filters: { from: '2026-01-01', to: '2026-01-02' },
        limit: 1,
      }),
    ).toThrow(/cannot group by/);
    expect(() =>
      attribution({
        groupBy: [],
        bucket: 'week' as 'day',
        filters: { from: '2026-01-01', to: '2026-01-02' },
        limit: 1,
      }),
    ).toThrow(/bucket/);
    expect(() => budgetSpend([{ scope: 'job' as 'tenant', value: 'x', from: '2026-01-01', to: '2026-01-02' }])).toThrow(
      /scope/,
    );
    expect(() => listJobs({ filters: {}, sort: 'cost', order: 'desc', limit: 0 })).toThrow(/limit/);
    expect(() => chTime('yesterday')).toThrow(/invalid time/);
  });

  it('top jobs by cost is the list query sorted by cost, capped', () => {
    const q = topJobsByCost('2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', 100);
    expect(q.name).toBe('top_jobs_by_cost');
    expect(q.params).toMatchObject({ from: '2026-01-01 00:00:00.000', to: '2026-02-01 00:00:00.000', limit: 100 });
    expect(q.sql).toMatch(/ORDER BY sort_value DESC, job_id ASC/);
  });

  it('time helpers', () => {
    expect(chTime('2026-11-23T10:00:01.5Z')).toBe('2026-11-23 10:00:01.500');
    expect(isoTime('2026-11-23 10:00:01.500')).toBe('2026-11-23T10:00:01.500Z');
    expect(isoTime('2026-11-01 00:00:00')).toBe('2026-11-01T00:00:00.000Z');
  });
});

describe('table names', () => {
  it('are the tables the migrations create (and every table they keep, views and cluster-only aside)', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
    const sql = readdirSync(dir)
      .filter((f) => f.endsWith('.sql'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .filter((text) => !text.includes('-- aurea:cluster-only'))
      .join('\n');
    // A later migration may create a table again (a redefinition); the set of names is what counts.
    const created = new Set([...sql.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)].map((m) => m[1]));
    expect([...created].sort()).toEqual(Object.values(TABLES).sort());
    expect(EVENTS_TABLE).toBe(TABLES.events);
    expect(JOB_COSTS_TABLE).toBe(TABLES.jobCosts);
  });
});

describe('builders for other renderings (a board\u2019s inputs)', () => {
  // A stand-in rendering that marks where each input lands, to check what a builder asks for.
  const marked = (filters: FilterKey[]): Inputs => ({
    ...boundInputs(),
    params: {},
    filtered: filters.length > 0,
    range: () => ({ from: 'FROM_T', to: 'TO_T' }),
    filter: (k, col, wrap = (c) => c) => (filters.includes(k) ? wrap(`${col} IN SEL_${k}`) : undefined),
    value: (_n, _t, v) => String(v),
    bucket: (b, col) => `BUCKET_${b}(${col})`,
    money: (e) => `MONEY(${e})`,
    moneyOrNull: (e) => e,
    time: (e) => e,
  });

  it('job-scoped queries need a job and put every money figure through the rendering', () => {
    expect(() => jobSummary(marked([]))).toThrow(/needs a job/);
    const q = jobSummary(marked(['job']));
    expect(q.sql).toContain('WHERE job_id IN SEL_job');
    expect(q.sql).toContain('MONEY(sum(cost_usd)) AS cost_usd_sum');
    expect(q.sql).toContain('quantilesExactInclusive(0.5, 0.95)(latency_ms)');
    expect(q.sql).not.toContain('toDecimalString');
    expect(jobEvents(marked(['job']), 5000, undefined, 10_000).sql).toMatch(/LIMIT 5000$/);
    expect(jobEvents(marked(['job']), 5000).sql).toMatch(/LIMIT 1000$/);
  });

  it('the jobs list filters with "involves" (HAVING), never prunes with the rollup when filters may apply', () => {
    const q = listJobs({ inputs: marked(['service', 'job']), filters: {}, sort: 'cost', order: 'desc', limit: 5 });
    expect(q.sql).toContain('HAVING countIf(service IN SEL_service) > 0');
    expect(q.sql).toContain('job_id IN SEL_job');
    expect(q.sql).not.toContain(JOB_COSTS_TABLE);
    expect(q.sql).toContain('ended_at >= FROM_T AND ended_at < TO_T');
  });

  it('attribution: a reader-chosen bucket, the top groups with the rest as one group, shares', () => {
    const q = attribution({
      inputs: marked(['tenant']),
      bucket: 'interval',
      groupBy: ['user'],
      top: 3,
      limit: 9,
      share: true,
    });
    expect(q.sql).toContain('BUCKET_interval(ended_at) AS bucket');
    expect(q.sql).toContain(`'${OTHER_GROUP}') AS \`user\``);
    expect(q.sql).toMatch(/ORDER BY sum\(cost_usd\) DESC NULLS LAST, user ASC LIMIT 3/);
    expect(q.sql).toContain('AS cost_share');
    expect(() => attribution({ inputs: marked([]), groupBy: ['user', 'tenant'], top: 3, limit: 9 })).toThrow(/top/);
    expect(() => attribution({ groupBy: [], limit: 9 })).toThrow(/range/);
    expect(() => attribution({ groupBy: [], bucket: 'interval', filters: { from: 'x', to: 'y' }, limit: 1 })).toThrow();
  });

  it('latency percentiles: a board’s bucket and filters; statuses only from the allow-list', () => {
    const q = latencyPercentiles({
      inputs: marked(['task', 'repository']),
      bucket: 'interval',
      groupBy: ['task'],
      limit: 50,
    });
    expect(q.sql).toContain('BUCKET_interval(ended_at) AS bucket');
    expect(q.sql).toContain('task_name IN SEL_task');
    expect(q.sql).toContain('quantilesExactInclusive(0.5, 0.95, 0.99)(latency_ms) AS latency_quantiles_ms');
    expect(q.sql).toContain("status IN ('ok', 'error', 'timeout', 'cancelled')");
    expect(q.sql).toMatch(/ORDER BY bucket ASC, tasks DESC, `task` ASC\nLIMIT 50$/);
    expect(latencyPercentiles({ inputs: marked([]), groupBy: [], statuses: ['refused'], limit: 1 }).sql).toContain(
      "status IN ('refused')",
    );
    expect(() =>
      latencyPercentiles({ inputs: marked([]), groupBy: [], statuses: ["ok') OR ('1" as 'ok'], limit: 1 }),
    ).toThrow(/status/);
    expect(() => latencyPercentiles({ inputs: marked([]), groupBy: ['job' as 'task'], limit: 1 })).toThrow(/group/);
    expect(() => latencyPercentiles({ groupBy: [], limit: 1 })).toThrow(/range/);
  });

  it('the daily trend reads the rollup by whole UTC days and refuses filters the rollup cannot apply', () => {
    const q = dailyCostTrend({ inputs: marked(['model', 'tenant']), groupBy: ['service'], limit: 10 });
    expect(q.sql).toContain(`FROM ${TABLES.dailyCosts}`);
    expect(q.sql).toContain("day >= toDate(FROM_T, 'UTC') AND toDateTime(day, 'UTC') < TO_T");
    expect(q.sql).toContain('request_model IN SEL_model');
    for (const k of ['user', 'job', 'task'] as const)
      expect(() => dailyCostTrend({ inputs: marked([k]), groupBy: [], limit: 1 })).toThrow(/cannot be filtered/);
    expect(() => dailyCostTrend({ inputs: marked([]), groupBy: ['user' as 'tenant'], limit: 1 })).toThrow(/no user/);
  });

  it('dimension values ignore their own filter; a projection keeps the query and its parameters', () => {
    const q = dimensionValues('provider', marked(['service', 'provider']));
    expect(q.sql).toContain('service IN SEL_service');
    expect(q.sql).not.toContain('SEL_provider');
    const p = project(jobSummary('j'), ['cost_usd_sum AS cost']);
    expect(p.sql).toMatch(/^SELECT\n {2}cost_usd_sum AS cost\nFROM \(\nSELECT/);
    expect(p.params).toEqual({ job_id: 'j' });
  });
});

describe('benchmark statements', () => {
  it('write only checked integers and names', () => {
    const base = {
      broker: '127.0.0.1:9092',
      topic: 't',
      group: 'g-1',
      consumers: 2,
      flushIntervalMs: 500,
      maxBlockSize: 10,
    };
    const k = kafkaEngineIngest(base);
    expect(k.create[1]!.sql).toContain(`TO ${TABLES.events} AS SELECT`);
    expect(k.drop.map((q) => q.sql)).toEqual(['DROP TABLE kafka_in_mv', 'DROP TABLE kafka_in']);
    expect(() => kafkaEngineIngest({ ...base, topic: EVIL })).toThrow(/plain name/);
    expect(() => syntheticEvents({ first: 0.5, count: 1, tasksPerJob: 20, startMs: 0, endMs: 1 })).toThrow(/integer/);
  });
});
