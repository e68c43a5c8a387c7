// The task-event model, version 1: ONE table of fields (FIELDS below) from which everything
// about a task event derives —
//  - the contract: the TypeBox schema TaskEventV1Schema (→ schema/task-event.v1.json, generated)
//    and its TypeScript type;
//  - the normalized event (every optional field filled in) and normalizeEvent();
//  - how each field is stored (its StoreKind: @aurea/clickhouse maps kinds to column types, the
//    insert row and the read row; a test checks the migrated table against it);
//  - the length limits producers cut to (LIMITS, fitText, boundAttributes);
//  - token types and their names in every shape (TOKEN_TYPES).
// Adding an optional field is one entry here plus one migration (docs/events.md).
import { Type, type Static, type TInteger, type TOptional, type TSchema } from '@sinclair/typebox';

export const SCHEMA_VERSION = 1 as const;

export const TASK_STATUSES = ['ok', 'error', 'timeout', 'cancelled', 'refused'] as const;
export const PRICING_STATUSES = ['priced', 'custom', 'unknown_model', 'not_applicable'] as const;
/**
 * Who produced an event: the Aurea SDK, the analytics API's ingest, the span bridge (OTLP spans),
 * or any other producer (`external`, also what an event without `source` is). Aurea reprices every
 * event that is not from a producer pricing with Aurea's own module (docs/api.md, "Whose figures
 * count").
 */
export const EVENT_SOURCES = ['sdk', 'api', 'otlp', 'external'] as const;
/** Provider service tiers that are priced differently (docs/pricing.md, "Service tiers"). */
export const SERVICE_TIERS = ['standard', 'batch', 'flex', 'priority'] as const;
export type ServiceTier = (typeof SERVICE_TIERS)[number];
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type PricingStatus = (typeof PRICING_STATUSES)[number];
export type EventSource = (typeof EVENT_SOURCES)[number];

/** Every limit of the contract, in one place (characters for strings). */
export const LIMITS = {
  /** job, task, tenant, user, repository ids */
  id: 256,
  service: 128,
  environment: 64,
  taskName: 128,
  operation: 64,
  provider: 64,
  model: 128,
  errorType: 128,
  priceVersion: 64,
  priceSource: 96,
  attributeKey: 64,
  attributeValue: 256,
  attributes: 32,
  tokens: 1_000_000_000_000,
  /** One day, in milliseconds. */
  durationMs: 86_400_000,
  /**
   * Largest USD amount an event may carry: storage is Decimal(18, 9), whose largest value is
   * 999,999,999.999999999; the schema's bound is exclusive.
   */
  usdExclusiveMax: 1_000_000_000,
} as const;

/**
 * Token types; they never overlap (input excludes cache reads/writes, output excludes reasoning).
 * Names: `<type>_tokens` in events and columns, `<type>` in the API's `tokens` object.
 */
export const TOKEN_TYPES = [
  'input',
  'output',
  'cache_read',
  'cache_write',
  'reasoning',
  'cache_write_1h',
  'input_audio',
  'output_audio',
  'input_image',
  'output_image',
] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
export type TokenField = `${TokenType}_tokens`;
export const tokenField = <T extends TokenType>(t: T): `${T}_tokens` => `${t}_tokens`;
const TOKEN_DESCRIPTIONS: Record<TokenType, string> = {
  input: 'Input (prompt) text tokens, excluding cache reads and writes and audio/image input',
  output: 'Output (completion) text tokens, excluding reasoning tokens and audio/image output',
  cache_read: 'Input tokens served from the provider cache',
  cache_write: 'Input tokens written to the provider cache with the default (5-minute) lifetime',
  reasoning: 'Reasoning / thinking output tokens',
  cache_write_1h: 'Input tokens written to the provider cache with a 1-hour lifetime (Anthropic)',
  input_audio: 'Audio input tokens not served from the cache',
  output_audio: 'Audio output tokens',
  input_image: 'Image input tokens not served from the cache',
  output_image: 'Image output tokens',
};

/**
 * How a field is stored (docs/clickhouse.md, "Columns from the model"). Strings store "none" as ''
 * (ClickHouse advises against Nullable strings); numbers store it as NULL.
 *  - uuid, version, time: UUID, UInt8, DateTime64(3, 'UTC')
 *  - text: String (unbounded values: ids)      - label: LowCardinality(String) (few distinct values)
 *  - float: Float64                             - money: Decimal(18, 9), written from decimal text
 *  - map: Map(String, String)                   - tokens: one UInt64 column per token type
 */
export type StoreKind = 'uuid' | 'version' | 'time' | 'text' | 'label' | 'float' | 'money' | 'map' | 'tokens';

interface FieldBase<E extends TSchema, N extends TSchema> {
  /** The field in the contract (wrapped in Type.Optional when the producer may leave it out). */
  event: E;
  /** The field in the normalized event (always present). */
  normalized: N;
  store: StoreKind;
  /** True when the normalized value may be null. */
  nullable: boolean;
}
export interface FieldSpec<E extends TSchema = TSchema, N extends TSchema = TSchema> extends FieldBase<E, N> {
  /** Normalized value of an absent field (undefined: the field is required). */
  fill?: (event: Record<string, unknown>) => unknown;
}

/** A field every event carries. */
export function required<S extends TSchema>(schema: S, store: StoreKind): FieldSpec<S, S> {
  return { event: schema, normalized: schema, store, nullable: false };
}
/** A field that may be absent or null; normalized to null. */
export function nullable<S extends TSchema>(schema: S, store: StoreKind, description?: string) {
  const both = Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
  return { event: Type.Optional(both), normalized: both, store, nullable: true, fill: () => null };
}
/** A field that may be absent; normalized to fill(event). */
export function defaulted<S extends TSchema>(
  schema: S,
  store: StoreKind,
  fill: (event: Record<string, unknown>) => Static<S>,
) {
  return { event: Type.Optional(schema), normalized: schema, store, nullable: false, fill };
}

const Id = (description: string) => Type.String({ minLength: 1, maxLength: LIMITS.id, description });
const Text = (max: number, description?: string) =>
  Type.String({ minLength: 1, maxLength: max, ...(description === undefined ? {} : { description }) });
const Timestamp = (description: string) => Type.String({ format: 'date-time', description });
const Duration = (description?: string) =>
  Type.Number({ minimum: 0, maximum: LIMITS.durationMs, ...(description === undefined ? {} : { description }) });
const Usd = () => Type.Number({ minimum: 0, exclusiveMaximum: LIMITS.usdExclusiveMax });
const Enum = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    description === undefined ? {} : { description },
  );
const Count = (description: string) => Type.Integer({ minimum: 0, maximum: LIMITS.tokens, description });

type TokenProps<Opt extends boolean> = {
  [K in TokenField]: Opt extends true ? TOptional<TInteger> : TInteger;
};
function tokenProps<Opt extends boolean>(optional: Opt): TokenProps<Opt> {
  return Object.fromEntries(
    TOKEN_TYPES.map((t) => {
      const c = Count(TOKEN_DESCRIPTIONS[t]);
      return [tokenField(t), optional ? Type.Optional(c) : c];
    }),
  ) as TokenProps<Opt>;
}
const USAGE_OPTS = {
  additionalProperties: false,
  description: 'Token usage by type; the types never overlap (normalised by the producer).',
};
export const UsageSchema = Type.Object(tokenProps(true), USAGE_OPTS);
export const NormalizedUsageSchema = Type.Object(tokenProps(false), USAGE_OPTS);
export type TokenUsage = Static<typeof UsageSchema>;
export type NormalizedTokenUsage = Static<typeof NormalizedUsageSchema>;

export const AttributeValue = Type.Union([
  Type.String({ maxLength: LIMITS.attributeValue }),
  Type.Number(),
  Type.Boolean(),
]);
const Attributes = Type.Record(Type.String({ maxLength: LIMITS.attributeKey }), AttributeValue, {
  maxProperties: LIMITS.attributes,
  description: 'Free-form bounded attributes',
});

/** The fields, in contract order. */
export const FIELDS = {
  schema_version: required(Type.Literal(SCHEMA_VERSION), 'version'),
  event_id: required(
    Type.String({
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description:
        'Time-ordered unique id (UUIDv7, or UUIDv8 derived from trace+span for OTLP spans); the idempotency key',
    }),
    'uuid',
  ),
  source: defaulted(
    Enum(EVENT_SOURCES, 'Who produced the event: sdk, api, otlp, or external (the default: any other producer)'),
    'label',
    () => 'external' as const,
  ),
  started_at: required(Timestamp('When the task started (RFC 3339, UTC)'), 'time'),
  ended_at: required(Timestamp('When the task finished or failed (RFC 3339, UTC)'), 'time'),
  job_id: required(Id('The job this task belongs to (high cardinality: events only, never a metric label)'), 'text'),
  task_id: required(Id('Unique id of this task within the job'), 'text'),
  parent_task_id: nullable(Id('Parent task, for nested tasks'), 'text', 'Parent task, for nested tasks'),
  service: required(Text(LIMITS.service, 'service.name of the producer'), 'label'),
  environment: nullable(
    Text(LIMITS.environment),
    'label',
    'deployment.environment.name of the producer (production, staging, …); a bounded dimension',
  ),
  task_name: required(Text(LIMITS.taskName, 'Bounded task name (e.g. "summarize")'), 'label'),
  operation: required(Text(LIMITS.operation, 'gen_ai.operation.name: chat, text_completion, embeddings, …'), 'label'),
  provider: required(Text(LIMITS.provider, 'gen_ai.provider.name: openai, anthropic, gcp.gemini, …'), 'label'),
  request_model: required(Text(LIMITS.model, 'gen_ai.request.model'), 'label'),
  response_model: nullable(Text(LIMITS.model), 'label', 'gen_ai.response.model'),
  usage: {
    event: UsageSchema,
    normalized: NormalizedUsageSchema,
    store: 'tokens',
    nullable: false,
    fill: undefined,
  } satisfies FieldSpec<typeof UsageSchema, typeof NormalizedUsageSchema>,
  latency_ms: required(Duration('Wall time of the task in milliseconds'), 'float'),
  time_to_first_token_ms: nullable(Duration(), 'float', 'Streaming: time to the first chunk'),
  status: required(Enum(TASK_STATUSES), 'label'),
  error_type: nullable(Text(LIMITS.errorType), 'label', 'error.type when status is not ok'),
  cost_usd: nullable(
    Usd(),
    'money',
    'Cost computed by Aurea from the price table (or the caller’s estimateCost); null when the model is unknown',
  ),
  provided_cost_usd: nullable(
    Usd(),
    'money',
    'Cost reported by the caller or provider, kept apart from the computed cost',
  ),
  pricing_status: defaulted(Enum(PRICING_STATUSES), 'label', (e) =>
    e.cost_usd === undefined || e.cost_usd === null ? 'unknown_model' : 'priced',
  ),
  price_version: nullable(Text(LIMITS.priceVersion), 'label', 'Price-table version used for cost_usd'),
  price_source: nullable(
    Text(LIMITS.priceSource),
    'label',
    'Which price priced cost_usd: catalog, override:<entry>, …+discount:<entry>, estimate (docs/pricing.md)',
  ),
  service_tier: nullable(Enum(SERVICE_TIERS), 'label', 'Provider service tier of the call; null = standard'),
  tenant: nullable(Id('Tenant / team (events only)'), 'label', 'Tenant / team (events only)'),
  user: nullable(Id('End user (events only)'), 'text', 'End user (events only)'),
  repository: nullable(Id('Repository / project (events only)'), 'label', 'Repository / project (events only)'),
  attributes: defaulted(Attributes, 'map', () => ({})),
  trace_id: nullable(Type.String({ pattern: '^[0-9a-f]{32}$' }), 'text', 'W3C trace id'),
  span_id: nullable(Type.String({ pattern: '^[0-9a-f]{16}$' }), 'text', 'W3C span id'),
};
export type Fields = typeof FIELDS;
export type FieldName = keyof Fields;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

type EventProps<F> = { [K in keyof F]: F[K] extends { event: infer E extends TSchema } ? E : never };
type NormalizedProps<F> = { [K in keyof F]: F[K] extends { normalized: infer N extends TSchema } ? N : never };
function pick<F extends Record<string, FieldSpec>, K extends 'event' | 'normalized'>(fields: F, key: K) {
  return Object.fromEntries(Object.entries(fields).map(([name, f]) => [name, f[key]]));
}

/** The contract's schema of a set of fields (TaskEventV1Schema is this of FIELDS). */
export function contractSchema<F extends Record<string, FieldSpec>>(fields: F) {
  return Type.Object(pick(fields, 'event') as EventProps<F>, {
    $id: 'https://aurea.dev/schemas/task-event.v1.json',
    title: 'Aurea task event v1',
    description: 'One event per finished (or failed) task, published to Kafka keyed by job_id.',
    additionalProperties: false,
  });
}
export const TaskEventV1Schema = contractSchema(FIELDS);
/** An event with every optional field filled in: what every reader of the contract works with. */
export const NormalizedTaskEventSchema = Type.Object(pick(FIELDS, 'normalized') as NormalizedProps<Fields>, {
  additionalProperties: false,
});

export type TaskEventV1 = Static<typeof TaskEventV1Schema>;
export type NormalizedTaskEvent = Static<typeof NormalizedTaskEventSchema>;

/** Fill every optional field of a valid event by the fields' fill rules (normalizeEvent is this of FIELDS). */
export function normalizer(fields: Record<string, FieldSpec>): (e: Record<string, unknown>) => Record<string, unknown> {
  const list = Object.entries(fields);
  return (src) => {
    const out: Record<string, unknown> = {};
    for (const [name, f] of list) {
      const v = src[name];
      out[name] = v !== undefined ? v : f.fill?.(src);
    }
    const usage = src.usage as Record<string, number | undefined>;
    const filled: Record<string, number> = {};
    for (const t of TOKEN_TYPES) filled[tokenField(t)] = usage[tokenField(t)] ?? 0;
    out.usage = filled;
    return out;
  };
}
const normalize = normalizer(FIELDS);

/** Fill every optional field of a valid event (FIELDS' fill rules). */
export const normalizeEvent = (e: TaskEventV1): NormalizedTaskEvent => normalize(e) as NormalizedTaskEvent;

// ---- limits for producers -----------------------------------------------------------------------

type TextField = {
  [K in FieldName]: Static<Fields[K]['normalized']> extends string | null ? K : never;
}[FieldName];

/** The longest value the contract allows in a text field. */
export function maxLength(field: TextField): number {
  const s = FIELDS[field].event as { maxLength?: number; anyOf?: { maxLength?: number }[] };
  const max = s.maxLength ?? s.anyOf?.find((x) => x.maxLength !== undefined)?.maxLength;
  if (max === undefined) throw new RangeError(`${field} has no length limit`);
  return max;
}

/**
 * A producer's value cut to what the contract allows in `field`; null for absent or empty values.
 * Cuts by UTF-16 code units without splitting a surrogate pair.
 */
export function fitText(field: TextField, value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  return cut(value, maxLength(field));
}

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  const end = /[\uD800-\uDBFF]/.test(s[max - 1]!) ? max - 1 : max;
  return s.slice(0, end);
}

export type AttributeMap = Record<string, string | number | boolean>;

/**
 * Attributes bounded as the contract requires: at most LIMITS.attributes keys (first ones win),
 * keys and string values cut to their limits, empty keys and values that are not strings, finite
 * numbers or booleans left out.
 */
export function boundAttributes(a: Record<string, unknown> | undefined | null): AttributeMap {
  const out: AttributeMap = {};
  if (!a) return out;
  let n = 0;
  for (const [k, v] of Object.entries(a)) {
    if (n >= LIMITS.attributes) break;
    if (k === '') continue;
    let value: string | number | boolean;
    if (typeof v === 'string') value = cut(v, LIMITS.attributeValue);
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') value = v;
    else continue;
    out[cut(k, LIMITS.attributeKey)] = value;
    n++;
  }
  return out;
}

/** A duration clamped to the contract's range (0 … one day). */
export const clampDurationMs = (ms: number): number => Math.min(LIMITS.durationMs, Math.max(0, ms));
