import { describe, expect, it } from 'vitest';
import { run } from './main.js';
import { int, ms, renderTable, usd } from './table.js';
import { renderSummary, type Sample } from './watch.js';

describe('tables', () => {
  it('aligns text left and numbers right under a rule', () => {
    const t = renderTable(
      [
        { m: 'gpt-4o', c: '1.500000000' },
        { m: 'claude-3-5-haiku', c: '0.000120000' },
      ],
      [
        { header: 'MODEL', value: (r) => r.m },
        { header: 'COST', value: (r) => usd(r.c), align: 'right' },
      ],
    );
    expect(t.split('\n')).toEqual([
      'MODEL' + ' '.repeat(18) + 'COST',
      '----------------  ---------',
      'gpt-4o              $1.5000',
      'claude-3-5-haiku  $0.000120',
    ]);
  });

  it('formats money, counts and durations', () => {
    expect(usd('12.345678901')).toBe('$12.3457');
    expect(usd(null)).toBe('-');
    expect(usd('0.000000000')).toBe('$0.0000');
    expect(int(1234567)).toBe('1,234,567');
    expect(ms(950)).toBe('950 ms');
    expect(ms(1500)).toBe('1.50 s');
  });
});

describe('aurea run()', () => {
  it('prints usage and refuses unknown commands and bad options', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--help'])).out).toContain('costs --by <dims>');
    expect((await run(['nope'])).out).toContain('unknown command "nope"');
    expect((await run(['job'])).out).toContain('usage: aurea job <job-id>');
    expect((await run(['costs'])).out).toContain('usage: aurea costs --by');
    expect((await run(['jobs', '--limit', 'x'])).out).toContain('--limit must be a positive integer');
  });

  it('says so when the API is not reachable', async () => {
    const r = await run(['jobs', '--api', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});

describe('live summary', () => {
  const base = (at: number, finished: number, events: number): Sample => ({
    at,
    orch: {
      jobsSubmitted: finished + 3,
      jobsFinished: finished,
      jobsShed: 1,
      jobsRunning: 3,
      tasksFinished: finished * 3,
      tasksFailed: 2,
      costUsd: 1,
      queueDepth: 0,
      activeTasks: 3,
      breakers: { openai: 'closed', anthropic: 'open' },
    },
    events,
    chCost: '12.345678901',
    promCost: 12.3456789,
    top: [
      {
        job_id: 'job-a',
        status: 'ok',
        tasks: 4,
        failed_tasks: 0,
        unpriced_tasks: 0,
        cost_usd: '1.000000000',
        provided_cost_usd: '0.000000000',
        tokens: { input: 1, output: 1, cache_read: 0, cache_write: 0, reasoning: 0, total: 2 },
        first_seen: '',
        last_seen: '',
        latency_avg_ms: 1,
        services: [],
      },
    ],
  });

  it('computes rates from consecutive samples and shows cost, breakers and top jobs', () => {
    const lines = renderSummary(base(12_000, 30, 400), base(10_000, 20, 300), { top: 5, serviceName: 'orchestrator' });
    const text = lines.join('\n');
    expect(text).toMatch(/jobs\/s\s+5\.0\s+finished 30, running 3, shed 1 \(429\)/);
    expect(text).toMatch(/events\/s\s+50\.0\s+400 task events/);
    expect(text).toContain('$12.3457');
    expect(text).toContain('openai closed · anthropic open');
    expect(text).toMatch(/job-a\s+ok\s+4\s+2\s+\$1\.0000/);
  });

  it('shows a source that is down instead of failing', () => {
    const lines = renderSummary({ at: 1, orchError: 'ECONNREFUSED', chError: 'cannot reach' }, undefined, {
      top: 5,
      serviceName: 'o',
    });
    expect(lines.join('\n')).toContain('orchestrator unavailable (ECONNREFUSED)');
    expect(lines.join('\n')).toContain('analytics API unavailable (cannot reach)');
  });
});
