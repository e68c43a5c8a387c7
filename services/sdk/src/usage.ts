// Token usage: take it from whatever a task returned (or from ctx.recordUsage) and normalise it
// to the task-event token types (@aurea/events TOKEN_TYPES, named `<type>_tokens`), which never
// overlap — input excludes cache reads/writes and audio/image input, output excludes reasoning
// and audio/image output — whatever the provider's own counting convention (docs/sdk.md, "Usage").
//
//   provider report                               what its input / output counts already include
//   OpenAI chat (prompt_tokens, *_details)        cached, cache writes, audio / reasoning, audio
//   OpenAI responses (input_tokens, *_details)    cached, cache writes, images / reasoning, images
//   Anthropic (input_tokens, cache_*_input_tokens) nothing: cache reads and writes are apart
//   Gemini (promptTokenCount, …, *TokensDetails)  cached, audio, images / audio, images (thoughts apart)
//   Aurea usage object {input, cacheRead, …}      the provider's convention from the price table,
//                                                 unless `convention` says otherwise
import { TOKEN_TYPES, tokenField, type NormalizedTokenUsage, type ServiceTier } from '@aurea/events';
import type { ProviderConvention } from './pricing/index.js';

/** Token usage as callers report it. By default read in the provider's convention (see above). */
export interface Usage {
  input?: number;
  output?: number;
  cacheRead?: number;
  /** Cache writes with the default (5-minute) lifetime. */
  cacheWrite?: number;
  /** Cache writes with a 1-hour lifetime (Anthropic). */
  cacheWrite1h?: number;
  reasoning?: number;
  inputAudio?: number;
  outputAudio?: number;
  inputImage?: number;
  outputImage?: number;
  /**
   * 'provider' (default): `input`/`output` are the provider's own numbers (for OpenAI/Gemini
   * input includes cacheRead; for OpenAI output includes reasoning). 'exclusive': the numbers
   * already never overlap.
   */
  convention?: 'provider' | 'exclusive';
}

/** Non-overlapping token counts (integers ≥ 0), named as in the task event. */
export type NormalizedUsage = NormalizedTokenUsage;

export const ZERO_USAGE: Readonly<NormalizedUsage> = Object.freeze(emptyUsage());

export function emptyUsage(): NormalizedUsage {
  return Object.fromEntries(TOKEN_TYPES.map((t) => [tokenField(t), 0])) as NormalizedUsage;
}

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
const sub = (a: number, ...b: number[]) =>
  Math.max(
    0,
    b.reduce((x, y) => x - y, a),
  );

type Parts = Partial<Record<keyof NormalizedUsage, number>>;
function make(p: Parts): NormalizedUsage {
  const u = emptyUsage();
  for (const [k, v] of Object.entries(p)) u[k as keyof NormalizedUsage] = v;
  return u;
}

/** Sum of `tokenCount` of the entries of a Gemini *TokensDetails list with one of the modalities. */
function modality(list: unknown, ...names: string[]): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  for (const x of list) if (isObj(x) && names.includes(String(x.modality))) n += num(x.tokenCount);
  return n;
}

const EXCLUSIVE: ProviderConvention = { input_includes_cache_read: false, output_includes_reasoning: false };

/**
 * Normalise one usage report. Recognised shapes: a bare token count (counted as output — the
 * conservative reading for cost), the Aurea usage object, the event's snake_case usage,
 * OpenAI chat / responses usage, Anthropic usage, Gemini usageMetadata. Returns null when `u`
 * carries no usage.
 */
export function normalizeUsage(u: unknown, providerConvention: ProviderConvention): NormalizedUsage | null {
  if (typeof u === 'number') return Number.isFinite(u) && u >= 0 ? make({ output_tokens: num(u) }) : null;
  if (!isObj(u)) return null;
  // Aurea usage object.
  if (['input', 'output', 'cacheRead', 'cacheWrite', 'cacheWrite1h', 'reasoning'].some((k) => has(u, k))) {
    const c = u.convention === 'exclusive' ? EXCLUSIVE : providerConvention;
    const cacheRead = num(u.cacheRead);
    const reasoning = num(u.reasoning);
    return make({
      input_tokens: c.input_includes_cache_read ? sub(num(u.input), cacheRead) : num(u.input),
      output_tokens: c.output_includes_reasoning ? sub(num(u.output), reasoning) : num(u.output),
      cache_read_tokens: cacheRead,
      cache_write_tokens: num(u.cacheWrite),
      cache_write_1h_tokens: num(u.cacheWrite1h),
      reasoning_tokens: reasoning,
      input_audio_tokens: num(u.inputAudio),
      output_audio_tokens: num(u.outputAudio),
      input_image_tokens: num(u.inputImage),
      output_image_tokens: num(u.outputImage),
    });
  }
  // OpenAI chat completions: prompt_tokens includes cached, cache writes and audio input.
  if (has(u, 'prompt_tokens') || has(u, 'completion_tokens')) {
    const pd = isObj(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
    const cd = isObj(u.completion_tokens_details) ? u.completion_tokens_details : {};
    const [cached, written, audioIn] = [num(pd.cached_tokens), num(pd.cache_write_tokens), num(pd.audio_tokens)];
    const [reasoning, audioOut] = [num(cd.reasoning_tokens), num(cd.audio_tokens)];
    return make({
      input_tokens: sub(num(u.prompt_tokens), cached, written, audioIn),
      output_tokens: sub(num(u.completion_tokens), reasoning, audioOut),
      cache_read_tokens: cached,
      cache_write_tokens: written,
      reasoning_tokens: reasoning,
      input_audio_tokens: audioIn,
      output_audio_tokens: audioOut,
    });
  }
  // Gemini usageMetadata: the prompt count includes cached, audio and image tokens.
  if (has(u, 'promptTokenCount') || has(u, 'candidatesTokenCount')) {
    const cached = num(u.cachedContentTokenCount);
    const audioIn = sub(modality(u.promptTokensDetails, 'AUDIO'), modality(u.cacheTokensDetails, 'AUDIO'));
    const imageIn = sub(
      modality(u.promptTokensDetails, 'IMAGE', 'DOCUMENT'),
      modality(u.cacheTokensDetails, 'IMAGE', 'DOCUMENT'),
    );
    const audioOut = modality(u.candidatesTokensDetails, 'AUDIO');
    const imageOut = modality(u.candidatesTokensDetails, 'IMAGE', 'DOCUMENT');
    return make({
      input_tokens: sub(num(u.promptTokenCount) + num(u.toolUsePromptTokenCount), cached, audioIn, imageIn),
      output_tokens: sub(num(u.candidatesTokenCount), audioOut, imageOut),
      cache_read_tokens: cached,
      reasoning_tokens: num(u.thoughtsTokenCount),
      input_audio_tokens: audioIn,
      output_audio_tokens: audioOut,
      input_image_tokens: imageIn,
      output_image_tokens: imageOut,
    });
  }
  // The event's own snake_case usage (already exclusive).
  if (TOKEN_TYPES.some((t) => t !== 'input' && t !== 'output' && has(u, tokenField(t)))) {
    return make(Object.fromEntries(TOKEN_TYPES.map((t) => [tokenField(t), num(u[tokenField(t)])])));
  }
  if (has(u, 'input_tokens') || has(u, 'output_tokens')) {
    // OpenAI responses / images API: details objects, inclusive counts.
    if (isObj(u.input_tokens_details) || isObj(u.output_tokens_details)) {
      const id = isObj(u.input_tokens_details) ? u.input_tokens_details : {};
      const od = isObj(u.output_tokens_details) ? u.output_tokens_details : {};
      const [cached, written, imageIn] = [num(id.cached_tokens), num(id.cache_write_tokens), num(id.image_tokens)];
      const [reasoning, imageOut] = [num(od.reasoning_tokens), num(od.image_tokens)];
      return make({
        input_tokens: sub(num(u.input_tokens), cached, written, imageIn),
        output_tokens: sub(num(u.output_tokens), reasoning, imageOut),
        cache_read_tokens: cached,
        cache_write_tokens: written,
        reasoning_tokens: reasoning,
        input_image_tokens: imageIn,
        output_image_tokens: imageOut,
      });
    }
    // Anthropic messages: cache tokens reported apart from input_tokens; writes split by lifetime.
    const created = num(u.cache_creation_input_tokens);
    const cc = isObj(u.cache_creation) ? u.cache_creation : {};
    const oneHour = Math.min(created || Infinity, num(cc.ephemeral_1h_input_tokens));
    const fiveMin = created > 0 ? created - oneHour : num(cc.ephemeral_5m_input_tokens);
    return make({
      input_tokens: num(u.input_tokens),
      output_tokens: num(u.output_tokens),
      cache_read_tokens: num(u.cache_read_input_tokens),
      cache_write_tokens: fiveMin,
      cache_write_1h_tokens: oneHour,
    });
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

/**
 * The service tier a provider's response reports: OpenAI `service_tier` (default → standard,
 * flex, priority, scale → priority), Anthropic `usage.service_tier` (standard, priority, batch).
 * Undefined when the result says nothing.
 */
export function serviceTierFromResult(result: unknown): ServiceTier | undefined {
  if (!isObj(result)) return undefined;
  const raw =
    typeof result.service_tier === 'string'
      ? result.service_tier
      : isObj(result.usage)
        ? result.usage.service_tier
        : undefined;
  return typeof raw === 'string' ? SERVICE_TIER_NAMES[raw] : undefined;
}
const SERVICE_TIER_NAMES: Readonly<Record<string, ServiceTier>> = Object.freeze({
  default: 'standard',
  standard: 'standard',
  auto: 'standard',
  batch: 'batch',
  flex: 'flex',
  priority: 'priority',
  scale: 'priority',
});

/** a += b, in place. */
export function addUsage(a: NormalizedUsage, b: NormalizedUsage): void {
  for (const t of TOKEN_TYPES) a[tokenField(t)] += b[tokenField(t)];
}

/** Total tokens of every type. */
export function totalTokens(u: NormalizedUsage): number {
  let n = 0;
  for (const t of TOKEN_TYPES) n += u[tokenField(t)];
  return n;
}
