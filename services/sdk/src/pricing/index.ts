// Pricing: the one loader and matcher everyone uses — the SDK when a task ends, the span bridge,
// the analytics API (ingest, repricing). Default prices come from the genai-prices catalog
// (./catalog.ts) at the task's started_at; a user price file layers over it (custom models,
// negotiated prices or discounts, optionally per tenant or service tier, from effective dates).
// Costs are exact decimals (./decimal.ts). Rules and file format: docs/pricing.md.
import { readFileSync } from 'node:fs';
import { SERVICE_TIERS, TOKEN_TYPES, tokenField, type ServiceTier, type TokenType } from '@aurea/events';
import {
  ALIBABA_PROVIDERS,
  CATALOG_VERSION,
  INPUT_INDEXES,
  PRICE_KEYS,
  cardAt,
  catalogModel,
  type CatalogModel,
  type RateCard,
} from './catalog.js';
import {
  ONE,
  PRICE_SCALE,
  costNanos,
  discountRatio,
  formatNanos,
  formatPrice,
  mulRatio,
  ratioOf,
  toScaled,
  type Ratio,
} from './decimal.js';

export { ALIBABA_CATALOG_MODELS, ALIBABA_PROVIDERS, CATALOG_VERSION, CATALOG_PROVIDER } from './catalog.js';
export { formatNanos } from './decimal.js';
export type { RateCard } from './catalog.js';
export type { Ratio } from './decimal.js';

/** Token types in the order every rate card and usage vector uses (the model's TOKEN_TYPES). */
export const USAGE_TYPES = TOKEN_TYPES;
export type UsageType = TokenType;
const FIELD_NAMES = TOKEN_TYPES.map((t) => tokenField(t));
const N_TYPES = TOKEN_TYPES.length;
/** Reused usage vector (pricing is synchronous). */
const SCRATCH = new Array<number>(TOKEN_TYPES.length).fill(0);

type PriceValue = number | string;
type TypePrices = { [T in TokenType]?: PriceValue };

/** One entry of a user price file (USD per 1M tokens; numbers or decimal strings). */
export interface PriceOverride extends TypePrices {
  /** Name recorded in price_source (`override:<id>`); default `models[<index>]`. */
  id?: string;
  /** gen_ai.provider.name the entry applies to, or "*" for any provider. */
  provider: string;
  /** Exact model name (case-insensitive). Exactly one of model / pattern. */
  model?: string;
  /** Regular expression over the model name, anchored at both ends, case-insensitive. */
  pattern?: string;
  /** UTC date (YYYY-MM-DD) or RFC 3339 date-time from which the entry is in force. */
  effective_from: string;
  /** Only for this tenant (negotiated per-tenant prices). */
  tenant?: string;
  /** Only for calls in this service tier; these prices are then final (no tier multiplier). */
  service_tier?: ServiceTier;
  /** Context-length tiers: prices for calls whose input exceeds `above_input_tokens`. */
  tiers?: (TypePrices & { above_input_tokens: number })[];
  /** A discount in percent on the price the call would have without this entry. */
  discount_percent?: PriceValue;
  source?: string;
}

/** A service-tier rule: the tier's prices are the standard prices × multiplier. */
export interface ServiceTierRule {
  provider: string;
  model?: string;
  pattern?: string;
  tier: Exclude<ServiceTier, 'standard'>;
  multiplier: PriceValue;
  effective_from?: string;
  source?: string;
}

/** How a provider counts tokens in its own usage reports. */
export interface ProviderConvention {
  /** Provider's input/prompt count already includes cache-read tokens (OpenAI, Gemini). */
  input_includes_cache_read: boolean;
  /** Provider's output/completion count already includes reasoning tokens (OpenAI). */
  output_includes_reasoning: boolean;
}

/** A user price file (docs/pricing.md, "Price file"). */
export interface PriceTableData {
  $comment?: string;
  version: string;
  currency?: 'USD';
  unit?: 'per_1m_tokens';
  /** Layer over the catalog (default) or, with false, replace it. */
  extends?: 'catalog' | 'default' | false;
  providers?: Record<string, ProviderConvention>;
  models?: PriceOverride[];
  service_tiers?: ServiceTierRule[];
}

/** Resolved prices of a model at a time, USD per 1M tokens (base context tier). */
export interface PriceEntry {
  provider: string;
  model?: string;
  pattern?: string;
  effective_from?: string;
  input: number;
  output: number;
  cache_read?: number;
  cache_write?: number;
  reasoning?: number;
  source?: string;
}

/** Normalised, non-overlapping token counts: the event's snake_case names, or the SDK's camelCase. */
export type PricedUsage = { [K in (typeof FIELD_NAMES)[number]]?: number } & {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  cacheWrite1h?: number;
};

export interface PriceResult {
  /** Exact cost in USD, 9 decimals ("0.002250000"); null when unpriced. */
  cost: string | null;
  /** The same cost as a JSON number (the event's cost_usd, metrics). */
  costUsd: number | null;
  priceVersion: string | null;
  status: 'priced' | 'unknown_model';
  /** Which price applied: `catalog`, `override:<id>`, with `+discount:<id>` (docs/pricing.md). */
  source: string | null;
}

/** Who and how a call was made, where prices differ by it. */
export interface CallTerms {
  tenant?: string | null | undefined;
  serviceTier?: ServiceTier | null | undefined;
}

/** The price that applies to a call: a rate card, a multiplier, and where they came from. */
export interface Quote {
  card: RateCard;
  ratio: Ratio;
  source: string;
}

/** Conventions of providers' own usage reports (not prices; the price file may override them). */
export const DEFAULT_CONVENTIONS: Readonly<Record<string, ProviderConvention>> = Object.freeze({
  openai: { input_includes_cache_read: true, output_includes_reasoning: true },
  'azure.ai.openai': { input_includes_cache_read: true, output_includes_reasoning: true },
  'gcp.gemini': { input_includes_cache_read: true, output_includes_reasoning: false },
  'gcp.vertex_ai': { input_includes_cache_read: true, output_includes_reasoning: false },
  anthropic: { input_includes_cache_read: false, output_includes_reasoning: false },
  'aws.bedrock': { input_includes_cache_read: false, output_includes_reasoning: false },
  // Alibaba's OpenAI-compatible API counts like OpenAI: prompt_tokens include cached_tokens,
  // completion_tokens include reasoning_tokens.
  ...Object.fromEntries(
    ALIBABA_PROVIDERS.map((p) => [p, { input_includes_cache_read: true, output_includes_reasoning: true }]),
  ),
});
const EXCLUSIVE: ProviderConvention = Object.freeze({
  input_includes_cache_read: false,
  output_includes_reasoning: false,
});

/**
 * Service tiers the catalog does not price (it lists standard prices only), as the providers
 * state them: a flat multiplier on every token price. Priority tiers differ per model and are
 * left unpriced unless a price file gives them (docs/pricing.md, "Service tiers").
 */
export const DEFAULT_SERVICE_TIERS: readonly ServiceTierRule[] = Object.freeze([
  { provider: 'openai', tier: 'batch', multiplier: '0.5', source: 'openai.com/api/pricing: Batch API, 50% off' },
  { provider: 'openai', tier: 'flex', multiplier: '0.5', source: 'openai.com/api/pricing: Flex processing' },
  { provider: 'azure.ai.openai', tier: 'batch', multiplier: '0.5', source: 'Azure OpenAI Global Batch, 50% off' },
  { provider: 'anthropic', tier: 'batch', multiplier: '0.5', source: 'anthropic.com/pricing: Batch, 50% off' },
  { provider: 'aws.bedrock', tier: 'batch', multiplier: '0.5', source: 'Bedrock batch inference, 50% off' },
  { provider: 'gcp.gemini', tier: 'batch', multiplier: '0.5', source: 'ai.google.dev pricing: Batch, 50% off' },
  { provider: 'gcp.gemini', tier: 'flex', multiplier: '0.5', source: 'ai.google.dev pricing: Flex, 50% off' },
  { provider: 'gcp.vertex_ai', tier: 'batch', multiplier: '0.5', source: 'Vertex AI batch prediction, 50% off' },
  ...ALIBABA_PROVIDERS.map((provider) => ({
    provider,
    tier: 'batch' as const,
    multiplier: '0.5',
    source: 'alibabacloud.com Model Studio billing: batch calls cost 50% of real-time calls',
  })),
] satisfies ServiceTierRule[]);

const VERSION_MAX = 64;
const SOURCE_MAX = 96;
const ID_MAX = 40;
const MAX_LOOKUP_CACHE = 10_000;
/** The fallback chain inside a price-file entry: a missing type costs what its parent costs. */
const PARENT: Readonly<Partial<Record<TokenType, TokenType>>> = Object.freeze({
  cache_read: 'input',
  cache_write: 'input',
  cache_write_1h: 'cache_write',
  reasoning: 'output',
  input_audio: 'input',
  output_audio: 'output',
  input_image: 'input',
  output_image: 'output',
});

function parseFrom(s: unknown, where: string): number {
  if (typeof s !== 'string') throw new Error(`price table: effective_from required in ${where}`);
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (!Number.isFinite(t)) throw new Error(`price table: invalid effective_from ${JSON.stringify(s)} in ${where}`);
  return t;
}

function scaledPrice(v: unknown, what: string): number {
  const n = toScaled(v, PRICE_SCALE, `price table: ${what}`);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`price table: ${what} is too large`);
  return Number(n);
}

interface Matcher {
  provider: string; // lowercased, "*" = any
  exact: string | null;
  regex: RegExp | null;
}
function matcher(e: { provider?: unknown; model?: string; pattern?: string }, where: string): Matcher {
  if (typeof e.provider !== 'string' || e.provider === '')
    throw new Error(`price table: provider required in ${where}`);
  if ((e.model === undefined) === (e.pattern === undefined))
    throw new Error(`price table: exactly one of model / pattern in ${where}`);
  let regex: RegExp | null = null;
  if (e.pattern !== undefined) {
    try {
      regex = new RegExp(`^(?:${e.pattern})$`, 'i');
    } catch (err) {
      throw new Error(`price table: invalid pattern in ${where}: ${(err as Error).message}`);
    }
  }
  return {
    provider: e.provider.toLowerCase(),
    exact: e.model === undefined ? null : e.model.toLowerCase(),
    regex,
  };
}
const matches = (m: Matcher, provider: string, model: string) =>
  (m.provider === '*' || m.provider === provider) && (m.exact !== null ? m.exact === model : m.regex!.test(model));

/** A price-file entry's own rate card: given prices, missing types at their parent's price. */
function overrideCard(e: PriceOverride, where: string): RateCard {
  const row = (p: TypePrices, base: number[] | null, what: string): number[] => {
    const out = new Array<number>(N_TYPES).fill(-1);
    TOKEN_TYPES.forEach((t, i) => {
      if (p[t] !== undefined) out[i] = scaledPrice(p[t], `${t} in ${what}`);
      else if (base !== null) out[i] = base[i]!;
    });
    if (base === null)
      TOKEN_TYPES.forEach((t, i) => {
        let parent = PARENT[t];
        while (out[i]! < 0 && parent !== undefined) {
          out[i] = out[TOKEN_TYPES.indexOf(parent)]!;
          parent = PARENT[parent];
        }
      });
    return out;
  };
  if (e.input === undefined || e.output === undefined)
    throw new Error(`price table: input and output prices required in ${where}`);
  const base = row(e, null, where);
  const tiers = [...(e.tiers ?? [])].sort((a, b) => a.above_input_tokens - b.above_input_tokens);
  const tierStarts = [0];
  const rates = [base];
  for (const [i, t] of tiers.entries()) {
    if (!Number.isSafeInteger(t.above_input_tokens) || t.above_input_tokens <= 0)
      throw new Error(`price table: tiers[${i}].above_input_tokens must be a positive integer in ${where}`);
    tierStarts.push(t.above_input_tokens);
    rates.push(row(t, rates[rates.length - 1]!, `${where} tiers[${i}]`));
  }
  return { tierStarts, rates };
}

interface CompiledOverride {
  m: Matcher;
  id: string;
  fromMs: number;
  tenant: string | null;
  tier: ServiceTier | null;
  card: RateCard | null;
  discount: Ratio | null;
  index: number;
  entry: PriceOverride;
}

interface CompiledTierRule {
  m: Matcher;
  tier: ServiceTier;
  fromMs: number;
  ratio: Ratio;
  index: number;
}

/**
 * The one precedence rule (docs/pricing.md, "Precedence"): among entries in force at the call's
 * time that match it, a tenant-specific entry beats one for every tenant, then a tier-specific
 * entry beats one for every tier, then an exact model name beats a pattern, then the newest
 * effective_from wins, then the entry later in the file.
 */
function byPrecedence(a: CompiledOverride, b: CompiledOverride): number {
  return (
    Number(b.tenant !== null) - Number(a.tenant !== null) ||
    Number(b.tier !== null) - Number(a.tier !== null) ||
    Number(b.m.exact !== null) - Number(a.m.exact !== null) ||
    b.fromMs - a.fromMs ||
    b.index - a.index
  );
}

function compileTierRules(rules: readonly ServiceTierRule[], label: string, offset: number): CompiledTierRule[] {
  return rules.map((r, i) => {
    const where = `${label} service_tiers[${i}]`;
    const m =
      r.model === undefined && r.pattern === undefined ? matcher({ ...r, pattern: '.*' }, where) : matcher(r, where);
    if (!SERVICE_TIERS.includes(r.tier) || (r.tier as ServiceTier) === 'standard')
      throw new Error(`price table: tier must be batch, flex or priority in ${where}`);
    return {
      m,
      tier: r.tier,
      fromMs: r.effective_from === undefined ? -Infinity : parseFrom(r.effective_from, where),
      ratio: ratioOf(r.multiplier, `price table: multiplier in ${where}`),
      index: offset + i,
    };
  });
}

/** What a (provider, model) resolves to, cached: matching file entries and the catalog model. */
export interface Resolved {
  readonly provider: string;
  readonly model: string;
  readonly prices: readonly CompiledOverride[];
  readonly discounts: readonly CompiledOverride[];
  readonly tierRules: readonly CompiledTierRule[];
  readonly catalog: CatalogModel | null;
  /** The quote when nothing but a single-period catalog price applies (standard tier). */
  readonly constant: Quote | undefined;
}

/** The first entry (in precedence order) in force at `atMs` for the tenant and tier. */
function first(list: readonly CompiledOverride[], atMs: number, tenant: string | null, tier: ServiceTier) {
  for (const o of list)
    if (o.fromMs <= atMs && (o.tenant === null || o.tenant === tenant) && (o.tier === null || o.tier === tier))
      return o;
  return undefined;
}

const UNPRICED_STATUS = 'unknown_model' as const;

/** A compiled, immutable price table: the catalog (unless replaced) plus the user's file. */
export class PriceTable {
  readonly version: string;
  readonly data: PriceTableData | null;
  readonly usesCatalog: boolean;
  private readonly overrides: CompiledOverride[];
  private readonly tierRules: CompiledTierRule[];
  private readonly conventions: Map<string, ProviderConvention>;
  /** provider → model → resolution: two lookups by the caller's own strings, no key built per call. */
  private readonly cache = new Map<string, Map<string, Resolved>>();
  private cached = 0;

  constructor(data: PriceTableData | null) {
    this.data = data;
    this.usesCatalog = data === null || data.extends !== false;
    if (data !== null) {
      if (typeof data.version !== 'string' || data.version === '')
        throw new Error('price table: "version" is required');
      if (data.currency !== undefined && data.currency !== 'USD') throw new Error('price table: only USD is supported');
      if (data.unit !== undefined && data.unit !== 'per_1m_tokens')
        throw new Error('price table: unit must be per_1m_tokens');
      if (data.models !== undefined && !Array.isArray(data.models))
        throw new Error(`price table ${data.version}: "models" must be an array`);
    }
    const parts = [data?.version, this.usesCatalog ? CATALOG_VERSION : undefined].filter((x) => x !== undefined);
    this.version = parts.join('+').slice(0, VERSION_MAX);
    this.overrides = (data?.models ?? []).map((e, index) => {
      const where = `${data!.version} models[${index}]`;
      const m = matcher(e, where);
      const id = (e.id ?? `models[${index}]`).slice(0, ID_MAX);
      const tier = e.service_tier ?? null;
      if (tier !== null && !SERVICE_TIERS.includes(tier))
        throw new Error(`price table: service_tier must be one of ${SERVICE_TIERS.join(', ')} in ${where}`);
      const isDiscount = e.discount_percent !== undefined;
      const hasPrices = TOKEN_TYPES.some((t) => e[t] !== undefined) || e.tiers !== undefined;
      if (isDiscount === hasPrices)
        throw new Error(`price table: give either prices or discount_percent (not both) in ${where}`);
      return {
        m,
        id,
        fromMs: parseFrom(e.effective_from, where),
        tenant: e.tenant ?? null,
        tier,
        card: isDiscount ? null : overrideCard(e, where),
        discount: isDiscount ? discountRatio(e.discount_percent, `price table: discount_percent in ${where}`) : null,
        index,
        entry: e,
      };
    });
    const own = compileTierRules(data?.service_tiers ?? [], data?.version ?? 'catalog', 0);
    const defaults = compileTierRules(DEFAULT_SERVICE_TIERS, 'default', 1_000_000);
    this.tierRules = [...own, ...defaults];
    this.conventions = new Map(Object.entries(DEFAULT_CONVENTIONS));
    for (const [p, c] of Object.entries(data?.providers ?? {}))
      this.conventions.set(p.toLowerCase(), Object.freeze({ ...c }));
  }

  /** How `provider` counts cached and reasoning tokens in its own usage reports. */
  convention(provider: string): ProviderConvention {
    return this.conventions.get(provider.toLowerCase()) ?? EXCLUSIVE;
  }

  /** Everything that can price (provider, model), resolved once and cached. */
  resolve(provider: string, model: string): Resolved {
    let byModel = this.cache.get(provider);
    let r = byModel?.get(model);
    if (r === undefined) {
      const p = provider.toLowerCase();
      const m = model.toLowerCase();
      const mine = this.overrides.filter((o) => matches(o.m, p, m)).sort(byPrecedence);
      const rules = this.tierRules.filter((x) => matches(x.m, p, m));
      // user rules (lower index) first; within them exact before pattern, newest first
      rules.sort(
        (a, b) =>
          Number(a.index >= 1_000_000) - Number(b.index >= 1_000_000) ||
          Number(b.m.exact !== null) - Number(a.m.exact !== null) ||
          b.fromMs - a.fromMs ||
          b.index - a.index,
      );
      const prices = mine.filter((o) => o.card !== null);
      const discounts = mine.filter((o) => o.discount !== null);
      const catalog = this.usesCatalog ? catalogModel(provider, model) : null;
      const constant =
        mine.length === 0 && catalog !== null && catalog.periods.length === 1
          ? { card: catalog.periods[0]!.card, ratio: ONE, source: 'catalog' }
          : undefined;
      r = { provider, model, prices, discounts, tierRules: rules, catalog, constant };
      if (this.cached >= MAX_LOOKUP_CACHE) {
        this.cache.clear();
        this.cached = 0;
        byModel = undefined;
      }
      if (byModel === undefined) this.cache.set(provider, (byModel = new Map<string, Resolved>()));
      byModel.set(model, r);
      this.cached++;
    }
    return r;
  }

  /** The price in force for a call at `atMs`, or null (unpriced). */
  quote(r: Resolved, atMs: number, terms?: CallTerms): Quote | null {
    const tier = terms?.serviceTier ?? 'standard';
    // Fast path: only the catalog can price it, at one price for all time.
    if (tier === 'standard' && r.constant !== undefined) return r.constant;
    const tenant = terms?.tenant ?? null;
    let card: RateCard | null = null;
    let source: string;
    let ratio: Ratio = ONE;
    let tierFinal = false;
    const base = first(r.prices, atMs, tenant, tier);
    if (base !== undefined) {
      card = base.card;
      source = `override:${base.id}`;
      tierFinal = base.tier !== null;
    } else if (r.catalog !== null) {
      card = cardAt(r.catalog, atMs);
      source = 'catalog';
    } else return null;
    if (!tierFinal && tier !== 'standard') {
      const rule = r.tierRules.find((x) => x.tier === tier && x.fromMs <= atMs);
      if (rule === undefined) return null;
      ratio = rule.ratio;
    }
    const d = first(r.discounts, atMs, tenant, tier);
    if (d !== undefined) {
      ratio = mulRatio(ratio, d.discount!);
      source = `${source}+discount:${d.id}`;
    }
    return { card: card!, ratio, source: source.slice(0, SOURCE_MAX) };
  }

  /** Cost of normalised usage (a vector in TOKEN_TYPES order) under a quote. */
  costOf(q: Quote | null, tokens: ArrayLike<number>): PriceResult {
    if (q === null)
      return { cost: null, costUsd: null, priceVersion: this.version, status: UNPRICED_STATUS, source: null };
    const { tierStarts, rates } = q.card;
    let k = 0;
    if (tierStarts.length > 1) {
      let input = 0;
      for (const i of INPUT_INDEXES) input += tokens[i]!;
      while (k + 1 < tierStarts.length && input > tierStarts[k + 1]!) k++;
    }
    const nanos = costNanos(tokens, rates[k]!, q.ratio);
    if (nanos === -1)
      return { cost: null, costUsd: null, priceVersion: this.version, status: UNPRICED_STATUS, source: null };
    // Number(nanos) / 1e9 is the double nearest the exact decimal, as parsing `cost` would give.
    const costUsd = typeof nanos === 'number' ? nanos / 1e9 : Number(formatNanos(nanos));
    return { cost: formatNanos(nanos), costUsd, priceVersion: this.version, status: 'priced', source: q.source };
  }

  /** Price with a cached resolution (the SDK keeps one per metric series). */
  priceResolved(r: Resolved, usage: PricedUsage, atMs: number, terms?: CallTerms): PriceResult {
    return this.costOf(this.quote(r, atMs, terms), usageVector(usage, SCRATCH));
  }

  /** Cost of normalised usage at time `atMs`. */
  price(provider: string, model: string, usage: PricedUsage, atMs: number, terms?: CallTerms): PriceResult {
    return this.priceResolved(this.resolve(provider, model), usage, atMs, terms);
  }

  /** The base-tier prices in force for (provider, model) at `atMs` (USD per 1M tokens), or null. */
  lookup(provider: string, model: string, atMs: number, terms?: CallTerms): PriceEntry | null {
    const q = this.quote(this.resolve(provider, model), atMs, terms);
    if (q === null) return null;
    const rate = (t: TokenType) => {
      const v = q.card.rates[0]![TOKEN_TYPES.indexOf(t)]!;
      return v < 0 ? undefined : Number(formatPrice(v));
    };
    return {
      provider,
      model,
      input: rate('input') ?? 0,
      output: rate('output') ?? 0,
      cache_read: rate('cache_read'),
      cache_write: rate('cache_write'),
      reasoning: rate('reasoning'),
      source: q.source,
    };
  }

  /**
   * The times in [fromMs, toMs) at which the price of (provider, model) may change: effective
   * dates of matching entries and tier rules, the catalog's start dates, and — for catalog prices
   * that depend on the time of day — each day's boundaries. Between two consecutive points every
   * call is priced by the same quote (repricing relies on this: docs/pricing.md, "Repricing").
   */
  changePoints(r: Resolved, fromMs: number, toMs: number): number[] {
    const pts = new Set<number>([fromMs]);
    const add = (t: number) => {
      if (t > fromMs && t < toMs) pts.add(t);
    };
    for (const o of [...r.prices, ...r.discounts]) add(o.fromMs);
    for (const x of r.tierRules) add(x.fromMs);
    if (r.catalog !== null) {
      for (const t of r.catalog.changes) add(t);
      if (r.catalog.timeOfDay) {
        const secs = new Set<number>();
        for (const p of r.catalog.periods) if (p.kind === 'time_of_day') secs.add(p.startS).add(p.endS);
        for (let day = Math.floor(fromMs / 86_400_000) * 86_400_000; day < toMs; day += 86_400_000)
          for (const s of secs) add(day + s * 1000);
      }
    }
    return [...pts].sort((a, b) => a - b);
  }
}

/** Usage as a vector in TOKEN_TYPES order (non-integer or negative counts count as 0). */
export function usageVector(u: PricedUsage, out: number[] = new Array<number>(N_TYPES)): number[] {
  for (let i = 0; i < N_TYPES; i++) out[i] = n((u as Record<string, number | undefined>)[FIELD_NAMES[i]!]);
  // The SDK's camelCase usage object (public estimateCost/recordUsage shape).
  if (u.input !== undefined) out[0] = n(u.input);
  if (u.output !== undefined) out[1] = n(u.output);
  if (u.cacheRead !== undefined) out[2] = n(u.cacheRead);
  if (u.cacheWrite !== undefined) out[3] = n(u.cacheWrite);
  if (u.reasoning !== undefined) out[4] = n(u.reasoning);
  if (u.cacheWrite1h !== undefined) out[5] = n(u.cacheWrite1h);
  return out;
}

function n(v: number | undefined): number {
  return v !== undefined && v > 0 && Number.isSafeInteger(v) ? v : 0;
}

/** The catalog alone. */
export const defaultPriceTable = new PriceTable(null);

/** Build a price table from file data: layered over the catalog unless `"extends": false`. */
export function createPriceTable(data: PriceTableData): PriceTable {
  return new PriceTable(data);
}

/** Load a price file (JSON) layered over the catalog; no path: the catalog alone. */
export function loadPriceTable(path?: string): PriceTable {
  if (path === undefined || path === '') return defaultPriceTable;
  let data: PriceTableData;
  try {
    data = JSON.parse(readFileSync(path, 'utf8')) as PriceTableData;
  } catch (err) {
    throw new Error(`price table ${path}: ${(err as Error).message}`, { cause: err });
  }
  return createPriceTable(data);
}

/** Accept a compiled table, file data, a file path, or nothing (the catalog). */
export function resolvePriceTable(t: string | PriceTable | PriceTableData | undefined): PriceTable {
  if (t === undefined) return defaultPriceTable;
  if (t instanceof PriceTable) return t;
  if (typeof t === 'string') return loadPriceTable(t);
  return createPriceTable(t);
}

export interface PriceUsageInput extends CallTerms {
  provider: string;
  model: string;
  usage: PricedUsage;
  /** When the usage happened (the price in force then applies). Date, ms since epoch or RFC 3339. */
  at: Date | number | string;
  table?: PriceTable | PriceTableData;
}

/** Price normalised usage with the table in force at `at` (default: the catalog). */
export function priceUsage(input: PriceUsageInput): PriceResult {
  const table = input.table === undefined ? defaultPriceTable : resolvePriceTable(input.table);
  const at =
    input.at instanceof Date ? input.at.getTime() : typeof input.at === 'string' ? Date.parse(input.at) : input.at;
  if (!Number.isFinite(at)) throw new Error(`priceUsage: invalid time ${String(input.at)}`);
  return table.price(input.provider, input.model, input.usage, at, input);
}

/** The catalog's price keys per token type (documentation, tests). */
export const CATALOG_PRICE_KEYS = PRICE_KEYS;
