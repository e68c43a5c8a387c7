// The price table: data (pricing/default-prices.json, or a user file) plus the one loader and
// matcher everyone uses — the SDK at emit time, the analytics API to recompute history.
//
// Prices are USD per 1M tokens by usage type. Usage passed to priceUsage() must be normalised
// (types never overlap: input excludes cache reads/writes, output excludes reasoning); see
// ../usage.ts for how each provider's counting convention is mapped onto that.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const USAGE_TYPES = ['input', 'output', 'cache_read', 'cache_write', 'reasoning'] as const;
export type UsageType = (typeof USAGE_TYPES)[number];

/** One row of the price table, as written in the JSON file. */
export interface PriceEntry {
  /** gen_ai.provider.name the entry applies to, or "*" for any provider. */
  provider: string;
  /** Exact model name (case-insensitive). One of model / pattern is required. */
  model?: string;
  /** Regular expression over the model name, anchored at both ends, case-insensitive. */
  pattern?: string;
  /** UTC date (YYYY-MM-DD) or RFC 3339 date-time from which the entry is in force. */
  effective_from: string;
  input: number;
  output: number;
  /** Defaults to `input` when absent. */
  cache_read?: number;
  /** Defaults to `input` when absent. */
  cache_write?: number;
  /** Defaults to `output` when absent. */
  reasoning?: number;
  source?: string;
}

/** How a provider counts tokens in its own usage reports. */
export interface ProviderConvention {
  /** Provider's input/prompt count already includes cache-read tokens (OpenAI, Gemini). */
  input_includes_cache_read: boolean;
  /** Provider's output/completion count already includes reasoning tokens (OpenAI). */
  output_includes_reasoning: boolean;
}

/** The JSON document. */
export interface PriceTableData {
  version: string;
  currency?: 'USD';
  unit?: 'per_1m_tokens';
  /** A user table layers over the built-in defaults unless this is false. */
  extends?: 'default' | false;
  providers?: Record<string, ProviderConvention>;
  models: PriceEntry[];
}

/** Normalised, non-overlapping token counts. Accepts the SDK's camelCase or the event's snake_case. */
export interface PricedUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
  reasoning?: number;
  input_tokens?: number;
  output_tokens?: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
  reasoning_tokens?: number;
}

export interface PriceResult {
  costUsd: number | null;
  priceVersion: string | null;
  status: 'priced' | 'unknown_model';
  /** The entry used (for explanations / debugging). */
  entry?: PriceEntry;
}

interface CompiledEntry {
  entry: PriceEntry;
  provider: string; // lowercased, "*" = any
  exact: string | null;
  regex: RegExp | null;
  from: number;
  /** [input, output, cache_read, cache_write, reasoning] USD per token. */
  perToken: Float64Array;
  /** 0 = user layer exact, 1 = user pattern, 2 = default exact, 3 = default pattern. */
  rank: number;
}

/** Conventions used when a provider is not listed: the non-overlapping (Anthropic-like) reading. */
const EXCLUSIVE: ProviderConvention = Object.freeze({
  input_includes_cache_read: false,
  output_includes_reasoning: false,
});
const MAX_LOOKUP_CACHE = 10_000;
const VERSION_MAX = 64;

function parseFrom(s: string, where: string): number {
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (!Number.isFinite(t)) throw new Error(`price table: invalid effective_from ${JSON.stringify(s)} in ${where}`);
  return t;
}

function price(v: unknown, field: string, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new Error(`price table: ${field} must be a non-negative number in ${where}`);
  return v;
}

function compileEntries(data: PriceTableData, layer: 0 | 1, label: string): CompiledEntry[] {
  if (!Array.isArray(data.models)) throw new Error(`price table ${label}: "models" must be an array`);
  return data.models.map((entry, i) => {
    const where = `${label} models[${i}]`;
    if (typeof entry.provider !== 'string' || entry.provider === '')
      throw new Error(`price table: provider required in ${where}`);
    if ((entry.model === undefined) === (entry.pattern === undefined))
      throw new Error(`price table: exactly one of model / pattern in ${where}`);
    const input = price(entry.input, 'input', where);
    const output = price(entry.output, 'output', where);
    const perToken = new Float64Array([
      input,
      output,
      entry.cache_read === undefined ? input : price(entry.cache_read, 'cache_read', where),
      entry.cache_write === undefined ? input : price(entry.cache_write, 'cache_write', where),
      entry.reasoning === undefined ? output : price(entry.reasoning, 'reasoning', where),
    ]).map((p) => p / 1_000_000);
    let regex: RegExp | null = null;
    if (entry.pattern !== undefined) {
      try {
        regex = new RegExp(`^(?:${entry.pattern})$`, 'i');
      } catch (err) {
        throw new Error(`price table: invalid pattern in ${where}: ${(err as Error).message}`);
      }
    }
    return {
      entry,
      provider: entry.provider.toLowerCase(),
      exact: entry.model === undefined ? null : entry.model.toLowerCase(),
      regex,
      from: parseFrom(entry.effective_from, where),
      perToken,
      rank: layer * 2 + (regex ? 1 : 0),
    };
  });
}

/** A compiled, immutable price table. */
export class PriceTable {
  readonly version: string;
  readonly data: PriceTableData;
  private readonly entries: CompiledEntry[];
  private readonly conventions: Map<string, ProviderConvention>;
  private readonly lookupCache = new Map<string, CompiledEntry[]>();

  constructor(data: PriceTableData, base?: PriceTable) {
    if (typeof data.version !== 'string' || data.version === '') throw new Error('price table: "version" is required');
    if (data.currency !== undefined && data.currency !== 'USD') throw new Error('price table: only USD is supported');
    if (data.unit !== undefined && data.unit !== 'per_1m_tokens')
      throw new Error('price table: unit must be per_1m_tokens');
    const layered = base !== undefined && data.extends !== false;
    this.data = data;
    this.version = (layered ? `${data.version}+${base.version}` : data.version).slice(0, VERSION_MAX);
    const own = compileEntries(data, 0, data.version);
    this.entries = layered ? [...own, ...base.entries.map((e) => ({ ...e, rank: 2 + (e.regex ? 1 : 0) }))] : own;
    this.conventions = new Map(layered ? base.conventions : []);
    for (const [p, c] of Object.entries(data.providers ?? {}))
      this.conventions.set(p.toLowerCase(), Object.freeze({ ...c }));
  }

  /** How `provider` counts cached and reasoning tokens in its own usage reports. */
  convention(provider: string): ProviderConvention {
    return this.conventions.get(provider.toLowerCase()) ?? EXCLUSIVE;
  }

  /** Candidates for (provider, model), best first: by rank, then newest effective_from. */
  private candidates(provider: string, model: string): CompiledEntry[] {
    const key = `${provider}\u0000${model}`;
    let list = this.lookupCache.get(key);
    if (list === undefined) {
      const p = provider.toLowerCase();
      const m = model.toLowerCase();
      list = this.entries
        .filter(
          (e) => (e.provider === '*' || e.provider === p) && (e.exact !== null ? e.exact === m : e.regex!.test(m)),
        )
        .sort((a, b) => a.rank - b.rank || b.from - a.from);
      if (this.lookupCache.size >= MAX_LOOKUP_CACHE) this.lookupCache.clear();
      this.lookupCache.set(key, list);
    }
    return list;
  }

  /** The entry in force for (provider, model) at time `atMs`, or null when the model is unknown then. */
  lookup(provider: string, model: string, atMs: number): PriceEntry | null {
    return this.find(provider, model, atMs)?.entry ?? null;
  }

  private find(provider: string, model: string, atMs: number): CompiledEntry | null {
    // Highest-priority rank with an entry in force wins; within it the newest effective_from.
    for (const c of this.candidates(provider, model)) if (c.from <= atMs) return c;
    return null;
  }

  /** Opaque candidate list for (provider, model), to cache and pass to priceWith(). */
  resolve(provider: string, model: string): readonly unknown[] {
    return this.candidates(provider, model);
  }

  /** price() with candidates from resolve() (the SDK caches them per metric series). */
  priceWith(candidates: readonly unknown[], usage: PricedUsage, atMs: number): PriceResult {
    let c: CompiledEntry | null = null;
    for (const x of candidates as CompiledEntry[]) {
      if (x.from <= atMs) {
        c = x;
        break;
      }
    }
    return this.cost(c, usage);
  }

  /** Cost of normalised usage at time `atMs`. */
  price(provider: string, model: string, usage: PricedUsage, atMs: number): PriceResult {
    return this.cost(this.find(provider, model, atMs), usage);
  }

  private cost(c: CompiledEntry | null, usage: PricedUsage): PriceResult {
    if (c === null) return { costUsd: null, priceVersion: this.version, status: 'unknown_model' };
    const t = c.perToken;
    const cost =
      n(usage.input ?? usage.input_tokens) * t[0]! +
      n(usage.output ?? usage.output_tokens) * t[1]! +
      n(usage.cacheRead ?? usage.cache_read_tokens) * t[2]! +
      n(usage.cacheWrite ?? usage.cache_write_tokens) * t[3]! +
      n(usage.reasoning ?? usage.reasoning_tokens) * t[4]!;
    return { costUsd: Math.round(cost * 1e12) / 1e12, priceVersion: this.version, status: 'priced', entry: c.entry };
  }
}

function n(v: number | undefined): number {
  return v !== undefined && v > 0 && Number.isFinite(v) ? v : 0;
}

const require = createRequire(import.meta.url);
/** The JSON data of the built-in table (services/sdk/pricing/default-prices.json). */
export const defaultPriceTableData = require('../../pricing/default-prices.json') as PriceTableData;
/** The built-in table. */
export const defaultPriceTable = new PriceTable(defaultPriceTableData);

/**
 * Build a price table from data. User tables layer over the defaults (their entries win where
 * both match and are in force) unless the data says `"extends": false`.
 */
export function createPriceTable(data: PriceTableData): PriceTable {
  return new PriceTable(data, defaultPriceTable);
}

/** Load a price table from a JSON file (layered over the defaults); no path: the defaults. */
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

/** Accept a compiled table, raw data, a file path, or nothing (defaults). */
export function resolvePriceTable(t: string | PriceTable | PriceTableData | undefined): PriceTable {
  if (t === undefined) return defaultPriceTable;
  if (t instanceof PriceTable) return t;
  if (typeof t === 'string') return loadPriceTable(t);
  return createPriceTable(t);
}

export interface PriceUsageInput {
  provider: string;
  model: string;
  usage: PricedUsage;
  /** When the usage happened (the price in force then applies). Date, ms since epoch or RFC 3339. */
  at: Date | number | string;
  table?: PriceTable | PriceTableData;
}

/** Price normalised usage with the table in force at `at` (defaults: the built-in table). */
export function priceUsage(input: PriceUsageInput): PriceResult {
  const table = input.table === undefined ? defaultPriceTable : resolvePriceTable(input.table);
  const at =
    input.at instanceof Date ? input.at.getTime() : typeof input.at === 'string' ? Date.parse(input.at) : input.at;
  if (!Number.isFinite(at)) throw new Error(`priceUsage: invalid time ${String(input.at)}`);
  return table.price(input.provider, input.model, input.usage, at);
}
