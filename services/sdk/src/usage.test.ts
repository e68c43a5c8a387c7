import { describe, expect, it } from 'vitest';
import { normalizeUsage, serviceTierFromResult, usageFromResult, type NormalizedUsage } from './usage.js';
import type { ProviderConvention } from './pricing/index.js';
import { defaultPriceTable } from './pricing/index.js';

const openai = defaultPriceTable.convention('openai');
const anthropic = defaultPriceTable.convention('anthropic');
const gemini = defaultPriceTable.convention('gcp.gemini');

/** The event's token names as the camelCase object these expectations are written in; types
 * added since (1-hour cache writes, audio, images) appear only when non-zero. */
function camel(u: NormalizedUsage | null) {
  if (u === null) return null;
  const out: Record<string, number> = {
    input: u.input_tokens,
    output: u.output_tokens,
    cacheRead: u.cache_read_tokens,
    cacheWrite: u.cache_write_tokens,
    reasoning: u.reasoning_tokens,
  };
  const more = {
    cacheWrite1h: u.cache_write_1h_tokens,
    inputAudio: u.input_audio_tokens,
    outputAudio: u.output_audio_tokens,
    inputImage: u.input_image_tokens,
    outputImage: u.output_image_tokens,
  };
  for (const [k, v] of Object.entries(more)) if (v !== 0) out[k] = v;
  return out;
}
const N = (u: unknown, c: ProviderConvention) => camel(normalizeUsage(u, c));
const R = (u: unknown, c: ProviderConvention) => camel(usageFromResult(u, c));

describe('usage normalisation: types never overlap', () => {
  it('OpenAI chat usage: cached tokens are inside prompt_tokens, reasoning inside completion_tokens', () => {
    const u = N(
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
    const u = N(
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
    const u = N(
      { input_tokens: 50, output_tokens: 300, cache_read_input_tokens: 800, cache_creation_input_tokens: 200 },
      openai,
    );
    expect(u).toEqual({ input: 50, output: 300, cacheRead: 800, cacheWrite: 200, reasoning: 0 });
  });

  it('Gemini usageMetadata: cached inside prompt, thoughts apart from candidates', () => {
    const u = N(
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
    expect(N(same, openai)).toEqual({
      input: 200,
      output: 200,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(N(same, anthropic)).toEqual({
      input: 1000,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(N(same, gemini)).toEqual({
      input: 200,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
    expect(N({ ...same, convention: 'exclusive' }, openai)).toEqual({
      input: 1000,
      output: 300,
      cacheRead: 800,
      cacheWrite: 0,
      reasoning: 100,
    });
  });

  it('the event’s snake_case usage is already exclusive', () => {
    expect(
      N(
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
    expect(N({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 50 } }, openai)).toEqual({
      input: 0,
      output: 0,
      cacheRead: 50,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(N({ input: -5, output: 2.6, cacheRead: Number.NaN }, anthropic)).toEqual({
      input: 0,
      output: 3,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
    expect(N('12', anthropic)).toBeNull();
    expect(N({ foo: 1 }, anthropic)).toBeNull();
  });
});

describe('usage from a task’s result', () => {
  it('[result, tokens] tuple with a bare count (counted as output, the conservative reading)', () => {
    expect(R(['text', 42], anthropic)).toEqual({
      input: 0,
      output: 42,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
    });
  });
  it('[result, usage] tuple', () => {
    expect(R(['text', { input: 3, output: 4 }], anthropic)).toMatchObject({ input: 3, output: 4 });
  });
  it('object with tokens', () => {
    expect(R({ summary: 's', tokens: 1500 }, anthropic)).toMatchObject({ output: 1500 });
    expect(R({ summary: 's', tokens: { input: 1, output: 2 } }, anthropic)).toMatchObject({
      input: 1,
      output: 2,
    });
  });
  it('provider response objects with usage / usageMetadata', () => {
    expect(R({ choices: [], usage: { prompt_tokens: 10, completion_tokens: 5 } }, anthropic)).toMatchObject({
      input: 10,
      output: 5,
    });
    expect(
      R({ content: [], usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 3 } }, openai),
    ).toMatchObject({ input: 10, cacheRead: 3 });
    expect(R({ usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2 } }, anthropic)).toMatchObject({
      input: 10,
      output: 2,
    });
  });
  it('a usage object itself', () => {
    expect(R({ input: 7, output: 8, cacheWrite: 2 }, anthropic)).toEqual({
      input: 7,
      output: 8,
      cacheRead: 0,
      cacheWrite: 2,
      reasoning: 0,
    });
  });
  it('no usage', () => {
    expect(R('plain', anthropic)).toBeNull();
    expect(R([1, 2, 3], anthropic)).toBeNull();
    expect(R(undefined, anthropic)).toBeNull();
  });
});

describe('cache lifetimes, audio and images, service tiers', () => {
  it('Anthropic: 1-hour cache writes apart from 5-minute ones', () => {
    expect(
      N(
        {
          input_tokens: 10,
          output_tokens: 5,
          cache_creation_input_tokens: 3000,
          cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 },
        },
        anthropic,
      ),
    ).toEqual({ input: 10, output: 5, cacheRead: 0, cacheWrite: 1000, reasoning: 0, cacheWrite1h: 2000 });
  });

  it('OpenAI: cache writes reported in cache_write_tokens (chat and responses) are counted', () => {
    expect(
      N(
        {
          prompt_tokens: 9657,
          completion_tokens: 78,
          prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 9654 },
        },
        openai,
      ),
    ).toEqual({ input: 3, output: 78, cacheRead: 0, cacheWrite: 9654, reasoning: 0 });
    expect(
      N(
        {
          input_tokens: 9658,
          input_tokens_details: { cache_write_tokens: 9655, cached_tokens: 0 },
          output_tokens: 42,
          output_tokens_details: { reasoning_tokens: 25 },
        },
        openai,
      ),
    ).toEqual({ input: 3, output: 17, cacheRead: 0, cacheWrite: 9655, reasoning: 25 });
  });

  it('audio and image tokens (OpenAI chat audio, Gemini modality details)', () => {
    expect(
      N(
        {
          prompt_tokens: 1000,
          completion_tokens: 500,
          prompt_tokens_details: { cached_tokens: 100, audio_tokens: 600 },
          completion_tokens_details: { audio_tokens: 400 },
        },
        openai,
      ),
    ).toEqual({
      input: 300,
      output: 100,
      cacheRead: 100,
      cacheWrite: 0,
      reasoning: 0,
      inputAudio: 600,
      outputAudio: 400,
    });
    expect(
      N(
        {
          promptTokenCount: 1000,
          promptTokensDetails: [
            { modality: 'TEXT', tokenCount: 300 },
            { modality: 'IMAGE', tokenCount: 700 },
          ],
          candidatesTokenCount: 50,
        },
        gemini,
      ),
    ).toEqual({ input: 300, output: 50, cacheRead: 0, cacheWrite: 0, reasoning: 0, inputImage: 700 });
  });

  it('the service tier a response reports', () => {
    expect(serviceTierFromResult({ service_tier: 'default', usage: {} })).toBe('standard');
    expect(serviceTierFromResult({ service_tier: 'flex' })).toBe('flex');
    expect(serviceTierFromResult({ usage: { service_tier: 'batch' } })).toBe('batch');
    expect(serviceTierFromResult({ service_tier: 'scale' })).toBe('priority');
    expect(serviceTierFromResult({ usage: {} })).toBeUndefined();
  });
});
