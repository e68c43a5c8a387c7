// The task_events row, derived from the task-event model (@aurea/events FIELDS): each field's
// StoreKind gives its column(s), type, write conversion and read expression. Nothing here names a
// field of the event: a field added to the model appears in the row, the insert, the read and the
// drift check (rows.integration.test.ts) by itself; only its migration is written by hand.
// docs/clickhouse.md, "Columns from the model".
import {
  FIELDS,
  LIMITS,
  TOKEN_TYPES,
  tokenField,
  type FieldSpec,
  type NormalizedTaskEvent,
  type StoreKind,
} from '@aurea/events';

export const EVENTS_TABLE = 'task_events';
/** Scale of every money column and of money on the wire (decimal strings with 9 decimals). */
export const MONEY_SCALE = 9;

const BASE_TYPE: Record<Exclude<StoreKind, 'tokens'>, string> = {
  uuid: 'UUID',
  version: 'UInt8',
  time: "DateTime64(3, 'UTC')",
  text: 'String',
  label: 'LowCardinality(String)',
  float: 'Float64',
  money: `Decimal(18, ${MONEY_SCALE})`,
  map: 'Map(String, String)',
};
/** Kinds stored as strings keep "none" as '' (no Nullable); the others as NULL. */
const STRING_KINDS = new Set<StoreKind>(['text', 'label']);

export interface EventColumn {
  /** Column name (the field's name; `<type>_tokens` for token counts). */
  name: string;
  /** ClickHouse type as system.columns prints it. */
  type: string;
  /** The model field it comes from. */
  field: string;
  kind: StoreKind;
  nullable: boolean;
}

/** The columns a set of model fields is stored in, in model order. */
export function eventColumns(fields: Record<string, FieldSpec> = FIELDS): EventColumn[] {
  const out: EventColumn[] = [];
  for (const [field, f] of Object.entries(fields)) {
    if (f.store === 'tokens') {
      for (const t of TOKEN_TYPES)
        out.push({ name: tokenField(t), type: 'UInt64', field, kind: 'tokens', nullable: false });
      continue;
    }
    const base = BASE_TYPE[f.store];
    const type = f.nullable && !STRING_KINDS.has(f.store) ? `Nullable(${base})` : base;
    out.push({ name: field, type, field, kind: f.store, nullable: f.nullable });
  }
  return out;
}

/** Columns only storage has: where the consumer read the row (docs/consumer.md). */
export const KAFKA_COLUMNS = [
  { name: 'kafka_partition', type: 'Int32' },
  { name: 'kafka_offset', type: 'Int64' },
] as const;
/**
 * Columns the table computes itself (DEFAULT/ALIAS expressions), never written by a client; the
 * price_revision / original_* / repriced_at columns are written only by repricing
 * (clickhouse/src/reprice.ts, docs/clickhouse.md "Repricing storage").
 */
export const COMPUTED_COLUMNS = [
  'total_tokens',
  'inserted_at',
  'price_revision',
  'original_cost_usd',
  'original_pricing_status',
  'original_price_version',
  'original_price_source',
  'repriced_at',
] as const;

export const EVENT_COLUMNS = eventColumns();

/** Column order of every insert into task_events for a set of model fields. */
export const rowColumns = (columns: readonly EventColumn[]): string[] => [
  ...columns.map((c) => c.name),
  ...KAFKA_COLUMNS.map((c) => c.name),
];
/** Column order of every insert into task_events (JSONCompactEachRow: one JSON array per row). */
export const ROW_COLUMNS: readonly string[] = rowColumns(EVENT_COLUMNS);

export type RowValue = string | number | null | Record<string, string>;
export type RowValues = RowValue[];

/**
 * A JSON number as the decimal text of its shortest round-trip form, rounded half-up to
 * MONEY_SCALE decimals on the digits (never through another float operation). The shortest form
 * is what the producer wrote for any number with at most 15–17 significant digits, so
 * 999999999.999999 is stored as 999999999.999999, not 999999999.999999046.
 */
export function moneyText(n: number | null): string | null {
  if (n === null) return null;
  if (!Number.isFinite(n) || n < 0 || n >= LIMITS.usdExclusiveMax)
    throw new RangeError(`not a storable USD amount: ${n}`);
  const m = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!m) throw new RangeError(`not a storable USD amount: ${n}`);
  const digits = `${m[1]}${m[2] ?? ''}`;
  // value = digits × 10^(exp − decimals)
  const shift = Number(m[3] ?? 0) - (m[2]?.length ?? 0) + MONEY_SCALE;
  let scaled: bigint;
  if (shift >= 0) scaled = BigInt(digits) * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    const q = BigInt(digits) / div;
    scaled = (BigInt(digits) % div) * 2n >= div ? q + 1n : q;
  }
  const s = scaled.toString().padStart(MONEY_SCALE + 1, '0');
  const whole = s.slice(0, -MONEY_SCALE);
  const frac = s.slice(-MONEY_SCALE).replace(/0+$/, '');
  return frac === '' ? whole : `${whole}.${frac}`;
}

type Writer = (v: unknown) => RowValue;
const WRITE: Record<StoreKind, Writer> = {
  uuid: (v) => v as string,
  version: (v) => v as number,
  time: (v) => v as string,
  text: (v) => (v as string | null) ?? '',
  label: (v) => (v as string | null) ?? '',
  float: (v) => v as number | null,
  money: (v) => moneyText(v as number | null),
  map: (v) => {
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = String(x);
    return out;
  },
  tokens: (v) => v as number,
};
/** The row mapping of a set of model fields: one JSON array per event, in rowColumns order. */
export function rowWriter(columns: readonly EventColumn[]) {
  const writers = columns.map((c) => ({
    field: c.field,
    token: c.kind === 'tokens' ? c.name : undefined,
    write: WRITE[c.kind],
  }));
  const width = columns.length + KAFKA_COLUMNS.length;
  return (e: Record<string, unknown>, partition: number, offset: number): RowValues => {
    const out: RowValues = new Array<RowValue>(width);
    let i = 0;
    for (const w of writers) {
      const v = e[w.field];
      out[i++] = w.write(w.token === undefined ? v : (v as Record<string, unknown>)[w.token]);
    }
    out[i++] = partition;
    out[i] = offset;
    return out;
  };
}
const writeRow = rowWriter(EVENT_COLUMNS);

/** One event as the JSON array of an insert, in ROW_COLUMNS order. */
export const toRow = (e: NormalizedTaskEvent, partition: number, offset: number): RowValues =>
  writeRow(e, partition, offset);

/** A row as an object keyed by column (logs, tests). */
export const rowObject = (row: RowValues): Record<string, RowValue> =>
  Object.fromEntries(ROW_COLUMNS.map((c, i) => [c, row[i]!]));

const column = (name: string) => ROW_COLUMNS.indexOf(name);
const ENDED_AT = column('ended_at');
const KAFKA_OFFSET = column('kafka_offset');
/** toYYYYMM(ended_at) in UTC, as the table partitions it. */
export function monthOfRow(row: RowValues): number {
  const d = new Date(row[ENDED_AT] as string);
  return d.getUTCFullYear() * 100 + d.getUTCMonth() + 1;
}
export const offsetOfRow = (row: RowValues): number => row[KAFKA_OFFSET] as number;

// ---- reading events back ------------------------------------------------------------------------

/** How converted values leave the engine (a query's Inputs render them; these are the API's). */
export interface ReadRenderers {
  time(expr: string): string;
  moneyOrNull(expr: string): string;
}
export const API_RENDERERS: ReadRenderers = {
  time: (c) => `toString(${c})`,
  moneyOrNull: (c) => `if(${c} IS NULL, NULL, toDecimalString(${c}, ${MONEY_SCALE}))`,
};

/** Read expression per kind; the alias differs from the column where the value is converted. */
const READ: Partial<Record<StoreKind, (c: string, r: ReadRenderers) => string>> = {
  uuid: (c) => `toString(${c})`,
  time: (c, r) => r.time(c),
  money: (c, r) => r.moneyOrNull(c),
};
const readAlias = (c: EventColumn) => (READ[c.kind] ? `${c.name}_s` : c.name);

/** The SELECT list that reads every column of a set of model fields back (fromStoredRow decodes it). */
export const readColumns = (columns: readonly EventColumn[], r: ReadRenderers = API_RENDERERS): string =>
  columns
    .map((c) => {
      const f = READ[c.kind];
      return f ? `${f(c.name, r)} AS ${readAlias(c)}` : c.name;
    })
    .join(', ');
export const EVENT_READ_COLUMNS = readColumns(EVENT_COLUMNS);

/** A stored event as read back: money as decimal strings, times as RFC 3339, '' as null. */
export type StoredEvent = {
  [K in keyof NormalizedTaskEvent]: K extends 'cost_usd' | 'provided_cost_usd'
    ? string | null
    : K extends 'attributes'
      ? Record<string, string>
      : NormalizedTaskEvent[K];
};

/** A DateTime64 value as the engine prints it ('2026-11-23 10:00:00.000') → RFC 3339 UTC. */
export function isoTime(v: string): string {
  return `${v.replace(' ', 'T')}${v.includes('.') ? '' : '.000'}Z`;
}

/** A row read with EVENT_READ_COLUMNS → the stored event. */
export function fromStoredRow(row: Record<string, unknown>, columns = EVENT_COLUMNS): StoredEvent {
  const out: Record<string, unknown> = {};
  for (const c of columns) {
    const v = row[readAlias(c)];
    if (c.kind === 'tokens') {
      ((out[c.field] ??= {}) as Record<string, number>)[c.name] = Number(v);
    } else if (c.kind === 'time') out[c.field] = isoTime(v as string);
    else if (c.kind === 'version' || c.kind === 'float') out[c.field] = v === null ? null : Number(v);
    else if (STRING_KINDS.has(c.kind) && c.nullable) out[c.field] = v === '' ? null : v;
    else out[c.field] = v;
  }
  return out as StoredEvent;
}
