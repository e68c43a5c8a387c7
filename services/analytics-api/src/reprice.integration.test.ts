// Repricing on the embedded engine: events stored with catalog prices, then a price file adds an
// override and a per-tenant discount; POST /v1/reprice changes exactly the expected events by
// exactly the expected amounts (worked out by hand below), a second run changes nothing, a late
// redelivery of an original does not undo it, and the original cost stays readable.
// Catalog list prices used: gpt-4.1 $2.00 in / $8.00 out per 1M tokens (openai.com/api/pricing);
// claude-sonnet-4-5 $3 / $15 (anthropic.com/pricing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repriceHistory } from '@aurea/clickhouse/reprice';
import { normalizeEvent, type TaskEventV1 } from '@aurea/events';
import { createPriceTable } from '@aurea/sdk/pricing';
import { buildApp } from './app.js';
import { runQuery } from './ch.js';
import { KEYS, auth, silentLogger, testConfig } from './testing/app.js';
import { insertEvents, openTestClickHouse, type TestClickHouse } from './testing/clickhouse.js';

const JOB = 'job-reprice-1';
const base = (n: number, over: Partial<TaskEventV1>): TaskEventV1 => ({
  schema_version: 1,
  event_id: `0190a0b0-0000-7000-8000-${String(n).padStart(12, '0')}`,
  source: 'sdk',
  started_at: '2026-02-10T10:00:00.000Z',
  ended_at: '2026-02-10T10:00:01.000Z',
  job_id: JOB,
  task_id: `t${n}`,
  service: 'svc',
  task_name: 'task',
  operation: 'chat',
  provider: 'openai',
  request_model: 'gpt-4.1',
  usage: {},
  latency_ms: 1000,
  status: 'ok',
  pricing_status: 'priced',
  price_version: 'genai-prices@0.1.8',
  price_source: 'catalog',
  ...over,
});
const events = [
  // 1,000,000 × 2 + 100,000 × 8 = 2.8 USD
  base(1, { usage: { input_tokens: 1_000_000, output_tokens: 100_000 }, cost_usd: 2.8 }),
  // 1,000 × 3 + 1,000 × 15 = 0.018 USD (no override: unchanged)
  base(2, {
    provider: 'anthropic',
    request_model: 'claude-sonnet-4-5',
    usage: { input_tokens: 1000, output_tokens: 1000 },
    cost_usd: 0.018,
  }),
  // tenant acme, 500,000 × 2 = 1.0 USD
  base(3, { tenant: 'acme', usage: { input_tokens: 500_000 }, cost_usd: 1 }),
  // outside the repriced range (January): 1,000,000 × 2 = 2.0 USD, stays
  base(4, {
    started_at: '2026-01-20T10:00:00.000Z',
    ended_at: '2026-01-20T10:00:01.000Z',
    usage: { input_tokens: 1_000_000 },
    cost_usd: 2,
  }),
].map(normalizeEvent);

// The price file added afterwards: a negotiated gpt-4.1 price from February, and 20% off for acme.
const table = createPriceTable({
  version: 'acme-2026-02',
  models: [
    { id: 'gpt41-feb', provider: 'openai', model: 'gpt-4.1', effective_from: '2026-02-01', input: '1.5', output: '6' },
    { id: 'acme-20', provider: '*', pattern: '.*', tenant: 'acme', effective_from: '2026-01-01', discount_percent: 20 },
  ],
});

let t: TestClickHouse;
let app: Awaited<ReturnType<typeof buildApp>>;
const jobCost = async () =>
  (await app.inject({ method: 'GET', url: `/v1/jobs/${JOB}`, headers: auth(KEYS.read) })).json<{ cost_usd: string }>()
    .cost_usd;
const reprice = async (body: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/v1/reprice', headers: auth(KEYS.ingest), payload: body });
const FEB = { from: '2026-02-01T00:00:00Z', to: '2026-03-01T00:00:00Z' };

beforeAll(async () => {
  t = await openTestClickHouse('reprice-it');
  await insertEvents(t.ch, events);
  app = await buildApp({
    ch: t.ch,
    config: testConfig({ priceTable: table }),
    logger: silentLogger(),
    budgetRefreshMs: 0,
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.cleanup();
});

describe('POST /v1/reprice', () => {
  it('dry run reports, writes nothing', async () => {
    const res = await reprice({ ...FEB, dry_run: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ events_scanned: 3, events_changed: 2, dry_run: true });
    expect(await jobCost()).toBe('5.818000000');
  });

  it('changes per-job totals by exactly the expected amount; the original stays readable', async () => {
    expect(await jobCost()).toBe('5.818000000'); // 2.8 + 0.018 + 1.0 + 2.0
    const res = await reprice(FEB);
    expect(res.statusCode).toBe(200);
    // event 1: 1,000,000 × 1.5 + 100,000 × 6 = 2.1; event 3 (acme): 500,000 × 1.5 × 80% = 0.6
    expect(res.json()).toEqual({
      currency: 'USD',
      events_scanned: 3,
      events_changed: 2,
      old_total_usd: '3.800000000',
      new_total_usd: '2.700000000',
      unpriced_after: 0,
      price_version: table.version,
      dry_run: false,
    });
    expect(await jobCost()).toBe('4.718000000'); // 5.818 − 1.1
    const rows = await runQuery<Record<string, unknown>>(t.ch, repriceHistory(JOB));
    expect(rows.map((r) => [r.cost_usd, r.original_cost_usd, Number(r.price_revision), r.price_source])).toEqual([
      ['2.000000000', '2.000000000', 0, 'catalog'], // January: untouched
      ['2.100000000', '2.800000000', 1, 'override:gpt41-feb'],
      ['0.018000000', '0.018000000', 0, 'catalog'],
      ['0.600000000', '1.000000000', 1, 'override:gpt41-feb+discount:acme-20'],
    ]);
  });

  it('is idempotent: a second run changes nothing', async () => {
    const res = await reprice(FEB);
    expect(res.json()).toMatchObject({ events_scanned: 3, events_changed: 0, old_total_usd: '0.000000000' });
    expect(await jobCost()).toBe('4.718000000');
  });

  it('a late redelivery of an original never undoes a repricing', async () => {
    await insertEvents(t.ch, [events[0]!], () => ({ partition: 1, offset: 99 }));
    expect(await jobCost()).toBe('4.718000000');
    await t.ch.client.command({ query: 'OPTIMIZE TABLE task_events FINAL' });
    expect(await jobCost()).toBe('4.718000000');
  });

  it('one tenant only; a tenant-scoped key may reprice only its tenant', async () => {
    expect((await reprice({ ...FEB, tenant: 'acme' })).json()).toMatchObject({ events_scanned: 1, events_changed: 0 });
    const other = await app.inject({
      method: 'POST',
      url: '/v1/reprice',
      headers: auth(KEYS.acme),
      payload: { ...FEB, tenant: 'globex' },
    });
    expect(other.statusCode).toBe(403);
    const bad = await reprice({ from: FEB.to, to: FEB.from });
    expect(bad.statusCode).toBe(400);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/reprice', headers: auth(KEYS.read), payload: FEB })).statusCode,
    ).toBe(403);
  });
});
