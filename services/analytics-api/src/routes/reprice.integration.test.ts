// Repricing in SQL agrees with the pricing module, event by event (docs/pricing.md, "Repricing":
// the same integer arithmetic in both). 3,000 seeded events over models with price history
// (o3's 2025-06-10 cut), time-of-day prices (deepseek-chat), context-length tiers (gemini-2.5-pro,
// claude-sonnet-4-5 above 200k input tokens), costs beyond Int64 femto-dollars, every token type,
// every service tier, tenants, and a price file with an override from a date, a per-tier
// multiplier and discounts whose fractions do not terminate (so half-up rounding is exercised) —
// stored with stale costs, repriced on the embedded engine by repriceRange, then every stored
// cost, pricing status and price source is compared with PriceTable.price() for the same call,
// and the report's totals with sums of those.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, insertEvents, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { repriceHistory } from '@aurea/clickhouse/reprice';
import { createRng } from '@aurea/common';
import { normalizeEvent, TOKEN_TYPES, tokenField, type ServiceTier, type TaskEventV1 } from '@aurea/events';
import { createPriceTable } from '@aurea/sdk/pricing';
import { runQuery } from '../ch.js';
import { repriceRange } from './reprice.js';

const JOB = 'job-reprice-agreement';
const N = 3000;
const MODELS: [string, string][] = [
  ['openai', 'o3'],
  ['openai', 'gpt-4.1'],
  ['openai', 'gpt-5'],
  ['anthropic', 'claude-sonnet-4-5'],
  ['anthropic', 'claude-opus-4-1'],
  ['gcp.gemini', 'gemini-2.5-pro'],
  ['gcp.gemini', 'gemini-2.5-flash'],
  ['deepseek', 'deepseek-chat'],
  ['mistral_ai', 'mistral-large-latest'],
  ['vllm', 'llama-3.3-70b-instruct'],
  ['openai', 'gpt-17-unknown'],
];
const TIERS: (ServiceTier | undefined)[] = [undefined, 'standard', 'batch', 'flex', 'priority'];
const TENANTS = [undefined, 'acme', 'globex', 'initech'];
const FROM = Date.parse('2025-05-20T00:00:00Z');
const SPAN = 60 * 86_400_000; // to 2025-07-19: across o3's cut and gpt-4.1's override date
const RANGE = { from: '2025-05-01T00:00:00Z', to: '2025-08-01T00:00:00Z' };

const table = createPriceTable({
  version: 'agreement-1',
  models: [
    {
      id: 'llama',
      provider: 'vllm',
      pattern: 'llama-3\\.3-70b(-.*)?',
      effective_from: '2025-01-01',
      input: '0.2',
      output: '0.4',
    },
    {
      id: 'gpt41-jul',
      provider: 'openai',
      model: 'gpt-4.1',
      effective_from: '2025-07-01',
      input: '1.7',
      output: '6.3',
      cache_read: '0.43',
      tiers: [{ above_input_tokens: 150_000, input: '3.1', output: '9.9' }],
    },
    {
      id: 'acme-third',
      provider: '*',
      pattern: '.*',
      tenant: 'acme',
      effective_from: '2025-01-01',
      discount_percent: '33.333333333',
    },
    {
      id: 'globex-7',
      provider: 'openai',
      pattern: '.*',
      tenant: 'globex',
      effective_from: '2025-06-15',
      discount_percent: 7,
    },
  ],
  service_tiers: [{ provider: 'openai', tier: 'priority', multiplier: '1.7' }],
});

const rng = createRng('reprice-agreement');
const count = (max: number) => (rng.next() < 0.4 ? 0 : rng.int(1, max));
const events: TaskEventV1[] = Array.from({ length: N }, (_, i) => {
  const [provider, model] = rng.pick(MODELS);
  const started = FROM + Math.floor(rng.next() * SPAN);
  const big = rng.next() < 0.2; // above the 150k/200k input tiers
  const usage = Object.fromEntries(
    TOKEN_TYPES.map((t) => [
      tokenField(t),
      t === 'input' ? rng.int(1, big ? 400_000 : 5_000) : count(t === 'cache_read' && big ? 90_000 : 3_000),
    ]),
  );
  const status = rng.next() < 0.05 ? 'custom' : rng.next() < 0.03 ? 'not_applicable' : 'priced';
  const tier = rng.pick(TIERS);
  const tenant = rng.pick(TENANTS);
  return {
    schema_version: 1,
    event_id: `0190a0b0-0000-7000-8000-${String(i).padStart(12, '0')}`,
    source: 'sdk',
    started_at: new Date(started).toISOString(),
    ended_at: new Date(started + 1500).toISOString(),
    job_id: JOB,
    task_id: `t${i}`,
    service: 'svc',
    task_name: 'task',
    operation: 'chat',
    provider,
    request_model: model,
    usage,
    latency_ms: 1500,
    status: 'ok',
    // a stale figure: whatever priced it before (here, i nano-dollars)
    cost_usd: status === 'not_applicable' ? null : i / 1e9,
    pricing_status: status,
    price_version: 'old',
    price_source: status === 'custom' ? 'estimate' : 'catalog',
    ...(tier ? { service_tier: tier } : {}),
    ...(tenant ? { tenant } : {}),
  };
});
// Whales: 1e11 input tokens at $15 per 1M is 1.5e21 femto-dollars for one type, beyond Int64.
for (const [i, model] of ['claude-opus-4-1', 'claude-sonnet-4-5'].entries())
  events.push({
    ...events[0]!,
    event_id: `0190a0b0-0000-7000-8001-${String(i).padStart(12, '0')}`,
    task_id: `whale${i}`,
    provider: 'anthropic',
    request_model: model,
    usage: { input_tokens: 100_000_000_000, output_tokens: 3_000_000_001, cache_read_tokens: 7 },
    cost_usd: 1,
    pricing_status: 'priced',
    price_source: 'catalog',
    tenant: 'acme',
    service_tier: 'batch',
  });

const dir = mkdtempSync(join(tmpdir(), 'aurea-reprice-agreement-'));
let ch: AureaClickHouse;
beforeAll(async () => {
  ch = await createClickHouse({ database: 'aurea_test', dataDir: dir });
  // 2025 events (o3's price history) are older than the default retention: keep them
  await migrate(ch, { retentionDays: 3650 });
  await insertEvents(ch, events.map(normalizeEvent));
});
afterAll(async () => {
  await ch?.close();
  rmSync(dir, { recursive: true, force: true });
});

const nanos = (usd: string | null | undefined) =>
  usd === null || usd === undefined ? 0n : BigInt(usd.replace('.', ''));
const usd9 = (n: bigint) => `${n / 1_000_000_000n}.${(n % 1_000_000_000n).toString().padStart(9, '0')}`;

describe('repricing in SQL = the pricing module, event by event', () => {
  it('every recomputed cost, status and source equals PriceTable.price(); the report sums them', async () => {
    const report = await repriceRange(ch, table, RANGE);
    const rows = await runQuery<{ event_id: string; cost_usd: string | null; price_source: string }>(
      ch,
      repriceHistory(JOB),
    );
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    expect(byId.size).toBe(events.length);
    // Opus 4.1 [anthropic.com/pricing]: (1e11 × $15 + 3,000,000,001 × $75 + 7 × $1.50) per 1M
    // = 1,725,000.0000855 USD, × 0.5 (batch) × 0.66666666667 (acme) = 575,000.00003137499…, half up
    expect(byId.get('0190a0b0-0000-7000-8001-000000000000')!.cost_usd).toBe('575000.000031375');
    let changed = 0;
    let oldTotal = 0n;
    let newTotal = 0n;
    let unpriced = 0;
    const kinds = { tiered: 0, discounted: 0, multiplied: 0, unknown: 0 };
    for (const e of events) {
      const row = byId.get(e.event_id)!;
      const stored = e.cost_usd === null || e.cost_usd === undefined ? null : e.cost_usd.toFixed(9);
      if (e.pricing_status !== 'priced') {
        expect([row.cost_usd, row.price_source]).toEqual([stored, e.price_source]);
        continue;
      }
      const p = table.price(e.provider, e.request_model, e.usage, Date.parse(e.started_at), {
        tenant: e.tenant ?? null,
        serviceTier: e.service_tier ?? 'standard',
      });
      expect([e.event_id, row.cost_usd, row.price_source]).toEqual([e.event_id, p.cost, p.source ?? '']);
      if (p.cost !== stored || (p.source ?? '') !== e.price_source) {
        changed++;
        oldTotal += nanos(stored);
        newTotal += nanos(p.cost);
        if (p.cost === null) unpriced++;
      }
      if (p.cost === null) kinds.unknown++;
      if (p.source?.includes('+discount:')) kinds.discounted++;
      if ((e.usage.input_tokens ?? 0) > 200_000 && p.cost !== null) kinds.tiered++;
      if (e.service_tier === 'priority' && p.cost !== null) kinds.multiplied++;
    }
    // the dataset exercises what it claims to
    for (const k of Object.values(kinds)) expect(k).toBeGreaterThan(20);
    expect(report).toEqual({
      events_scanned: events.filter((e) => e.pricing_status === 'priced').length,
      events_changed: changed,
      old_total_usd: usd9(oldTotal),
      new_total_usd: usd9(newTotal),
      unpriced_after: unpriced,
      price_version: table.version,
      dry_run: false,
    });
    // a second run finds the stored figures equal to the table's
    expect((await repriceRange(ch, table, RANGE)).events_changed).toBe(0);
  });
});
