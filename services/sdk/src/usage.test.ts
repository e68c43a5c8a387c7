import { describe, expect, it } from 'vitest';
import { normalizeUsage, usageFromResult } from './usage.js';
import { defaultPriceTable } from './pricing/index.js';

const openai = defaultPriceTable.convention('openai');
const anthropic = defaultPriceTable.convention('anthropic');
const gemini = defaultPriceTable.convention('gcp.gemini');

describe('usage normalisation: types never overlap', () => {
  it('OpenAI chat usage: cached tokens are inside prompt_tokens, reasoning inside completion_tokens', () => {
    const u = normalizeUsage(
      {
        prompt_tokens: 1000,
        completion_tokens: 300,
        total_tokens: 1300,
        prompt_tokens_details: { cached_tokens: 800 },
        completion_tokens_details: { reasoning_tokens: 100 },
      },
      anthropic, // the shape decides, not the provider argument
    );
    expect(u).toEqual({ input: 200, output: 200, cacheRead: 800, cacheWrite: 0, reasoning: 100 });
  });

  it('OpenAI responses usage', () => {
    const u = normalizeUsage(
      {
        input_tokens: 1000,
        output_tokens: 300,
        input_tokens_details: { cached_tokens: 600 },
        output_tokens_details: { reasoning_tokens: 50 },
      },
      anthropic,
    );
    expect(u).toEqual({ input: 400, output: 250, cacheRead: 600, cacheWrite: 0, reasoning: 50 });
  });

  it('Anthropic usage: cache reads and writes are apart from input_tokens', () => {
    const u = normalizeUsage(
      { input_tokens: 50, output_tokens: 300, cache_read_input_tokens: 800, cache_creation_input_tokens: 200 },
      openai,
    );
    expect(u).toEqual({ input: 50, output: 300, cacheRead: 800, cacheWrite: 200, reasoning: 0 });
  });

  it('Gemini usageMetadata: cached inside prompt, thoughts apart from candidates', () => {
    const u = normalizeUsage(
      {
        promptTokenCount: 1000,
        candidatesTokenCount: 100,
        cachedContentTokenCount: 400,
        thoughtsTokenCount: 70,
        totalTokenCount: 1170,
      },
      anthropic,
    );
    expect(u).toEqual({ input: 600, output: 100, cacheRead: 400, cacheWrite: 0, reasoning: 70 });
  });

  it('the Aurea usage object follows the provider’s convention (OpenAI vs Anthropic)', () => {
    const same = { input: 1000, output: 300, cacheRead: 800, reasoning: 100 };
    expect(normalizeUsage(same, openai)).toEqual({
      input: 200,
      output: 200,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(normalizeUsage(same, anthropic)).toEqual({
      input: 1000,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(normalizeUsage(same, gemini)).toEqual({
      input: 200,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(normalizeUsage({ ...same, convention: 'exclusive' }, openai)).toEqual({
      input: 1000,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
  });

  it('the event’s snake_case usage is already exclusive', () => {
    expect(
      normalizeUsage(
        { input_tokens: 5, output_tokens: 6, cache_read_tokens: 7, cache_write_tokens: 8, reasoning_tokens: 9 },
        openai,
      ),
    ).toEqual({
      input: 5,
      output: 6,
      cacheRead: 7,
      cacheWrite: 8,
      reasoning: 9,
    });
  });

  it('never negative, integers, garbage ignored', () => {
    expect(normalizeUsage({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 50 } }, openai)).toEqual({
      input: 0,
      output: 0,
      cacheRead: 50,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(normalizeUsage({ input: -5, output: 2.6, cacheRead: Number.NaN }, anthropic)).toEqual({
      input: 0,
      output: 3,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(normalizeUsage('12', anthropic)).toBeNull();
    expect(normalizeUsage({ foo: 1 }, anthropic)).toBeNull();
  });
});

describe('usage from a task’s result', () => {
  it('[result, tokens] tuple with a bare count (counted as output, the conservative reading)', () => {
    expect(usageFromResult(['text', 42], anthropic)).toEqual({
      input: 0,
      output: 42,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });
  it('[result, usage] tuple', () => {
    expect(usageFromResult(['text', { input: 3, output: 4 }], anthropic)).toMatchObject({ input: 3, output: 4 });
  });
  it('object with tokens', () => {
    expect(usageFromResult({ summary: 's', tokens: 1500 }, anthropic)).toMatchObject({ output: 1500 });
    expect(usageFromResult({ summary: 's', tokens: { input: 1, output: 2 } }, anthropic)).toMatchObject({
      input: 1,
      output: 2,
    });
  });
  it('provider response objects with usage / usageMetadata', () => {
    expect(
      usageFromResult({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } }, anthropic),
    ).toMatchObject({ input: 10, output: 5 });
    expect(
      usageFromResult(
        { content: [], usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3 } },
        openai,
      ),
    ).toMatchObject({ input: 10, cacheRead: 3 });
    expect(
      usageFromResult({ usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2 } }, anthropic),
    ).toMatchObject({ input: 10, output: 2 });
  });
  it('a usage object itself', () => {
    expect(usageFromResult({ input: 7, output: 8, cacheWrite: 2 }, anthropic)).toEqual({
      input: 7,
      output: 8,
      cacheRead: 0,
      cacheWrite: 2,
      reasoning: 0,
    });
  });
  it('no usage', () => {
    expect(usageFromResult('plain', anthropic)).toBeNull();
    expect(usageFromResult([1, 2, 3], anthropic)).toBeNull();
    expect(usageFromResult(undefined, anthropic)).toBeNull();
  });
});
