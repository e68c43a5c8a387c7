// The task-event contract, version 1. Single source: this TypeBox definition.
// schema/task-event.v1.json is generated from it (`npm run -w @aurea/events gen:schema`)
// and a unit test fails when the checked-in file drifts from this definition.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const SCHEMA_VERSION = 1 as const;

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 256, description });
const OptionalId = (description: string) => Type.Optional(Type.Union([Id(description), Type.Null()], { description }));
const Count = (description: string) =>
  Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000_000, description }));
const Timestamp = (description: string) => Type.String({ format: 'date-time', description });
const Usd = (description: string) =>
  Type.Optional(Type.Union([Type.Number({ minimum: 0, maximum: 1_000_000_000 }), Type.Null()], { description }));
const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Optional(Type.Union([schema, Type.Null()], description ? { description } : {}));

export const TASK_STATUSES = ['ok', 'error', 'timeout', 'cancelled'] as const;
export const PRICING_STATUSES = ['priced', 'custom', 'unknown_model', 'not_applicable'] as const;
export const EVENT_SOURCES = ['sdk', 'api', 'otlp'] as const;

export const UsageSchema = Type.Object(
  {
    input_tokens: Count('Input (prompt) tokens, excluding cache reads and writes'),
    output_tokens: Count('Output (completion) tokens, excluding reasoning tokens'),
    cache_read_tokens: Count('Input tokens served from the provider cache'),
    cache_write_tokens: Count('Input tokens written to the provider cache'),
    reasoning_tokens: Count('Reasoning / thinking output tokens'),
  },
  {
    additionalProperties: false,
    description: 'Token usage by type; the types never overlap (normalised by the producer).',
  },
);

export const AttributeValue = Type.Union([Type.String({ maxLength: 256 }), Type.Number(), Type.Boolean()]);

export const TaskEventV1Schema = Type.Object(
  {
    schema_version: Type.Literal(SCHEMA_VERSION),
    event_id: Type.String({
      pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
      description:
        'Time-ordered unique id (UUIDv7, or UUIDv8 derived from trace+span for OTLP spans); the idempotency key',
    }),
    source: Type.Optional(
      Type.Union(
        EVENT_SOURCES.map((s) => Type.Literal(s)),
        { description: 'Who produced the event (default sdk)' },
      ),
    ),
    started_at: Timestamp('When the task started (RFC 3339, UTC)'),
    ended_at: Timestamp('When the task finished or failed (RFC 3339, UTC)'),
    job_id: Id('The job this task belongs to (high cardinality: events only, never a metric label)'),
    task_id: Id('Unique id of this task within the job'),
    parent_task_id: OptionalId('Parent task, for nested tasks'),
    service: Type.String({ minLength: 1, maxLength: 128, description: 'service.name of the producer' }),
    task_name: Type.String({ minLength: 1, maxLength: 128, description: 'Bounded task name (e.g. "summarize")' }),
    operation: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'gen_ai.operation.name: chat, text_completion, embeddings, …',
    }),
    provider: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'gen_ai.provider.name: openai, anthropic, gcp.gemini, …',
    }),
    request_model: Type.String({ minLength: 1, maxLength: 128, description: 'gen_ai.request.model' }),
    response_model: Nullable(Type.String({ minLength: 1, maxLength: 128 }), 'gen_ai.response.model'),
    usage: UsageSchema,
    latency_ms: Type.Number({ minimum: 0, maximum: 86_400_000, description: 'Wall time of the task in milliseconds' }),
    time_to_first_token_ms: Nullable(
      Type.Number({ minimum: 0, maximum: 86_400_000 }),
      'Streaming: time to the first chunk',
    ),
    status: Type.Union(TASK_STATUSES.map((s) => Type.Literal(s))),
    error_type: Nullable(Type.String({ minLength: 1, maxLength: 128 }), 'error.type when status is not ok'),
    cost_usd: Usd(
      'Cost computed by Aurea from the price table (or the caller’s estimateCost); null when the model is unknown',
    ),
    provided_cost_usd: Usd('Cost reported by the caller or provider, kept apart from the computed cost'),
    pricing_status: Type.Optional(Type.Union(PRICING_STATUSES.map((s) => Type.Literal(s)))),
    price_version: Nullable(Type.String({ minLength: 1, maxLength: 64 }), 'Price-table version used for cost_usd'),
    tenant: OptionalId('Tenant / team (events only)'),
    user: OptionalId('End user (events only)'),
    repository: OptionalId('Repository / project (events only)'),
    attributes: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), AttributeValue, {
        maxProperties: 32,
        description: 'Free-form bounded attributes',
      }),
    ),
    trace_id: Nullable(Type.String({ pattern: '^[0-9a-f]{32}$' }), 'W3C trace id'),
    span_id: Nullable(Type.String({ pattern: '^[0-9a-f]{16}$' }), 'W3C span id'),
  },
  {
    $id: 'https://aurea.dev/schemas/task-event.v1.json',
    title: 'Aurea task event v1',
    description: 'One event per finished (or failed) task, published to Kafka keyed by job_id.',
    additionalProperties: false,
  },
);

export type TaskEventV1 = Static<typeof TaskEventV1Schema>;
export type TokenUsage = Static<typeof UsageSchema>;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export type PricingStatus = (typeof PRICING_STATUSES)[number];

/** An event with every optional field filled in: what the consumer writes. */
export interface NormalizedTaskEvent {
  schema_version: typeof SCHEMA_VERSION;
  event_id: string;
  source: (typeof EVENT_SOURCES)[number];
  started_at: string;
  ended_at: string;
  job_id: string;
  task_id: string;
  parent_task_id: string | null;
  service: string;
  task_name: string;
  operation: string;
  provider: string;
  request_model: string;
  response_model: string | null;
  usage: Required<TokenUsage>;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  status: TaskStatus;
  error_type: string | null;
  cost_usd: number | null;
  provided_cost_usd: number | null;
  pricing_status: PricingStatus;
  price_version: string | null;
  tenant: string | null;
  user: string | null;
  repository: string | null;
  attributes: Record<string, string | number | boolean>;
  trace_id: string | null;
  span_id: string | null;
}

export function normalizeEvent(e: TaskEventV1): NormalizedTaskEvent {
  const u = e.usage;
  return {
    schema_version: e.schema_version,
    event_id: e.event_id,
    source: e.source ?? 'sdk',
    started_at: e.started_at,
    ended_at: e.ended_at,
    job_id: e.job_id,
    task_id: e.task_id,
    parent_task_id: e.parent_task_id ?? null,
    service: e.service,
    task_name: e.task_name,
    operation: e.operation,
    provider: e.provider,
    request_model: e.request_model,
    response_model: e.response_model ?? null,
    usage: {
      input_tokens: u.input_tokens ?? 0,
      output_tokens: u.output_tokens ?? 0,
      cache_read_tokens: u.cache_read_tokens ?? 0,
      cache_write_tokens: u.cache_write_tokens ?? 0,
      reasoning_tokens: u.reasoning_tokens ?? 0,
    },
    latency_ms: e.latency_ms,
    time_to_first_token_ms: e.time_to_first_token_ms ?? null,
    status: e.status,
    error_type: e.error_type ?? null,
    cost_usd: e.cost_usd ?? null,
    provided_cost_usd: e.provided_cost_usd ?? null,
    pricing_status: e.pricing_status ?? (e.cost_usd == null ? 'unknown_model' : 'priced'),
    price_version: e.price_version ?? null,
    tenant: e.tenant ?? null,
    user: e.user ?? null,
    repository: e.repository ?? null,
    attributes: e.attributes ?? {},
    trace_id: e.trace_id ?? null,
    span_id: e.span_id ?? null,
  };
}
