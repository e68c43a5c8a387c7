// One OTLP GenAI span → one task event v1 (source "otlp"). docs/otlp-spans.md is the mapping's
// user-facing description; keep both in step.
//
// Usage follows the OTel GenAI conventions, where the counts are INCLUSIVE:
// gen_ai.usage.input_tokens includes gen_ai.usage.cache_read.input_tokens and
// gen_ai.usage.cache_write.input_tokens (formerly gen_ai.usage.cache_creation.input_tokens, still
// read when the new name is absent), and gen_ai.usage.output_tokens includes
// gen_ai.usage.reasoning.output_tokens. Task events carry non-overlapping counts, so the parts
// are subtracted. When a producer evidently reports exclusive counts (the parts exceed the
// total — e.g. an instrumentation passing Anthropic's input_tokens through), the total is taken
// as already exclusive; `aurea.usage.convention = "exclusive"` on the span or resource says so
// explicitly.
import {
  SCHEMA_VERSION,
  deterministicEventId,
  validateTaskEvent,
  boundAttributes,
  fitText,
  type AttributeMap,
  type FieldError,
  type InvalidReason,
  type TaskEventV1,
  type TaskStatus,
} from '@aurea/events';
import { defaultPriceTable, priceUsage, type PriceResult, type PriceTable } from '@aurea/sdk/pricing';
import {
  ATTR_DEPLOYMENT_ENVIRONMENT,
  ATTR_DEPLOYMENT_ENVIRONMENT_NAME,
  ATTR_ENDUSER_ID,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_SYSTEM,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_COMPLETION_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_PROMPT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
} from '@aurea/sdk/semconv';
import { nanosToMs, STATUS_CODE, type AnyValue, type Attributes, type OtlpSpan } from './otlp-proto.js';

/** Span/resource attributes the converter reads (besides the gen_ai.* ones). */
export const AUREA_ATTRS = {
  jobId: 'aurea.job.id',
  taskName: 'aurea.task.name',
  taskId: 'aurea.task.id',
  tenant: 'aurea.tenant',
  user: 'aurea.user',
  repository: 'aurea.repository',
  usageConvention: 'aurea.usage.convention',
  /** "sdk": this service's calls already reach Aurea as SDK task events; its spans are not converted. */
  taskEvents: 'aurea.task_events',
} as const;

/** The semantic-convention attributes the converter reads (names from @aurea/sdk/semconv). */
export const GENAI_ATTRS = {
  operation: ATTR_GEN_AI_OPERATION_NAME,
  provider: ATTR_GEN_AI_PROVIDER_NAME,
  system: ATTR_GEN_AI_SYSTEM, // deprecated provider attribute
  requestModel: ATTR_GEN_AI_REQUEST_MODEL,
  responseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  inputTokens: ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  outputTokens: ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  cacheReadTokens: ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  cacheWriteTokens: ATTR_GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
  cacheCreationTokens: ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, // former name of cacheWriteTokens
  reasoningTokens: ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  promptTokens: ATTR_GEN_AI_USAGE_PROMPT_TOKENS, // deprecated
  completionTokens: ATTR_GEN_AI_USAGE_COMPLETION_TOKENS, // deprecated
  timeToFirstChunk: ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  responseId: ATTR_GEN_AI_RESPONSE_ID,
  finishReasons: ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  cost: 'gen_ai.usage.cost', // not in the conventions; OpenLIT sets it
  errorType: ATTR_ERROR_TYPE,
} as const;

/** Older spellings some instrumentations still emit (OpenLLMetry), read after the convention's names. */
const LEGACY_USAGE = {
  cacheRead: 'gen_ai.usage.cache_read_input_tokens',
  cacheCreation: 'gen_ai.usage.cache_creation_input_tokens',
  reasoning: 'gen_ai.usage.reasoning_tokens',
} as const;

/**
 * OpenLLMetry's operation attribute, read when gen_ai.operation.name is absent (its OpenAI
 * instrumentation sets only this on its spans), and its values' convention names.
 */
export const LEGACY_OPERATION = 'llm.request.type';
const LEGACY_OPERATION_NAMES: Record<string, string> = {
  chat: 'chat',
  completion: 'text_completion',
  embedding: 'embeddings',
};

/** Deprecated gen_ai.system values whose gen_ai.provider.name is spelled differently. */
const SYSTEM_TO_PROVIDER: Record<string, string> = {
  'az.ai.inference': 'azure.ai.inference',
  'az.ai.openai': 'azure.ai.openai',
  gemini: 'gcp.gemini',
  vertex_ai: 'gcp.vertex_ai',
  xai: 'x_ai',
};

/**
 * invalid_attribute: a gen_ai/aurea attribute or the span's ids/times are unusable; the rest come from
 * validateTaskEvent.
 */
export type SpanRejectReason = 'invalid_attribute' | InvalidReason;

export type ConvertResult =
  | { kind: 'event'; event: TaskEventV1 }
  /**
   * not_genai: no gen_ai.operation.name, nothing to count. reported_by_sdk: the span or its
   * resource says `aurea.task_events = "sdk"` (the call is already counted from the SDK).
   */
  | { kind: 'skipped'; reason: 'not_genai' | 'reported_by_sdk' }
  | { kind: 'rejected'; reason: SpanRejectReason; errors: FieldError[] };

export interface ConvertContext {
  resourceAttributes: Attributes;
  scopeName?: string;
  /** Price table for cost_usd (default: the built-in table). */
  priceTable?: PriceTable;
}

class AttrError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function lookup(span: Attributes, resource: Attributes, key: string): AnyValue | undefined {
  const v = span[key];
  return v !== undefined && v !== null ? v : (resource[key] ?? undefined);
}

/** A non-empty string (numbers are accepted for ids and stringified). */
function text(v: AnyValue | undefined): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** A token count: non-negative integer (ints, integral doubles, digit strings). */
function count(attrs: Attributes, key: string): number | undefined {
  const v = attrs[key];
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000_000_000) {
    throw new AttrError(
      `/attributes/${key}`,
      `${key} must be a non-negative integer token count, got ${JSON.stringify(v)}`,
    );
  }
  return n;
}

export interface NormalizedSpanUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
}

/** Non-overlapping usage from a span's gen_ai.usage.* attributes (all zero when absent). */
export function usageFromAttributes(span: Attributes, resource: Attributes = {}): NormalizedSpanUsage {
  const input = count(span, GENAI_ATTRS.inputTokens) ?? count(span, GENAI_ATTRS.promptTokens) ?? 0;
  const output = count(span, GENAI_ATTRS.outputTokens) ?? count(span, GENAI_ATTRS.completionTokens) ?? 0;
  const cacheRead = count(span, GENAI_ATTRS.cacheReadTokens) ?? count(span, LEGACY_USAGE.cacheRead) ?? 0;
  // The current name wins; the former one and OpenLLMetry's spelling are read when it is absent.
  const cacheWrite =
    count(span, GENAI_ATTRS.cacheWriteTokens) ??
    count(span, GENAI_ATTRS.cacheCreationTokens) ??
    count(span, LEGACY_USAGE.cacheCreation) ??
    0;
  const reasoning = count(span, GENAI_ATTRS.reasoningTokens) ?? count(span, LEGACY_USAGE.reasoning) ?? 0;
  const exclusive = text(lookup(span, resource, AUREA_ATTRS.usageConvention)) === 'exclusive';
  const cached = cacheRead + cacheWrite;
  return {
    input_tokens: exclusive || input < cached ? input : input - cached,
    output_tokens: exclusive || output < reasoning ? output : output - reasoning,
    cache_read_tokens: cacheRead,
    cache_write_tokens: cacheWrite,
    reasoning_tokens: reasoning,
  };
}

const TIMEOUT_RE = /timeout|timed[ _.-]?out|deadline/i;
const CANCEL_RE = /cancel|abort/i;

function statusOf(span: OtlpSpan, errorType: string | undefined): { status: TaskStatus; error_type: string | null } {
  if (span.status.code !== STATUS_CODE.error && errorType === undefined) return { status: 'ok', error_type: null };
  // error.type's fallback value in the conventions is "_OTHER".
  const type = fitText('error_type', errorType ?? '_OTHER')!;
  const status: TaskStatus = TIMEOUT_RE.test(type) ? 'timeout' : CANCEL_RE.test(type) ? 'cancelled' : 'error';
  return { status, error_type: type };
}

/** The mapped and unmapped attributes kept on the event (bounded, primitive). */
const MAPPED = new Set<string>([...Object.values(AUREA_ATTRS)]);

function extraAttributes(span: OtlpSpan, scopeName: string | undefined): AttributeMap {
  const a = span.attributes;
  const fr = a[GENAI_ATTRS.finishReasons];
  const picked: Record<string, unknown> = {
    'otel.span.name': span.name,
    ...(scopeName ? { 'otel.scope.name': scopeName } : {}),
    [GENAI_ATTRS.responseId]: a[GENAI_ATTRS.responseId],
    ...(Array.isArray(fr) ? { [GENAI_ATTRS.finishReasons]: fr.filter((x) => typeof x === 'string').join(',') } : {}),
    [ATTR_SERVER_ADDRESS]: a[ATTR_SERVER_ADDRESS],
  };
  for (const [k, v] of Object.entries(a)) if (k.startsWith('aurea.') && !MAPPED.has(k)) picked[k] = v;
  // Empty strings say nothing about a span: left out.
  for (const [k, v] of Object.entries(picked)) if (v === '') delete picked[k];
  return boundAttributes(picked);
}

function price(
  table: PriceTable,
  provider: string,
  models: string[],
  usage: NormalizedSpanUsage,
  atMs: number,
): PriceResult {
  let result: PriceResult | undefined;
  for (const model of models) {
    result = priceUsage({ provider, model, usage, at: atMs, table });
    if (result.status !== 'unknown_model') return result;
  }
  return (
    result ?? {
      cost: null,
      costUsd: null,
      priceVersion: table.version,
      status: 'unknown_model',
      source: null,
    }
  );
}

/**
 * Convert one span. Never throws: problems come back as `rejected` (→ dead-letter topic) with
 * field errors, non-GenAI spans as `skipped`.
 */
export function convertSpan(span: OtlpSpan, ctx: ConvertContext): ConvertResult {
  const a = span.attributes;
  const res = ctx.resourceAttributes;
  const legacy = text(a[LEGACY_OPERATION]);
  const operation =
    text(a[GENAI_ATTRS.operation]) ?? (legacy === undefined ? undefined : (LEGACY_OPERATION_NAMES[legacy] ?? legacy));
  if (operation === undefined) return { kind: 'skipped', reason: 'not_genai' };
  if (text(lookup(a, res, AUREA_ATTRS.taskEvents)) === 'sdk') return { kind: 'skipped', reason: 'reported_by_sdk' };
  try {
    const rawProvider = text(a[GENAI_ATTRS.provider]) ?? text(a[GENAI_ATTRS.system]);
    const provider = rawProvider === undefined ? 'unknown' : (SYSTEM_TO_PROVIDER[rawProvider] ?? rawProvider);
    const requestModel = text(a[GENAI_ATTRS.requestModel]);
    const responseModel = text(a[GENAI_ATTRS.responseModel]);
    const usage = usageFromAttributes(a, res);

    if (!/^[0-9a-f]{32}$/.test(span.traceId) || /^0+$/.test(span.traceId))
      throw new AttrError('/trace_id', 'span has no valid trace id');
    if (!/^[0-9a-f]{16}$/.test(span.spanId) || /^0+$/.test(span.spanId))
      throw new AttrError('/span_id', 'span has no valid span id');
    if (span.startTimeUnixNano === 0n) throw new AttrError('/started_at', 'span has no start time');
    if (span.endTimeUnixNano < span.startTimeUnixNano) {
      return {
        kind: 'rejected',
        reason: 'inconsistent',
        errors: [{ field: '/ended_at', message: 'span ends before it starts' }],
      };
    }
    const startMs = nanosToMs(span.startTimeUnixNano);
    const endMs = nanosToMs(span.endTimeUnixNano);
    const latencyMs = Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6;

    const table = ctx.priceTable ?? defaultPriceTable;
    // Same rule as the SDK: price the requested model (what the caller chose and what dashboards
    // group by); the response model only when the table does not know the requested one.
    const models = [requestModel, responseModel].filter((m): m is string => m !== undefined);
    const priced = price(table, provider, models, usage, startMs);

    const errorType = text(a[GENAI_ATTRS.errorType]);
    const { status, error_type } = statusOf(span, errorType);
    const ttfc = a[GENAI_ATTRS.timeToFirstChunk];
    const providedCost = a[GENAI_ATTRS.cost];
    const parentTask = text(lookup(a, res, AUREA_ATTRS.taskId)) ?? span.parentSpanId;

    const event: TaskEventV1 = {
      schema_version: SCHEMA_VERSION,
      event_id: deterministicEventId(`${span.traceId}:${span.spanId}`, startMs),
      source: 'otlp',
      started_at: new Date(Math.floor(startMs)).toISOString(),
      ended_at: new Date(Math.floor(endMs)).toISOString(),
      job_id: text(lookup(a, res, AUREA_ATTRS.jobId)) ?? span.traceId,
      task_id: span.spanId,
      parent_task_id: parentTask ?? null,
      service: fitText('service', text(res[ATTR_SERVICE_NAME]) ?? 'unknown_service')!,
      // The resource's deployment environment (its deprecated spelling from older SDKs second).
      environment: fitText(
        'environment',
        text(res[ATTR_DEPLOYMENT_ENVIRONMENT_NAME]) ?? text(res[ATTR_DEPLOYMENT_ENVIRONMENT]),
      ),
      task_name: fitText('task_name', text(lookup(a, res, AUREA_ATTRS.taskName)) ?? (span.name || operation))!,
      operation: fitText('operation', operation)!,
      provider: fitText('provider', provider)!,
      request_model: fitText('request_model', requestModel ?? responseModel ?? 'unknown')!,
      response_model: fitText('response_model', responseModel),
      usage,
      latency_ms: latencyMs,
      time_to_first_token_ms: typeof ttfc === 'number' && ttfc >= 0 && Number.isFinite(ttfc) ? ttfc * 1000 : null,
      status,
      error_type,
      cost_usd: priced.costUsd,
      provided_cost_usd:
        typeof providedCost === 'number' && providedCost >= 0 && Number.isFinite(providedCost) ? providedCost : null,
      pricing_status: priced.status,
      price_version: fitText('price_version', priced.priceVersion),
      tenant: text(lookup(a, res, AUREA_ATTRS.tenant)) ?? null,
      user: text(lookup(a, res, AUREA_ATTRS.user)) ?? text(a[ATTR_ENDUSER_ID]) ?? null,
      repository: text(lookup(a, res, AUREA_ATTRS.repository)) ?? null,
      attributes: extraAttributes(span, ctx.scopeName),
      trace_id: span.traceId,
      span_id: span.spanId,
    };
    const v = validateTaskEvent(event);
    if (!v.ok) return { kind: 'rejected', reason: v.reason, errors: v.errors };
    return { kind: 'event', event };
  } catch (err) {
    if (err instanceof AttrError)
      return {
        kind: 'rejected',
        reason: 'invalid_attribute',
        errors: [{ field: err.field, message: err.message }],
      };
    throw err;
  }
}
