// Pricing against real usage payloads. Every expected cost is worked out by hand (in the comment
// next to it, micro-dollars = tokens × USD per 1M tokens) from the providers' published prices:
//  [OAI]  https://openai.com/api/pricing and https://platform.openai.com/docs/pricing
//         (gpt-4.1 $2.00 / cached $0.50 / out $8.00; gpt-5 $1.25 / $0.125 / $10.00;
//         gpt-5-mini $0.25 / $0.025 / $2.00, Batch column $0.125 / $1.00; gpt-4o-mini $0.15 / $0.60;
//         o3 $2.00 / $0.50 / $8.00 since 2025-06-10, $10 / $2.50 / $40 before). Reasoning tokens are
//         billed as output tokens.
//  [ANT]  https://www.anthropic.com/pricing and https://docs.claude.com/en/docs/about-claude/pricing
//         (Sonnet 4.5: $3 in, $3.75 5-minute cache write, $6 1-hour cache write, $0.30 cache hit,
//         $15 out; prompts > 200k input tokens: $6, $7.50, $12, $0.60, $22.50. Opus 4.1: $15,
//         $18.75, $30, $1.50, $75. Haiku 4.5: $1, $1.25, $2, $0.10, $5; Batch: 50% of these).
//  [GEM]  https://ai.google.dev/gemini-api/docs/pricing
//         (2.5 Pro: in $1.25 (≤ 200k prompt) / $2.50 (> 200k), out incl. thinking $10 / $15;
//         2.5 Flash: in text $0.30, audio $1.00, out incl. thinking $2.50).
//  [MIS]  https://mistral.ai/pricing (Mistral Large: $2 in, $6 out).
//  [ALI]  https://www.alibabacloud.com/help/en/model-studio/billing-for-model-studio (Model Studio,
//         international; flagship models per 1M tokens: qwen-max $1.6 in / $6.4 out, qwen-plus
//         $0.4 / $1.2, qwen-turbo $0.05 / $0.2; context-cache hits billed at 40% of the input price;
//         batch calls 50% of real-time).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calcPrice, findProvider, type ModelInfo } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { normalizeUsage } from '../usage.js';
import { cardAt, catalogModel, catalogCard } from './catalog.js';
import {
  CATALOG_VERSION,
  PriceTable,
  createPriceTable,
  defaultPriceTable,
  loadPriceTable,
  priceUsage,
  type CallTerms,
} from './index.js';

const AT = '2026-01-15T10:00:00Z';

/** Price a provider's own usage payload the way the SDK does (normalise, then price). */
function price(provider: string, model: string, payload: unknown, terms: CallTerms = {}, at = AT) {
  const usage = normalizeUsage(payload, defaultPriceTable.convention(provider));
  if (usage === null) throw new Error('no usage in payload');
  return priceUsage({ provider, model, usage, at, ...terms });
}

describe('catalog prices for real usage payloads (expected costs worked out by hand)', () => {
  it('OpenAI chat, gpt-4.1, a cached call [OAI]', () => {
    const r = price('openai', 'gpt-4.1', {
      prompt_tokens: 12000,
      completion_tokens: 800,
      total_tokens: 12800,
      prompt_tokens_details: { cached_tokens: 10240, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
    });
    // 1,760 × 2 + 10,240 × 0.50 + 800 × 8 = 3,520 + 5,120 + 6,400 = 15,040 µ$
    expect(r).toMatchObject({
      cost: '0.015040000',
      status: 'priced',
      source: 'catalog',
      priceVersion: CATALOG_VERSION,
    });
  });

  it('OpenAI responses, gpt-5, a reasoning call [OAI]', () => {
    const r = price('openai', 'gpt-5', {
      input_tokens: 2000,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5000,
      output_tokens_details: { reasoning_tokens: 4200 },
      total_tokens: 7000,
    });
    // 2,000 × 1.25 + (800 + 4,200) × 10 = 2,500 + 50,000 = 52,500 µ$
    expect(r.cost).toBe('0.052500000');
  });

  it('OpenAI chat, o3: price history (the 2025-06-10 cut) and reasoning [OAI]', () => {
    const usage = {
      prompt_tokens: 3000,
      completion_tokens: 2500,
      prompt_tokens_details: { cached_tokens: 1024 },
      completion_tokens_details: { reasoning_tokens: 2000 },
    };
    // 1,976 × 2 + 1,024 × 0.50 + 2,500 × 8 = 3,952 + 512 + 20,000 = 24,464 µ$
    expect(price('openai', 'o3', usage).cost).toBe('0.024464000');
    // before the cut (no cached tokens: the catalog's pre-cut cached-input price, $0.50, differs from
    // the $2.50 OpenAI listed then; docs/pricing.md, "Known catalog gaps"):
    // 3,000 × 10 + 2,500 × 40 = 30,000 + 100,000 = 130,000 µ$
    const old = { prompt_tokens: 3000, completion_tokens: 2500, completion_tokens_details: { reasoning_tokens: 2000 } };
    expect(price('openai', 'o3', old, {}, '2025-05-01T00:00:00Z').cost).toBe('0.130000000');
  });

  it('OpenAI, gpt-5-mini through the Batch API [OAI Batch column]', () => {
    const r = price(
      'openai',
      'gpt-5-mini',
      { prompt_tokens: 100000, completion_tokens: 20000 },
      { serviceTier: 'batch' },
    );
    // 100,000 × 0.125 + 20,000 × 1.00 = 12,500 + 20,000 = 32,500 µ$
    expect(r.cost).toBe('0.032500000');
  });

  it('OpenAI, gpt-4o-mini, a small call [OAI]', () => {
    // 500 × 0.15 + 100 × 0.60 = 75 + 60 = 135 µ$
    expect(price('openai', 'gpt-4o-mini', { prompt_tokens: 500, completion_tokens: 100 }).cost).toBe('0.000135000');
  });

  it('Anthropic, claude-sonnet-4-5, a 1-hour cache write [ANT]', () => {
    const r = price('anthropic', 'claude-sonnet-4-5-20250929', {
      input_tokens: 50,
      cache_creation_input_tokens: 20000,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 20000 },
      output_tokens: 400,
    });
    // 50 × 3 + 20,000 × 6 + 400 × 15 = 150 + 120,000 + 6,000 = 126,150 µ$
    expect(r.cost).toBe('0.126150000');
  });

  it('Anthropic, claude-sonnet-4-5, a prompt above 200k input tokens (long context) [ANT]', () => {
    const r = price('anthropic', 'claude-sonnet-4-5', {
      input_tokens: 150000,
      cache_read_input_tokens: 60000,
      cache_creation_input_tokens: 0,
      output_tokens: 2000,
    });
    // 210,000 input tokens > 200k: 150,000 × 6 + 60,000 × 0.60 + 2,000 × 22.50 = 900,000 + 36,000 + 45,000
    expect(r.cost).toBe('0.981000000');
  });

  it('Anthropic, claude-opus-4-1, cache read and 5-minute write [ANT]', () => {
    const r = price('anthropic', 'claude-opus-4-1', {
      input_tokens: 1000,
      cache_creation_input_tokens: 3000,
      cache_read_input_tokens: 8000,
      output_tokens: 500,
    });
    // 1,000 × 15 + 3,000 × 18.75 + 8,000 × 1.50 + 500 × 75 = 15,000 + 56,250 + 12,000 + 37,500 = 120,750 µ$
    expect(r.cost).toBe('0.120750000');
  });

  it('Anthropic, claude-haiku-4-5 through the Message Batches API [ANT]', () => {
    const r = price(
      'anthropic',
      'claude-haiku-4-5',
      { input_tokens: 10000, output_tokens: 2000 },
      { serviceTier: 'batch' },
    );
    // (10,000 × 1 + 2,000 × 5) × 50% = 10,000 µ$
    expect(r.cost).toBe('0.010000000');
  });

  it('Gemini, gemini-2.5-pro above 200k prompt tokens, thinking [GEM]', () => {
    const r = price('gcp.gemini', 'gemini-2.5-pro', {
      promptTokenCount: 250000,
      candidatesTokenCount: 3000,
      thoughtsTokenCount: 1000,
      totalTokenCount: 254000,
    });
    // 250,000 × 2.50 + (3,000 + 1,000) × 15 = 625,000 + 60,000 = 685,000 µ$
    expect(r.cost).toBe('0.685000000');
    // the same call at 150k prompt tokens: 150,000 × 1.25 + 4,000 × 10 = 187,500 + 40,000
    const small = price('gcp.gemini', 'gemini-2.5-pro', {
      promptTokenCount: 150000,
      candidatesTokenCount: 3000,
      thoughtsTokenCount: 1000,
    });
    expect(small.cost).toBe('0.227500000');
  });

  it('Gemini, gemini-2.5-flash with audio input [GEM]', () => {
    const r = price('gcp.gemini', 'gemini-2.5-flash', {
      promptTokenCount: 10000,
      promptTokensDetails: [
        { modality: 'TEXT', tokenCount: 4000 },
        { modality: 'AUDIO', tokenCount: 6000 },
      ],
      candidatesTokenCount: 500,
      thoughtsTokenCount: 200,
    });
    // 4,000 × 0.30 + 6,000 × 1.00 + (500 + 200) × 2.50 = 1,200 + 6,000 + 1,750 = 8,950 µ$
    expect(r.cost).toBe('0.008950000');
  });

  it('Mistral, mistral-large-latest (OTel provider name mistral_ai) [MIS]', () => {
    // 2,000 × 2 + 1,000 × 6 = 10,000 µ$
    expect(price('mistral_ai', 'mistral-large-latest', { prompt_tokens: 2000, completion_tokens: 1000 }).cost).toBe(
      '0.010000000',
    );
  });
});

describe('Alibaba Cloud (Qwen) under the provider names users send [ALI]', () => {
  // DashScope's OpenAI-compatible usage: prompt_tokens include prompt_tokens_details.cached_tokens.
  it('qwen-plus (alibaba_cloud), a cached call', () => {
    const r = price('alibaba_cloud', 'qwen-plus', {
      prompt_tokens: 12000,
      completion_tokens: 900,
      prompt_tokens_details: { cached_tokens: 5000 },
    });
    // 7,000 × 0.40 + 5,000 × 0.16 (40% of 0.40) + 900 × 1.20 = 2,800 + 800 + 1,080 = 4,680 µ$
    expect(r).toMatchObject({ cost: '0.004680000', status: 'priced', source: 'catalog' });
  });

  it('qwen-max (dashscope) and qwen-turbo (alibaba), whatever the case of the names', () => {
    // 3,000 × 1.6 + 1,000 × 6.4 = 4,800 + 6,400 = 11,200 µ$
    expect(price('dashscope', 'qwen-max', { prompt_tokens: 3000, completion_tokens: 1000 }).cost).toBe('0.011200000');
    expect(price('Alibaba', 'Qwen-Max', { prompt_tokens: 3000, completion_tokens: 1000 }).cost).toBe('0.011200000');
    // 8,000 × 0.05 + 2,000 × 0.02 + 500 × 0.2 = 400 + 40 + 100 = 540 µ$
    const turbo = price('alibaba', 'qwen-turbo', {
      prompt_tokens: 10000,
      completion_tokens: 500,
      prompt_tokens_details: { cached_tokens: 2000 },
    });
    expect(turbo.cost).toBe('0.000540000');
    // The camelCase usage object in Alibaba's (OpenAI-compatible) convention: input includes cacheRead.
    const camel = priceUsage({
      provider: 'qwen',
      model: 'qwen-turbo',
      usage: normalizeUsage({ input: 10000, output: 500, cacheRead: 2000 }, defaultPriceTable.convention('qwen'))!,
      at: AT,
    });
    expect(camel.cost).toBe('0.000540000');
  });

  it('batch calls at half price; a Qwen model the catalog has no Alibaba price for is unpriced, never $0', () => {
    // (3,000 × 1.6 + 1,000 × 6.4) × 0.5 = 5,600 µ$
    const batch = price(
      'alibaba_cloud',
      'qwen-max',
      { prompt_tokens: 3000, completion_tokens: 1000 },
      {
        serviceTier: 'batch',
      },
    );
    expect(batch.cost).toBe('0.005600000');
    for (const model of ['qwen3-235b-a22b', 'qwen-plus-2025-07-28', 'qwen-vl-max'])
      expect(price('alibaba_cloud', model, { prompt_tokens: 10, completion_tokens: 1 }), model).toMatchObject({
        cost: null,
        status: 'unknown_model',
      });
    // The same model through OpenRouter is OpenRouter's business: its own listing, untouched.
    expect(price('openrouter', 'qwen/qwen-plus', { prompt_tokens: 1000, completion_tokens: 0 }).cost).toBe(
      '0.000400000',
    );
  });
});

describe('unknown models and tiers', () => {
  it('an unknown model is cost null and unknown_model, never $0', () => {
    const r = priceUsage({ provider: 'openai', model: 'gpt-9-ultra', usage: { input_tokens: 10 }, at: AT });
    expect(r).toMatchObject({ cost: null, costUsd: null, status: 'unknown_model', source: null });
  });

  it('a service tier without a price (OpenAI priority) is unpriced unless the price file gives it', () => {
    const usage = { input_tokens: 1_000_000 };
    expect(priceUsage({ provider: 'openai', model: 'gpt-5', usage, at: AT, serviceTier: 'priority' }).cost).toBeNull();
    const t = createPriceTable({
      version: 'p1',
      service_tiers: [{ provider: 'openai', tier: 'priority', multiplier: '2' }],
    });
    expect(t.price('openai', 'gpt-5', usage, Date.parse(AT), { serviceTier: 'priority' }).cost).toBe('2.500000000');
  });

  it('the lookup cache keeps (provider, model) pairs apart and stays right after it is emptied', () => {
    const t = createPriceTable({
      version: 'cache',
      models: [{ provider: 'a', model: 'bc', effective_from: '2020-01-01', input: '1', output: '1' }],
    });
    const usage = { input_tokens: 1_000_000 };
    expect(t.resolve('a', 'bc')).toBe(t.resolve('a', 'bc'));
    expect(t.price('a', 'bc', usage, Date.parse(AT)).cost).toBe('1.000000000');
    expect(t.price('ab', 'c', usage, Date.parse(AT)).cost).toBeNull();
    // more distinct pairs than the cache holds (10,000): it is emptied and refilled on the way
    for (let i = 0; i < 10_050; i++) t.resolve('a', `unknown-${i}`);
    expect(t.price('a', 'bc', usage, Date.parse(AT)).cost).toBe('1.000000000');
    // 500 × 0.15 + 100 × 0.60 = 135 µ$ [OAI]
    expect(t.price('openai', 'gpt-4o-mini', { input_tokens: 500, output_tokens: 100 }, Date.parse(AT)).cost).toBe(
      '0.000135000',
    );
  });
});

describe('price file over the catalog', () => {
  const at = Date.parse(AT);
  const usage = { input_tokens: 1_000_000, output_tokens: 1_000_000 };

  it('a model the catalog knows but the file overrides is priced by the override', () => {
    const t = createPriceTable({
      version: 'acme-7',
      models: [
        {
          id: 'gpt41-neg',
          provider: 'openai',
          model: 'gpt-4.1',
          effective_from: '2026-01-01',
          input: '1.5',
          output: 6,
        },
      ],
    });
    expect(t.version).toBe(`acme-7+${CATALOG_VERSION}`);
    expect(t.price('openai', 'gpt-4.1', usage, at)).toMatchObject({
      cost: '7.500000000',
      source: 'override:gpt41-neg',
      priceVersion: `acme-7+${CATALOG_VERSION}`,
    });
    // before its effective_from the catalog applies: 2 + 8
    expect(t.price('openai', 'gpt-4.1', usage, Date.parse('2025-12-31T23:59:59Z'))).toMatchObject({
      cost: '10.000000000',
      source: 'catalog',
    });
  });

  it('custom / self-hosted models; missing cache and reasoning prices fall back to input and output', () => {
    const t = createPriceTable({
      version: 'v',
      models: [
        { provider: 'vllm', pattern: 'llama-3\\.3-70b(-.*)?', effective_from: '2025-01-01', input: 0.2, output: 0.4 },
      ],
    });
    const r = t.price('vllm', 'Llama-3.3-70b-internal', { cache_read_tokens: 1e6, reasoning_tokens: 1e6 }, at);
    expect(r).toMatchObject({ cost: '0.600000000', source: 'override:models[0]' });
  });

  it('the precedence rule: tenant > tier > exact > newest effective_from > later in the file', () => {
    const t = createPriceTable({
      version: 'prec',
      models: [
        { id: 'exact-old', provider: 'openai', model: 'gpt-5', effective_from: '2025-01-01', input: 1, output: 1 },
        {
          id: 'pattern-new',
          provider: 'openai',
          pattern: 'gpt-5.*',
          effective_from: '2026-01-01',
          input: 2,
          output: 2,
        },
        { id: 'exact-new', provider: 'openai', model: 'gpt-5', effective_from: '2026-01-10', input: 3, output: 3 },
        { id: 'exact-new-2', provider: 'openai', model: 'gpt-5', effective_from: '2026-01-10', input: 4, output: 4 },
        {
          id: 'acme',
          provider: 'openai',
          pattern: '.*',
          tenant: 'acme',
          effective_from: '2020-01-01',
          input: 5,
          output: 5,
        },
        {
          id: 'batch',
          provider: 'openai',
          pattern: '.*',
          service_tier: 'batch',
          effective_from: '2020-01-01',
          input: 6,
          output: 6,
        },
      ],
    });
    const src = (when: string, terms: CallTerms = {}) =>
      t.price('openai', 'gpt-5', { input_tokens: 1 }, Date.parse(when), terms).source;
    expect(src('2025-06-01')).toBe('override:exact-old');
    expect(src('2026-01-05')).toBe('override:exact-old'); // an exact name beats a newer pattern
    expect(src('2026-01-11')).toBe('override:exact-new-2'); // same date: later in the file
    expect(src('2026-01-11', { tenant: 'acme' })).toBe('override:acme'); // tenant-specific first
    expect(src('2026-01-11', { serviceTier: 'batch' })).toBe('override:batch');
    // a tier-specific entry's prices are final: no Batch multiplier on top (6 per 1M → 1 token)
    expect(t.price('openai', 'gpt-5', { input_tokens: 1e6 }, at, { serviceTier: 'batch' }).cost).toBe('6.000000000');
  });

  it('negotiated discounts: a percentage on the price the call would otherwise have, per tenant', () => {
    const t = createPriceTable({
      version: 'disc',
      models: [
        {
          id: 'acme-15',
          provider: 'openai',
          pattern: '.*',
          tenant: 'acme',
          effective_from: '2025-01-01',
          discount_percent: 15,
        },
      ],
    });
    // gpt-5 catalog: 1.25 + 10 = 11.25; acme: × 0.85 = 9.5625
    expect(t.price('openai', 'gpt-5', usage, at, { tenant: 'acme' })).toMatchObject({
      cost: '9.562500000',
      source: 'catalog+discount:acme-15',
    });
    expect(t.price('openai', 'gpt-5', usage, at, { tenant: 'other' }).cost).toBe('11.250000000');
    // with Batch: 11.25 × 0.5 × 0.85 = 4.78125
    expect(t.price('openai', 'gpt-5', usage, at, { tenant: 'acme', serviceTier: 'batch' }).cost).toBe('4.781250000');
  });

  it('context-length tiers in the file', () => {
    const t = createPriceTable({
      version: 'tiers',
      extends: false,
      models: [
        {
          provider: 'x',
          model: 'm',
          effective_from: '2025-01-01',
          input: 1,
          output: 2,
          tiers: [{ above_input_tokens: 1000, input: 10 }],
        },
      ],
    });
    expect(t.price('x', 'm', { input_tokens: 1000, output_tokens: 1000 }, at).cost).toBe('0.003000000');
    // above 1,000 input tokens: 1,001 × 10 + 1,000 × 2 (output keeps its base price)
    expect(t.price('x', 'm', { input_tokens: 1001, output_tokens: 1000 }, at).cost).toBe('0.012010000');
    expect(t.price('openai', 'gpt-5', { input_tokens: 1 }, at).status).toBe('unknown_model'); // no catalog
  });

  it('rounds once, half up, to 9 decimals, in exact arithmetic', () => {
    const t = createPriceTable({
      version: 'r',
      extends: false,
      models: [{ provider: 'x', model: 'm', effective_from: '2025-01-01', input: '0.0000005', output: '123.456789' }],
    });
    // 1 token × 0.0000005 / 1e6 = 0.0000000000005 → 0.000000000 (below half a nano-dollar)
    expect(t.price('x', 'm', { input_tokens: 1 }, at).cost).toBe('0.000000000');
    // 1,000,000,000 output tokens × 123.456789 = 123,456.789 (far beyond a double's 15 digits of cents)
    expect(t.price('x', 'm', { output_tokens: 1e9 }, at).cost).toBe('123456.789000000');
    // 7 tokens × 123.456789 / 1e6 = 0.000864197523 → 0.000864198 (half up)
    expect(t.price('x', 'm', { output_tokens: 7 }, at).cost).toBe('0.000864198');
  });

  it('loads a file; rejects malformed entries with the field named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aurea-prices-'));
    const file = join(dir, 'prices.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 'f',
        models: [{ provider: 'a', model: 'b', effective_from: '2025-01-01', input: 1, output: 1 }],
      }),
    );
    expect(loadPriceTable(file).version).toBe(`f+${CATALOG_VERSION}`);
    const bad = (models: unknown[]) => () => new PriceTable({ version: 'v', models: models as never });
    expect(bad([{ provider: 'x', effective_from: '2020-01-01', input: 1, output: 1 }])).toThrow(/exactly one of model/);
    expect(bad([{ provider: 'x', model: 'm', effective_from: 'soon', input: 1, output: 1 }])).toThrow(/effective_from/);
    expect(bad([{ provider: 'x', model: 'm', effective_from: '2020-01-01', input: -1, output: 1 }])).toThrow(/input/);
    expect(bad([{ provider: 'x', pattern: '(', effective_from: '2020-01-01', input: 1, output: 1 }])).toThrow(
      /pattern/,
    );
    expect(
      bad([{ provider: 'x', model: 'm', effective_from: '2020-01-01', input: 1, output: 1, discount_percent: 5 }]),
    ).toThrow(/either prices or discount_percent/);
    expect(bad([{ provider: 'x', model: 'm', effective_from: '2020-01-01', discount_percent: 101 }])).toThrow(
      /between 0 and 100/,
    );
    expect(() => loadPriceTable(join(dir, 'missing.json'))).toThrow(/missing\.json/);
  });

  it('change points split a range where the price may change (repricing relies on them)', () => {
    const t = createPriceTable({
      version: 'cp',
      models: [{ provider: 'openai', model: 'o3', effective_from: '2025-08-01', input: 1, output: 1 }],
    });
    const r = t.resolve('openai', 'o3');
    const from = Date.parse('2025-06-01');
    const to = Date.parse('2025-09-01');
    expect(t.changePoints(r, from, to)).toEqual([from, Date.parse('2025-06-10'), Date.parse('2025-08-01')]);
  });
});

describe('the catalog adapter agrees with the catalog itself', () => {
  const providers = ['openai', 'anthropic', 'google', 'mistral', 'aws', 'azure', 'deepseek', 'x-ai', 'groq'];
  const models: [string, ModelInfo][] = providers.flatMap((p) =>
    findProvider({ providerId: p })!.models.map((m): [string, ModelInfo] => [p, m]),
  );
  const times = ['2024-01-01T03:00:00Z', '2025-06-15T12:00:00Z', '2026-01-15T20:00:00Z'].map((s) => new Date(s));

  it('selects the same price period as calcPrice for every model and time (history, time of day)', () => {
    let checked = 0;
    for (const [p, m] of models) {
      const ours = catalogModel(p, m.id);
      if (ours === null || ours.modelId !== m.id) continue; // ids that match another entry first
      for (const t of times) {
        const theirs = calcPrice({}, m.id, { providerId: p, timestamp: t });
        expect(cardAt(ours, t.getTime())).toEqual(catalogCard(theirs!.model_price, 'x'));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('costs match calcPrice’s (float) totals to 1e-9 relative for token usage', () => {
    let checked = 0;
    for (const [p, m] of models) {
      const ours = catalogModel(p, m.id);
      if (ours === null || ours.modelId !== m.id) continue;
      const at = times[2]!;
      const theirs = calcPrice(
        { input_tokens: 3000, cache_read_tokens: 1000, cache_write_tokens: 500, output_tokens: 700 },
        m.id,
        { providerId: p, timestamp: at },
      );
      if (theirs === null || !('input_mtok' in theirs.model_price) || !('output_mtok' in theirs.model_price)) continue;
      const r = defaultPriceTable.costOf(
        { card: cardAt(ours, at.getTime()), ratio: { num: 1n, den: 1n }, source: 'catalog' },
        [1500, 700, 1000, 500, 0, 0, 0, 0, 0, 0],
      );
      expect(Number(r.cost)).toBeCloseTo(theirs.total_price, 9);
      checked++;
    }
    expect(checked).toBeGreaterThan(300);
  });
});
