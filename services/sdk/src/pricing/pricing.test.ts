import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createPriceTable, defaultPriceTable, loadPriceTable, priceUsage, PriceTable } from './index.js';

describe('default price table', () => {
  it('contains the seeds’ models at their stated per-1K prices', () => {
    const at = '2025-01-01';
    const per1k = (provider: string, model: string) =>
      priceUsage({ provider, model, usage: { input: 500, output: 500 }, at }).costUsd;
    expect(per1k('openai', 'gpt-4')).toBeCloseTo(0.03, 12);
    expect(per1k('openai', 'gpt-4-turbo')).toBeCloseTo(0.01, 12);
    expect(per1k('openai', 'gpt-3.5-turbo')).toBeCloseTo(0.002, 12);
    expect(per1k('anthropic', 'claude-2')).toBeCloseTo(0.025, 12);
    expect(per1k('anthropic', 'claude-3-opus')).toBeCloseTo(0.015, 12);
    expect(per1k('anthropic', 'claude-3-sonnet')).toBeCloseTo(0.003, 12);
    expect(per1k('anthropic', 'claude-3-haiku')).toBeCloseTo(0.00025, 12);
    expect(per1k('meta', 'llama-2')).toBeCloseTo(0.001, 12);
    expect(per1k('meta', 'llama-2-70b')).toBeCloseTo(0.0007, 12);
    expect(per1k('meta', 'llama-2-13b')).toBeCloseTo(0.0002, 12);
  });

  it('prices by usage type (USD per 1M tokens)', () => {
    const r = priceUsage({
      provider: 'anthropic',
      model: 'claude-3-5-sonnet-20241022',
      usage: { input: 1e6, output: 1e6, cacheRead: 1e6, cacheWrite: 1e6 },
      at: '2025-03-01',
    });
    expect(r).toMatchObject({ status: 'priced', priceVersion: defaultPriceTable.version });
    expect(r.costUsd).toBeCloseTo(3 + 15 + 0.3 + 3.75, 9);
  });

  it('accepts the event’s snake_case usage (for recomputing history)', () => {
    const a = priceUsage({
      provider: 'openai',
      model: 'gpt-4o',
      usage: { input: 1000, output: 100, cacheRead: 50 },
      at: '2025-01-01',
    });
    const b = priceUsage({
      provider: 'openai',
      model: 'gpt-4o',
      usage: { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 50 },
      at: '2025-01-01',
    });
    expect(b.costUsd).toBe(a.costUsd);
  });

  it('uses the price in force at the event’s time', () => {
    const usage = { input: 1e6, output: 1e6 };
    expect(priceUsage({ provider: 'openai', model: 'gpt-4o', usage, at: '2024-06-01T00:00:00Z' }).costUsd).toBeCloseTo(
      5 + 15,
      9,
    );
    expect(priceUsage({ provider: 'openai', model: 'gpt-4o', usage, at: '2024-10-01T23:59:59Z' }).costUsd).toBeCloseTo(
      20,
      9,
    );
    expect(priceUsage({ provider: 'openai', model: 'gpt-4o', usage, at: '2024-10-02T00:00:00Z' }).costUsd).toBeCloseTo(
      2.5 + 10,
      9,
    );
    expect(priceUsage({ provider: 'openai', model: 'gpt-4o', usage, at: new Date('2025-05-01') }).costUsd).toBeCloseTo(
      12.5,
      9,
    );
    // Before the first entry: unknown, not $0.
    expect(priceUsage({ provider: 'openai', model: 'gpt-4o', usage, at: '2024-01-01' })).toMatchObject({
      costUsd: null,
      status: 'unknown_model',
    });
  });

  it('matches exact names case-insensitively and patterns anchored', () => {
    expect(defaultPriceTable.lookup('openai', 'GPT-4', Date.parse('2025-01-01'))?.model).toBe('gpt-4');
    expect(defaultPriceTable.lookup('openai', 'gpt-4o-mini-2024-07-18', Date.parse('2025-01-01'))?.input).toBe(0.15);
    expect(defaultPriceTable.lookup('openai', 'gpt-4o-mini-something', Date.parse('2025-01-01'))).toBeNull();
    expect(defaultPriceTable.lookup('openai', 'claude-3-opus', Date.parse('2025-01-01'))).toBeNull(); // provider matters
  });

  it('unknown model: cost null and flagged, never a silent $0', () => {
    const r = priceUsage({
      provider: 'openai',
      model: 'gpt-9-ultra',
      usage: { input: 10, output: 10 },
      at: Date.now(),
    });
    expect(r.costUsd).toBeNull();
    expect(r.status).toBe('unknown_model');
  });

  it('free local models are priced at 0 explicitly', () => {
    const r = priceUsage({
      provider: 'ollama',
      model: 'llama3.2',
      usage: { input: 1000, output: 1000 },
      at: '2025-01-01',
    });
    expect(r).toMatchObject({ costUsd: 0, status: 'priced' });
  });

  it('missing cache/reasoning prices fall back to input/output prices', () => {
    const t = createPriceTable({
      version: 't1',
      extends: false,
      models: [{ provider: 'x', model: 'm', effective_from: '2020-01-01', input: 1, output: 4 }],
    });
    const r = t.price('x', 'm', { cacheRead: 1e6, cacheWrite: 1e6, reasoning: 1e6 }, Date.now());
    expect(r.costUsd).toBeCloseTo(1 + 1 + 4, 9);
  });
});

describe('user price tables', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aurea-prices-'));

  it('override defaults from their effective date and extend with new models', () => {
    const file = join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'acme-7',
        models: [
          { provider: 'openai', model: 'gpt-4o', effective_from: '2025-03-01', input: 2, output: 8 },
          { provider: 'acme', pattern: 'acme-(small|large)', effective_from: '2025-01-01', input: 1, output: 1 },
        ],
      }),
    );
    const t = loadPriceTable(file);
    expect(t.version).toBe(`acme-7+${defaultPriceTable.version}`);
    const usage = { input: 1e6, output: 1e6 };
    expect(t.price('openai', 'gpt-4o', usage, Date.parse('2025-02-01')).costUsd).toBeCloseTo(12.5, 9); // default still in force
    expect(t.price('openai', 'gpt-4o', usage, Date.parse('2025-04-01')).costUsd).toBeCloseTo(10, 9); // override
    expect(t.price('openai', 'gpt-4o-2024-08-06', usage, Date.parse('2025-04-01')).costUsd).toBeCloseTo(12.5, 9); // exact override only
    expect(t.price('acme', 'ACME-large', usage, Date.parse('2025-04-01')).costUsd).toBeCloseTo(2, 9);
    expect(t.price('openai', 'gpt-4', usage, Date.parse('2025-04-01')).costUsd).toBeCloseTo(60, 9); // defaults kept
  });

  it('"extends": false replaces the defaults', () => {
    const t = createPriceTable({
      version: 'only',
      extends: false,
      models: [{ provider: 'x', model: 'y', effective_from: '2020-01-01', input: 1, output: 1 }],
    });
    expect(t.version).toBe('only');
    expect(t.price('openai', 'gpt-4', { input: 1 }, Date.now()).status).toBe('unknown_model');
  });

  it('rejects malformed tables with a useful message', () => {
    expect(
      () =>
        new PriceTable({
          version: 'v',
          models: [{ provider: 'x', effective_from: '2020-01-01', input: 1, output: 1 }],
        }),
    ).toThrow(/exactly one of model \/ pattern/);
    expect(
      () =>
        new PriceTable({
          version: 'v',
          models: [{ provider: 'x', model: 'm', effective_from: 'soon', input: 1, output: 1 }],
        }),
    ).toThrow(/effective_from/);
    expect(
      () =>
        new PriceTable({
          version: 'v',
          models: [{ provider: 'x', model: 'm', effective_from: '2020-01-01', input: -1, output: 1 }],
        }),
    ).toThrow(/input/);
    expect(
      () =>
        new PriceTable({
          version: 'v',
          models: [{ provider: 'x', pattern: '(', effective_from: '2020-01-01', input: 1, output: 1 }],
        }),
    ).toThrow(/pattern/);
    expect(() => loadPriceTable(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });

  it('per-provider cache conventions', () => {
    expect(defaultPriceTable.convention('openai')).toEqual({
      input_includes_cache_read: true,
      output_includes_reasoning: true,
    });
    expect(defaultPriceTable.convention('gcp.gemini')).toEqual({
      input_includes_cache_read: true,
      output_includes_reasoning: false,
    });
    expect(defaultPriceTable.convention('anthropic')).toEqual({
      input_includes_cache_read: false,
      output_includes_reasoning: false,
    });
    expect(defaultPriceTable.convention('unknown-provider')).toEqual({
      input_includes_cache_read: false,
      output_includes_reasoning: false,
    });
  });
});
