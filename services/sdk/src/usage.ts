// Token usage: take it from whatever a task returned (or from ctx.recordUsage) and normalise
// it so the usage types never overlap — input excludes cache reads/writes, output excludes
// reasoning — whatever the provider's own counting convention.
//
//   provider report                       input counts cache reads?   output counts reasoning?
//   OpenAI chat (prompt_tokens, …)        yes                         yes
//   OpenAI responses (input_tokens + *_details) yes                   yes
//   Anthropic (input_tokens, cache_*_input_tokens) no                 (not reported apart)
//   Gemini (promptTokenCount, …)          yes                         no (thoughtsTokenCount apart)
//   Aurea usage object {input, cacheRead, …}  the provider's convention from the price table,
//                                         unless `convention` says otherwise
import type { ProviderConvention } from './pricing/index.js';

/** Token usage as callers report it. By default read in the provider's convention (see above). */
export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  /**
   * 'provider' (default): `input`/`output` are the provider's own numbers (for OpenAI/Gemini
   * input includes cacheRead; for OpenAI output includes reasoning). 'exclusive': the numbers
   * already never overlap.
   */
  convention?: 'provider' | 'exclusive';
}

/** Non-overlapping token counts (integers ≥ 0). */
export interface NormalizedUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export const ZERO_USAGE: Readonly<NormalizedUsage> = Object.freeze({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  reasoning: 0,
});

type Rec = Record<string, unknown>;

function num(v: unknown): number {
  return typeof v === 'number' && v > 0 && Number.isFinite(v) ? Math.round(v) : 0;
}
function isObj(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function has(o: Rec, k: string): boolean {
  return typeof o[k] === 'number';
}

function make(
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  reasoning: number,
): NormalizedUsage {
  return { input, output, cacheRead, cacheWrite, reasoning };
}

/** Inclusive counts → exclusive: subtract what is already contained, never below zero. */
function exclusive(
  input: number,
  output: number,
  cacheRead: number,
  cacheWrite: number,
  reasoning: number,
  c: ProviderConvention,
): NormalizedUsage {
  return make(
    c.input_includes_cache_read ? Math.max(0, input - cacheRead) : input,
    c.output_includes_reasoning ? Math.max(0, output - reasoning) : output,
    cacheRead,
    cacheWrite,
    reasoning,
  );
}

const OPENAI: ProviderConvention = { input_includes_cache_read: true, output_includes_reasoning: true };
const ANTHROPIC: ProviderConvention = { input_includes_cache_read: false, output_includes_reasoning: false };
const GEMINI: ProviderConvention = { input_includes_cache_read: true, output_includes_reasoning: false };

/**
 * Normalise one usage report. Recognised shapes: a bare token count (counted as output — the
 * conservative reading for cost), the Aurea usage object, the event's snake_case usage,
 * OpenAI chat / responses usage, Anthropic usage, Gemini usageMetadata. Returns null when `u`
 * carries no usage.
 */
export function normalizeUsage(u: unknown, providerConvention: ProviderConvention): NormalizedUsage | null {
  if (typeof u === 'number') return Number.isFinite(u) && u >= 0 ? make(0, num(u), 0, 0, 0) : null;
  if (!isObj(u)) return null;
  // Aurea usage object.
  if (has(u, 'input') || has(u, 'output') || has(u, 'cacheRead') || has(u, 'cacheWrite') || has(u, 'reasoning')) {
    const c = u.convention === 'exclusive' ? ANTHROPIC : providerConvention;
    return exclusive(num(u.input), num(u.output), num(u.cacheRead), num(u.cacheWrite), num(u.reasoning), c);
  }
  // OpenAI chat completions.
  if (has(u, 'prompt_tokens') || has(u, 'completion_tokens')) {
    const pd = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
    const cd = isObj(u.completion_tokens_details) ? u.completion_tokens_details : {};
    return exclusive(
      num(u.prompt_tokens),
      num(u.completion_tokens),
      num(pd.cached_tokens),
      0,
      num(cd.reasoning_tokens),
      OPENAI,
    );
  }
  // Gemini usageMetadata.
  if (has(u, 'promptTokenCount') || has(u, 'candidatesTokenCount')) {
    return exclusive(
      num(u.promptTokenCount),
      num(u.candidatesTokenCount),
      num(u.cachedContentTokenCount),
      0,
      num(u.thoughtsTokenCount),
      GEMINI,
    );
  }
  // The event's own snake_case usage (already exclusive).
  if (has(u, 'cache_read_tokens') || has(u, 'cache_write_tokens') || has(u, 'reasoning_tokens')) {
    return make(
      num(u.input_tokens),
      num(u.output_tokens),
      num(u.cache_read_tokens),
      num(u.cache_write_tokens),
      num(u.reasoning_tokens),
    );
  }
  if (has(u, 'input_tokens') || has(u, 'output_tokens')) {
    // OpenAI responses API: details objects, inclusive counts.
    if (isObj(u.input_tokens_details) || isObj(u.output_tokens_details)) {
      const id = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
      const od = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
      return exclusive(
        num(u.input_tokens),
        num(u.output_tokens),
        num(id.cached_tokens),
        0,
        num(od.reasoning_tokens),
        OPENAI,
      );
    }
    // Anthropic messages: cache tokens reported apart from input_tokens.
    return make(
      num(u.input_tokens),
      num(u.output_tokens),
      num(u.cache_read_input_tokens),
      num(u.cache_creation_input_tokens),
      0,
    );
  }
  return null;
}

/**
 * Find usage in a task's result: `[result, tokens]`, `{ tokens }`, `{ usage }` (OpenAI /
 * Anthropic responses), `{ usageMetadata }` (Gemini), or a usage object itself.
 */
export function usageFromResult(result: unknown, c: ProviderConvention): NormalizedUsage | null {
  if (Array.isArray(result)) {
    if (result.length === 2) return normalizeUsage(result[1], c);
    return null;
  }
  if (!isObj(result)) return null;
  if ('tokens' in result) return normalizeUsage(result.tokens, c);
  if (isObj(result.usage)) return normalizeUsage(result.usage, c);
  if (isObj(result.usageMetadata)) return normalizeUsage(result.usageMetadata, c);
  return normalizeUsage(result, c);
}

/** a += b, in place. */
export function addUsage(a: NormalizedUsage, b: NormalizedUsage): void {
  a.input += b.input;
  a.output += b.output;
  a.cacheRead += b.cacheRead;
  a.cacheWrite += b.cacheWrite;
  a.reasoning += b.reasoning;
}
