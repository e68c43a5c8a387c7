// `aurea reprice` against a real analytics API: the API built by @aurea/analytics-api, listening on
// a port, over the embedded ClickHouse engine (temp data dir). Events are stored with the
// catalog's list prices; the API's price file then lowers gpt-4.1 from March and gives globex 10%
// off. The CLI's dry run reports without writing, --apply writes, a second run changes nothing,
// and the job's cost read back through the CLI moves by exactly the amounts worked out here.
// List prices used (USD per 1M tokens): gpt-4.1 $2 in / $8 out (openai.com/api/pricing);
// claude-sonnet-4-5 $3 / $15 (anthropic.com/pricing).
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKey, buildApp } from '@aurea/analytics-api';
import { createClickHouse, insertEvents, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { createLogger } from '@aurea/common';
import { normalizeEvent, type TaskEventV1 } from '@aurea/events';
import { createPriceTable } from '@aurea/sdk/pricing';
import { run } from './main.js';

const INGEST = 'cli-ingest-key-0123456789';
const READ = 'cli-read-key-0123456789ab';
const JOB = 'job-cli-reprice';
const MARCH = ['reprice', '--from', '2026-03-01T00:00:00Z', '--to', '2026-04-01T00:00:00Z'];

const event = (n: number, over: Partial<TaskEventV1>): TaskEventV1 => ({
  schema_version: 1,
  event_id: `0190a0b0-0000-7000-8000-${String(n).padStart(12, '0')}`,
  source: 'sdk',
  started_at: '2026-03-10T10:00:00.000Z',
  ended_at: '2026-03-10T10:00:02.000Z',
  job_id: JOB,
  task_id: `t${n}`,
  service: 'svc',
  task_name: 'task',
  operation: 'chat',
  provider: 'openai',
  request_model: 'gpt-4.1',
  usage: {},
  latency_ms: 2000,
  status: 'ok',
  pricing_status: 'priced',
  price_version: 'genai-prices@0.1.8',
  price_source: 'catalog',
  ...over,
});
const EVENTS = [
  // acme: 1,234,567 × $2 + 89,012 × $8 per 1M = 2.469134 + 0.712096 = 3.181230
  //   → 1,234,567 × $1.5 + 89,012 × $6 = 1.8518505 + 0.534072 = 2.3859225
  event(1, { tenant: 'acme', usage: { input_tokens: 1_234_567, output_tokens: 89_012 }, cost_usd: 3.18123 }),
  // globex: 333,333 × $2 = 0.666666 → 333,333 × $1.5 × 0.9 = 0.44999955
  event(2, { tenant: 'globex', usage: { input_tokens: 333_333 }, cost_usd: 0.666666 }),
  // no override for this model: 1,000 × $3 + 1,000 × $15 = 0.018, unchanged
  event(3, {
    tenant: 'acme',
    provider: 'anthropic',
    request_model: 'claude-sonnet-4-5',
    usage: { input_tokens: 1000, output_tokens: 1000 },
    cost_usd: 0.018,
  }),
  // February, outside the range: 1,000,000 × $2 = 2, stays
  event(4, {
    tenant: 'acme',
    started_at: '2026-02-10T10:00:00.000Z',
    ended_at: '2026-02-10T10:00:01.000Z',
    usage: { input_tokens: 1_000_000 },
    cost_usd: 2,
  }),
].map(normalizeEvent);

const table = createPriceTable({
  version: 'cli-test-2026-03',
  models: [
    { id: 'gpt41-mar', provider: 'openai', model: 'gpt-4.1', effective_from: '2026-03-01', input: '1.5', output: '6' },
    {
      id: 'globex-10',
      provider: '*',
      pattern: '.*',
      tenant: 'globex',
      effective_from: '2026-01-01',
      discount_percent: 10,
    },
  ],
});

let dir = '';
let ch: AureaClickHouse;
let app: Awaited<ReturnType<typeof buildApp>>;
let url = '';
const cli = (args: string[], key = INGEST) => run([...args, '--api', url, '--api-key', key], {});
const jobCost = async () =>
  (JSON.parse((await cli(['job', JOB, '--json'], READ)).out) as { cost_usd: string }).cost_usd;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'aurea-cli-reprice-'));
  ch = await createClickHouse({ database: 'aurea_cli_test', dataDir: dir });
  await migrate(ch, {});
  await insertEvents(ch, EVENTS);
  app = await buildApp({
    ch,
    config: {
      auth: { mode: 'required', keys: [apiKey('ops', INGEST, ['ingest']), apiKey('reader', READ, ['read'])] },
      metricsAuth: 'open',
      ingest: { topic: 'unused', maxEventsPerRequest: 10, bodyLimitBytes: 1 << 20 },
      budgets: [],
      docs: false,
      maxPageSize: 100,
      priceTable: table,
    },
    logger: createLogger('cli-reprice-test', 'silent'),
    budgetRefreshMs: 0,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('aurea reprice', () => {
  it('dry run by default: reports events changed and both totals exactly, writes nothing', async () => {
    expect(await jobCost()).toBe('5.865896000'); // 3.18123 + 0.666666 + 0.018 + 2
    const r = await cli(MARCH);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toContain('dry run (nothing written)');
    expect(lines).toContain(`  price table      ${table.version}`);
    expect(lines).toContain('  events scanned   3');
    expect(lines).toContain('  events changed   2');
    expect(lines).toContain('  old total        3.847896000 USD'); // 3.18123 + 0.666666
    expect(lines).toContain('  new total        2.835922050 USD'); // 2.3859225 + 0.44999955
    expect(lines).toContain('  unpriced after   0');
    expect(lines.at(-1)).toBe('run again with --apply to write these prices');
    expect(await jobCost()).toBe('5.865896000');
  });

  it('--apply for one tenant writes that tenant only', async () => {
    const r = await cli([...MARCH, '--tenant', 'globex', '--apply', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as Record<string, Record<string, unknown>>;
    expect(body.dry_run).toMatchObject({ dry_run: true, events_changed: 1, old_total_usd: '0.666666000' });
    expect(body.applied).toEqual({
      currency: 'USD',
      events_scanned: 1,
      events_changed: 1,
      old_total_usd: '0.666666000',
      new_total_usd: '0.449999550',
      unpriced_after: 0,
      price_version: table.version,
      dry_run: false,
    });
    expect(await jobCost()).toBe('5.649229550'); // 5.865896 − 0.666666 + 0.44999955
  });

  it('--apply on the range writes the rest; a second run changes nothing', async () => {
    const r = await cli([...MARCH, '--apply']);
    expect(r.code).toBe(0);
    const applied = r.out.split('\napplied\n')[1]!.split('\n');
    expect(applied).toContain('  events changed   1');
    expect(applied).toContain('  old total        3.181230000 USD');
    expect(applied).toContain('  new total        2.385922500 USD');
    expect(r.out.split('\n').at(-1)).toBe('wrote 1 repriced events (their original cost is kept)');
    expect(await jobCost()).toBe('4.853922050'); // 2.3859225 + 0.44999955 + 0.018 + 2

    const again = await cli([...MARCH, '--apply']);
    expect(again.out).toContain('  events changed   0');
    expect(again.out).not.toContain('\napplied\n');
    expect(again.out.split('\n').at(-1)).toBe('nothing to change: every event already has these prices');
    expect(await jobCost()).toBe('4.853922050');
  });

  it('says what is wrong: a missing range, a key without the ingest scope, an unreachable API', async () => {
    expect(await run(['reprice', '--from', '2026-03-01T00:00:00Z'])).toMatchObject({ code: 2 });
    expect((await run([...MARCH, '--timeout', '0'])).out).toContain('--timeout must be a positive number');
    const denied = await cli(MARCH, READ);
    expect(denied.code).toBe(1);
    expect(denied.out).toMatch(/^aurea: 403 from \/v1\/reprice: /);
    const down = await run([...MARCH, '--api', 'http://127.0.0.1:9']);
    expect(down).toMatchObject({ code: 1 });
    expect(down.out).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
