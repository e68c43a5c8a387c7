// The default price catalog: @pydantic/genai-prices (pinned; its data ships inside the package,
// so pricing works offline). This module only adapts it: which catalog provider an OTel
// gen_ai.provider.name means, the catalog's own model matching (calcPrice), and its prices turned
// into rate cards over the task-event token types (docs/pricing.md, "The catalog").
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { calcPrice, type ModelInfo, type ModelPrice } from '@pydantic/genai-prices';
import { TOKEN_TYPES, type TokenType } from '@aurea/events';
import { PRICE_SCALE, toScaled } from './decimal.js';

const require = createRequire(import.meta.url);
const pkgDir = dirname(dirname(require.resolve('@pydantic/genai-prices')));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string };
/** The catalog's version as events record it (part of price_version). */
export const CATALOG_VERSION = `genai-prices@${pkg.version}`;

/** gen_ai.provider.name (OTel semconv) → the catalog's provider id, where they differ. */
export const CATALOG_PROVIDER: Readonly<Record<string, string>> = Object.freeze({
  'gcp.gemini': 'google',
  'gcp.vertex_ai': 'google',
  'gcp.gen_ai': 'google',
  'aws.bedrock': 'aws',
  'azure.ai.openai': 'azure',
  'azure.ai.inference': 'azure',
  mistral_ai: 'mistral',
  x_ai: 'x-ai',
});

/**
 * Alibaba Cloud Model Studio (DashScope), under the provider names its users send (the seed
 * systems' `alibaba_cloud`, the API's `dashscope`, …; OTel has no name for it). The catalog has no
 * Alibaba provider, but its OpenRouter listing carries Alibaba's own list prices for the flagship
 * models, which OpenRouter resells at Alibaba's price: those entries price these models, checked
 * against Alibaba's page by a test (docs/pricing.md, "Alibaba Cloud (Qwen)"). Any other model under
 * these names is unpriced (never $0) unless a price file gives it: OpenRouter's prices of other
 * Qwen models are third parties' (open weights), not Alibaba's.
 */
export const ALIBABA_PROVIDERS: readonly string[] = Object.freeze([
  'alibaba',
  'alibaba_cloud',
  'alibaba-cloud',
  'alibaba.cloud',
  'aliyun',
  'dashscope',
  'qwen',
]);
/** Alibaba model name → the catalog entry (OpenRouter's listing) holding Alibaba's list price. */
export const ALIBABA_CATALOG_MODELS: Readonly<Record<string, string>> = Object.freeze({
  'qwen-max': 'qwen-max',
  'qwen-plus': 'qwen/qwen-plus',
  'qwen-turbo': 'qwen-turbo',
});
const ALIBABA_CATALOG_PROVIDER = 'openrouter';

/**
 * Price keys of the catalog (prices/units.yml upstream) for each token type, most specific first:
 * a type without its own price is billed at its parent's (what the catalog's own calcPrice does
 * with usage it has no specific price for).
 */
export const PRICE_KEYS: Readonly<Record<TokenType, readonly string[]>> = Object.freeze({
  input: ['input_mtok'],
  output: ['output_mtok'],
  cache_read: ['cache_read_mtok', 'input_mtok'],
  cache_write: ['cache_write_5m_mtok', 'cache_write_mtok', 'input_mtok'],
  reasoning: ['output_reasoning_mtok', 'output_mtok'],
  cache_write_1h: ['cache_write_1h_mtok', 'cache_write_mtok', 'input_mtok'],
  input_audio: ['input_audio_mtok', 'input_mtok'],
  output_audio: ['output_audio_mtok', 'output_mtok'],
  input_image: ['input_image_mtok', 'input_mtok'],
  output_image: ['output_image_mtok', 'output_mtok'],
});

/** Token types that count towards the input size a context-length tier is chosen by. */
export const INPUT_TYPES: readonly TokenType[] = [
  'input',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'input_audio',
  'input_image',
];
export const INPUT_INDEXES: readonly number[] = INPUT_TYPES.map((t) => TOKEN_TYPES.indexOf(t));

/**
 * Prices of one model in one period, by token type (TOKEN_TYPES order), in nano-dollars per 1M
 * tokens (-1: no price). Context-length tiers: tier k applies when the call's input tokens
 * (INPUT_TYPES) exceed tierStarts[k] (tierStarts[0] = 0: the base prices), to all its tokens.
 */
export interface RateCard {
  tierStarts: number[];
  rates: number[][];
}

type PriceValue = number | { base: number; tiers: { start: number; price: number }[] } | undefined;

function scaled(v: unknown, what: string): number {
  const n = toScaled(v, PRICE_SCALE, what);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`${what} is too large`);
  return Number(n);
}

/** A catalog price record as a rate card. */
export function catalogCard(p: ModelPrice, where: string): RateCard {
  const starts = new Set<number>([0]);
  for (const v of Object.values(p) as PriceValue[])
    if (typeof v === 'object') for (const t of v.tiers) starts.add(t.start);
  const tierStarts = [...starts].sort((a, b) => a - b);
  const rates = tierStarts.map((start) =>
    TOKEN_TYPES.map((type) => {
      const key = PRICE_KEYS[type].find((k) => p[k] !== undefined);
      if (key === undefined) return -1;
      const v = p[key] as Exclude<PriceValue, undefined>;
      if (typeof v === 'number') return scaled(v, `${where} ${key}`);
      let price = v.base;
      for (const t of [...v.tiers].sort((a, b) => a.start - b.start)) if (start >= t.start) price = t.price;
      return scaled(price, `${where} ${key}`);
    }),
  );
  return { tierStarts, rates };
}

/** One price period of a catalog model, in the catalog's order (docs/pricing.md, "The catalog"). */
interface Period {
  kind: 'always' | 'start_date' | 'time_of_day';
  fromMs: number;
  /** Seconds of the UTC day [start, end); end < start wraps midnight. */
  startS: number;
  endS: number;
  card: RateCard;
}

export interface CatalogModel {
  providerId: string;
  modelId: string;
  periods: Period[];
  /** Dates (ms) at which the model's price changes, ascending (repricing splits ranges there). */
  changes: number[];
  /** True when prices depend on the time of day (repricing splits ranges daily). */
  timeOfDay: boolean;
}

function todSeconds(s: string): number {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(s);
  if (!m) throw new Error(`catalog: invalid time of day ${s}`);
  let off = 0;
  if (m[4] !== 'Z')
    off = (m[4]![0] === '-' ? -1 : 1) * (Number(m[4]!.slice(1, 3)) * 3600 + Number(m[4]!.slice(4)) * 60);
  return (Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) - off + 86400) % 86400;
}

function compileModel(providerId: string, m: ModelInfo): CatalogModel {
  const where = `catalog ${providerId}/${m.id}`;
  if (!Array.isArray(m.prices)) {
    const card = catalogCard(m.prices, where);
    return {
      providerId,
      modelId: m.id,
      periods: [{ kind: 'always', fromMs: 0, startS: 0, endS: 0, card }],
      changes: [],
      timeOfDay: false,
    };
  }
  const periods: Period[] = m.prices.map((c) => {
    const card = catalogCard(c.prices, where);
    const k = c.constraint;
    if (k === undefined) return { kind: 'always', fromMs: 0, startS: 0, endS: 0, card };
    if (k.type === 'start_date')
      return { kind: 'start_date', fromMs: Date.parse(`${k.start_date}T00:00:00Z`), startS: 0, endS: 0, card };
    return { kind: 'time_of_day', fromMs: 0, startS: todSeconds(k.start_time), endS: todSeconds(k.end_time), card };
  });
  const changes = periods
    .filter((p) => p.kind === 'start_date')
    .map((p) => p.fromMs)
    .sort((a, b) => a - b);
  return { providerId, modelId: m.id, periods, changes, timeOfDay: periods.some((p) => p.kind === 'time_of_day') };
}

/**
 * The rate card of a catalog model at `atMs`: the catalog's rule — the last period whose
 * constraint holds (no constraint always holds), else the first period.
 */
export function cardAt(m: CatalogModel, atMs: number): RateCard {
  const ps = m.periods;
  if (ps.length === 1) return ps[0]!.card;
  for (let i = ps.length - 1; i >= 0; i--) {
    const p = ps[i]!;
    if (p.kind === 'always') return p.card;
    if (p.kind === 'start_date') {
      if (atMs >= p.fromMs) return p.card;
    } else {
      const s = (((atMs % 86_400_000) + 86_400_000) % 86_400_000) / 1000;
      if (p.endS < p.startS ? s >= p.startS || s < p.endS : s >= p.startS && s < p.endS) return p.card;
    }
  }
  return ps[0]!.card;
}

const compiled = new WeakMap<ModelInfo, CatalogModel>();
const resolved = new Map<string, CatalogModel | null>();
const MAX_RESOLVED = 10_000;

/**
 * The catalog model for (provider, model) by the catalog's own matching (provider id or match
 * rules, model match rules, dated snapshots, fallback providers), or null. Cached.
 */
export function catalogModel(provider: string, model: string): CatalogModel | null {
  const key = `${provider}\u0000${model}`;
  const hit = resolved.get(key);
  if (hit !== undefined) return hit;
  let out: CatalogModel | null = null;
  const p = provider.toLowerCase();
  try {
    const alibaba = ALIBABA_PROVIDERS.includes(p);
    const id = alibaba ? ALIBABA_CATALOG_MODELS[model.toLowerCase()] : model;
    const r =
      id === undefined
        ? null
        : calcPrice({}, id, { providerId: alibaba ? ALIBABA_CATALOG_PROVIDER : (CATALOG_PROVIDER[p] ?? p) });
    if (r !== null) {
      out = compiled.get(r.model) ?? null;
      if (out === null) {
        out = compileModel(r.provider.id, r.model);
        compiled.set(r.model, out);
      }
    }
  } catch {
    out = null; // a catalog entry the catalog itself cannot price: unknown, never $0
  }
  if (resolved.size >= MAX_RESOLVED) resolved.clear();
  resolved.set(key, out);
  return out;
}
