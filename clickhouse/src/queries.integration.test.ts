// The rollup-pruned "most expensive jobs" page (listJobs sort=cost desc, no filters) must return
// exactly what the full task_events FINAL aggregation returns — with the cases that make the
// job_costs rollup differ from the truth in range: jobs with events outside the range (the rollup
// counts all of them), events stored after the rollup's last refresh (0005: it is recomputed every
// 30 s), a duplicate event, ties on cost, unpriced events, and fewer jobs in range than the limit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type AureaClickHouse } from './client.js';
import { migrate } from './migrate.js';
import { listJobs, TABLES, topJobsByCost, type NamedQuery } from './queries.js';
import { refreshRollups } from './rollups.js';

const dir = mkdtempSync(join(tmpdir(), 'aurea-queries-'));
let ch: AureaClickHouse;

const FROM = '2026-11-10T00:00:00.000Z';
const TO = '2026-11-20T00:00:00.000Z';
let offset = 0;

function row(job: string, endedAt: string, cost: string | null, eventId?: string) {
  const ended = Date.parse(endedAt);
  offset++;
  return {
    event_id: eventId ?? `0190c0de-0000-7000-8000-${offset.toString(16).padStart(12, '0')}`,
    schema_version: 1,
    source: 'sdk',
    started_at: new Date(ended - 500).toISOString(),
    ended_at: endedAt,
    job_id: job,
    task_id: `t-${offset}`,
    service: 'svc',
    task_name: 'step',
    operation: 'chat',
    provider: 'openai',
    request_model: 'gpt-4o',
    input_tokens: 10,
    output_tokens: 5,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    latency_ms: 500,
    status: 'ok',
    cost_usd: cost,
    pricing_status: cost === null ? 'unknown_model' : 'priced',
    attributes: {},
    kafka_partition: 0,
    kafka_offset: offset,
  };
}

async function rows(q: NamedQuery): Promise<unknown[]> {
  const rs = await ch.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
  return rs.json();
}

beforeAll(async () => {
  ch = await createClickHouse({ database: 'aurea_queries_it', dataDir: dir });
  await migrate(ch, {});
  const dup = '0190c0de-0000-7000-8000-ffffffffffff';
  const inserts = [
    // Cheapest in the range but counted twice by the rollup (same event_id, two inserts).
    [row('dup', '2026-11-12T00:00:00.000Z', '3.000000000', dup)],
    [row('dup', '2026-11-12T00:00:00.000Z', '3.000000000', dup)],
    [
      // Most of its cost is before the range: the rollup ranks it first, the truth last-ish.
      row('straddle', '2026-11-01T00:00:00.000Z', '100.000000000'),
      row('straddle', '2026-11-15T00:00:00.000Z', '1.000000000'),
      // Entirely before / after the range: never listed.
      row('before', '2026-11-02T00:00:00.000Z', '50.000000000'),
      row('after', '2026-11-21T00:00:00.000Z', '60.000000000'),
      // Ties on cost: ordered by job_id.
      row('tie-b', '2026-11-13T00:00:00.000Z', '4.000000000'),
      row('tie-a', '2026-11-13T00:00:00.000Z', '4.000000000'),
      row('tie-c', '2026-11-13T00:00:00.000Z', '4.000000000'),
      row('big', '2026-11-14T00:00:00.000Z', '5.000000000'),
      row('big', '2026-11-16T00:00:00.000Z', '0.500000000'),
      row('unpriced', '2026-11-17T00:00:00.000Z', null),
      row('cheap', '2026-11-18T00:00:00.000Z', '0.000000001'),
    ],
  ];
  // Stored long before the refresh below: the pruning finds these through the rollup alone.
  const old = { inserted_at: '2026-11-01 00:00:00.000' };
  for (const values of inserts)
    await ch.client.insert({
      table: TABLES.events,
      format: 'JSONEachRow',
      values: values.map((v) => ({ ...v, ...old })),
    });
  await refreshRollups(ch);
});

afterAll(async () => {
  await ch.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('top jobs by cost through the job_costs rollup', () => {
  it('the rollup really differs from the truth in range (whole jobs), duplicates collapsed', async () => {
    const r = (await rows({
      name: 'x',
      sql: `SELECT job_id, toString(sum(cost_usd)) AS c FROM ${TABLES.jobCosts} WHERE job_id IN ('dup', 'straddle') GROUP BY job_id ORDER BY job_id`,
      params: {},
    })) as { c: string }[];
    expect(r.map((x) => x.c)).toEqual(['3', '101']);
  });

  it('returns exactly the full FINAL scan, for every limit', async () => {
    for (let limit = 1; limit <= 10; limit++) {
      const pruned = await rows(topJobsByCost(FROM, TO, limit));
      const scanned = await rows(topJobsByCost(FROM, TO, limit, { rollup: false }));
      expect(pruned, `limit ${limit}`).toEqual(scanned);
    }
    // Other ranges: one where the rollup's first jobs are exact (C alone covers the page), one
    // where the rollup's first job has no event in range.
    for (const [from, to] of [
      ['2026-11-13T00:00:00.000Z', '2026-11-14T00:00:00.000Z'],
      ['2026-11-13T00:00:00.000Z', '2026-11-15T00:00:00.000Z'],
    ] as const) {
      for (let limit = 1; limit <= 5; limit++) {
        expect(await rows(topJobsByCost(from, to, limit)), `${from} limit ${limit}`).toEqual(
          await rows(topJobsByCost(from, to, limit, { rollup: false })),
        );
      }
    }
    const all = (await rows(topJobsByCost(FROM, TO, 100))) as { job_id: string; cost_usd_sum: string }[];
    expect(all.map((r) => `${r.job_id}=${r.cost_usd_sum}`)).toEqual([
      'big=5.500000000',
      'tie-a=4.000000000',
      'tie-b=4.000000000',
      'tie-c=4.000000000',
      'dup=3.000000000',
      'straddle=1.000000000',
      'cheap=0.000000001',
      'unpriced=0.000000000',
    ]);
  });

  it('finds what was stored after the rollup\u2019s refresh: a new job, and more cost for a known one', async () => {
    const late = [
      row('late', '2026-11-19T00:00:00.000Z', '7.000000000'),
      row('cheap', '2026-11-18T01:00:00.000Z', '10.000000000'),
    ];
    await ch.client.insert({ table: TABLES.events, format: 'JSONEachRow', values: late });
    for (let limit = 1; limit <= 10; limit++)
      expect(await rows(topJobsByCost(FROM, TO, limit)), `limit ${limit}`).toEqual(
        await rows(topJobsByCost(FROM, TO, limit, { rollup: false })),
      );
    const two = (await rows(topJobsByCost(FROM, TO, 2))) as { job_id: string; cost_usd_sum: string }[];
    expect(two.map((r) => `${r.job_id}=${r.cost_usd_sum}`)).toEqual(['cheap=10.000000001', 'late=7.000000000']);
  });

  it('uses the rollup only for the unfiltered first page sorted by cost, descending', () => {
    const base = { filters: { from: FROM, to: TO }, limit: 10 } as const;
    expect(listJobs({ ...base, sort: 'cost', order: 'desc' }).sql).toContain('FROM job_costs');
    expect(listJobs({ ...base, sort: 'cost', order: 'desc', rollup: false }).sql).not.toContain('job_costs');
    expect(listJobs({ ...base, sort: 'cost', order: 'asc' }).sql).not.toContain('job_costs');
    expect(listJobs({ ...base, sort: 'tokens', order: 'desc' }).sql).not.toContain('job_costs');
    expect(
      listJobs({ ...base, filters: { ...base.filters, tenant: 'acme' }, sort: 'cost', order: 'desc' }).sql,
    ).not.toContain('job_costs');
    expect(
      listJobs({ ...base, filters: { ...base.filters, status: 'error' }, sort: 'cost', order: 'desc' }).sql,
    ).not.toContain('job_costs');
    expect(listJobs({ ...base, sort: 'cost', order: 'desc', after: { value: '1', jobId: 'x' } }).sql).not.toContain(
      'job_costs',
    );
  });
});
