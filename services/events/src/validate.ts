// Validation of task events against schema v1, with reasons that double as metric labels
// and dead-letter headers.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject } from 'ajv';
import {
  SCHEMA_VERSION,
  TaskEventV1Schema,
  normalizeEvent,
  type NormalizedTaskEvent,
  type TaskEventV1,
} from './model.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
ajv.addKeyword('kind').addKeyword('modifier');
addFormats(ajv, ['date-time']);
const check = ajv.compile<TaskEventV1>(TaskEventV1Schema);

export type InvalidReason =
  'invalid_json' | 'not_an_object' | 'unknown_schema_version' | 'schema_violation' | 'inconsistent';

export interface FieldError {
  /** JSON pointer-ish path of the offending field, e.g. `/usage/input_tokens`. */
  field: string;
  message: string;
}

export type DecodeResult =
  { ok: true; event: NormalizedTaskEvent } | { ok: false; reason: InvalidReason; errors: FieldError[] };

function toFieldErrors(errors: ErrorObject[] | null | undefined): FieldError[] {
  return (errors ?? []).map((e) => {
    let field = e.instancePath || '/';
    if (e.keyword === 'required')
      field = `${e.instancePath}/${String((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'additionalProperties')
      field = `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}`;
    return { field, message: e.keyword === 'additionalProperties' ? 'unknown field' : (e.message ?? e.keyword) };
  });
}

/**
 * The times an event may carry: RFC 3339 (the schema's format) that JavaScript can read — so no
 * leap second (`…T23:59:60Z`) — and inside what the store's DateTime64(3, 'UTC') holds
 * (ClickHouse: 1900-01-01 to 2299-12-31).
 */
export const TIME_RANGE = { from: '1900-01-01T00:00:00.000Z', toExclusive: '2300-01-01T00:00:00.000Z' } as const;
const MIN_MS = Date.parse(TIME_RANGE.from);
const MAX_MS = Date.parse(TIME_RANGE.toExclusive);

/** Milliseconds of a time inside TIME_RANGE; null when JavaScript cannot read it or it lies outside. */
export function timeMs(text: string): number | null {
  const t = Date.parse(text);
  return Number.isFinite(t) && t >= MIN_MS && t < MAX_MS ? t : null;
}

export const TIME_RANGE_MESSAGE = `must be a readable time (no leap second) from ${TIME_RANGE.from} to before ${TIME_RANGE.toExclusive}`;

/** Validate a parsed value as a task event v1 and normalize its optional fields. */
export function validateTaskEvent(value: unknown): DecodeResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_an_object', errors: [{ field: '/', message: 'event must be a JSON object' }] };
  }
  const version = (value as { schema_version?: unknown }).schema_version;
  if (version !== SCHEMA_VERSION) {
    return {
      ok: false,
      reason: 'unknown_schema_version',
      errors: [
        {
          field: '/schema_version',
          message: `unsupported schema_version ${JSON.stringify(version ?? null)}; expected ${SCHEMA_VERSION}`,
        },
      ],
    };
  }
  if (!check(value)) return { ok: false, reason: 'schema_violation', errors: toFieldErrors(check.errors) };
  const started = timeMs(value.started_at);
  const ended = timeMs(value.ended_at);
  if (started === null || ended === null) {
    return {
      ok: false,
      reason: 'schema_violation',
      errors: [
        ...(started === null ? [{ field: '/started_at', message: TIME_RANGE_MESSAGE }] : []),
        ...(ended === null ? [{ field: '/ended_at', message: TIME_RANGE_MESSAGE }] : []),
      ],
    };
  }
  if (ended < started) {
    return {
      ok: false,
      reason: 'inconsistent',
      errors: [{ field: '/ended_at', message: 'ended_at is before started_at' }],
    };
  }
  return { ok: true, event: normalizeEvent(value) };
}

/** Decode raw Kafka message bytes into a validated event. Never throws. */
export function decodeTaskEvent(bytes: Buffer | Uint8Array | string | null): DecodeResult {
  if (bytes === null) return { ok: false, reason: 'invalid_json', errors: [{ field: '/', message: 'empty message' }] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', errors: [{ field: '/', message: (err as Error).message }] };
  }
  return validateTaskEvent(parsed);
}
