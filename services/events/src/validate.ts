// Validation of task events against schema v1, with reasons that double as metric labels
// and dead-letter headers.
import { isUtf8 } from 'node:buffer';
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
  'invalid_utf8' | 'invalid_json' | 'not_an_object' | 'unknown_schema_version' | 'schema_violation' | 'inconsistent';

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

/** A UTF-16 surrogate without its other half: valid in a JSON escape (\\ud800), not representable in UTF-8. */
const UNPAIRED = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const UNPAIRED_MESSAGE =
  'contains an unpaired UTF-16 surrogate (a \\ud800–\\udfff escape alone): not valid Unicode text';

/** Fields (keys or string values, at any depth) holding an unpaired surrogate, which no store can hold as text. */
function unpairedSurrogates(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return UNPAIRED.test(v) ? [{ field: path || '/', message: UNPAIRED_MESSAGE }] : [];
  if (typeof v !== 'object' || v === null) return [];
  const out: FieldError[] = [];
  for (const [k, x] of Object.entries(v)) {
    const field = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (UNPAIRED.test(k)) out.push({ field, message: `key ${UNPAIRED_MESSAGE}` });
    out.push(...unpairedSurrogates(x, field));
  }
  return out;
}

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
  const unpaired = unpairedSurrogates(value, '');
  if (unpaired.length > 0) return { ok: false, reason: 'schema_violation', errors: unpaired };
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

/**
 * Decode raw Kafka message bytes into a validated event. Never throws. Bytes that are not UTF-8
 * are refused (invalid_utf8), never replaced by U+FFFD: the stored text is what the producer sent.
 */
export function decodeTaskEvent(bytes: Buffer | Uint8Array | string | null): DecodeResult {
  if (bytes === null || bytes.length === 0)
    return { ok: false, reason: 'invalid_json', errors: [{ field: '/', message: 'empty message' }] };
  let text: string;
  if (typeof bytes === 'string') text = bytes;
  else {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!isUtf8(buf)) {
      return {
        ok: false,
        reason: 'invalid_utf8',
        errors: [{ field: '/', message: `not UTF-8 at byte ${firstInvalidByte(buf)}` }],
      };
    }
    text = buf.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: 'invalid_json', errors: [{ field: '/', message: (err as Error).message }] };
  }
  return validateTaskEvent(parsed);
}

/** Offset of the first byte where the bytes stop being well-formed UTF-8 (RFC 3629; error path only). */
function firstInvalidByte(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    // [length of the sequence, allowed range of its second byte] by lead byte (RFC 3629, table 3-7).
    const [n, lo, hi] =
      c < 0x80
        ? [1, 0, 0]
        : c >= 0xc2 && c <= 0xdf
          ? [2, 0x80, 0xbf]
          : c === 0xe0
            ? [3, 0xa0, 0xbf]
            : c === 0xed
              ? [3, 0x80, 0x9f]
              : c >= 0xe1 && c <= 0xef
                ? [3, 0x80, 0xbf]
                : c === 0xf0
                  ? [4, 0x90, 0xbf]
                  : c === 0xf4
                    ? [4, 0x80, 0x8f]
                    : c >= 0xf1 && c <= 0xf3
                      ? [4, 0x80, 0xbf]
                      : [0, 0, 0];
    if (n === 0) return i;
    if (n > 1) {
      const second = b[i + 1];
      if (second === undefined || second < lo || second > hi) return i;
      for (let k = 2; k < n; k++) {
        const x = b[i + k];
        if (x === undefined || x < 0x80 || x > 0xbf) return i;
      }
    }
    i += n;
  }
  return i;
}
