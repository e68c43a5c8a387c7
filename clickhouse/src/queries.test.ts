// Named queries: values never reach the SQL text (only typed parameters do), identifiers come
// from allow-lists, and builders refuse anything outside them.
import { describe, expect, it } from 'vitest';
import {
  attribution,
  budgetSpend,
  chTime,
  isoTime,
  jobEvents,
  jobSummary,
  listJobs,
  topJobsByCost,
  type GroupByDimension,
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
