// Repricing SQL (docs/clickhouse.md, "Repricing storage"; docs/pricing.md, "Repricing"). The price
// rules stay in the pricing module: the caller turns them into RATE ROWS — for each (provider,
// model, tenant, service tier) and each time from which its price holds, the rates of every token
// type per context tier, a multiplier and the provenance — and these builders apply them to the
// stored events in one pass of exact integer arithmetic (femto-dollars, Int256), the same
// arithmetic the pricing module uses (services/sdk/src/pricing/decimal.ts): tokens × rate, × num /
// den, rounded half up to nano-dollars once. A changed event is inserted again with
// price_revision + 1, so it wins over every copy of the original under FINAL and in merges.
import { TOKEN_TYPES, tokenField } from '@aurea/events';
import { chTime } from './inputs.js';
import type { NamedQuery } from './queries.js';
import { EVENTS_TABLE, ROW_COLUMNS } from './rows.js';

/** Which events to reprice: those that ended in [from, to), optionally one tenant/provider/model. */
export interface RepriceRange {
  from: string;
  to: string;
  tenant?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
}

/** The price of one key from `fromMs` on (until the next row of the same key). */
export interface RateRow {
  provider: string;
  request_model: string;
  /** '' = no tenant recorded. */
  tenant: string;
  /** '' = standard. */
  service_tier: string;
  fromMs: number;
  /** 0: no price applies (the events become unknown_model, cost NULL). */
  priced: 0 | 1;
  /** Context tiers: tier k applies when input tokens exceed tierStarts[k] (tierStarts[0] = 0). */
  tierStarts: number[];
  /** rates[k][i]: nano-dollars per 1M tokens of TOKEN_TYPES[i] in tier k; -1 = no price. */
  rates: number[][];
  multNum: bigint;
  multDen: bigint;
  priceVersion: string;
  priceSource: string;
}

/** Pricing statuses repricing recomputes; `custom` (the caller's estimateCost) and `not_applicable` stay. */
export const REPRICED_STATUSES = ['priced', 'unknown_model'] as const;

/** Token types that count towards the input size a context tier is chosen by (the pricing module's). */
export const TIER_INPUT_TYPES = [
  'input',
  'cache_read',
  'cache_write',
  'cache_write_1h',
  'input_audio',
  'input_image',
] as const;

function rangeConditions(r: RepriceRange, params: Record<string, unknown>): string[] {
  params.from = chTime(r.from);
  params.to = chTime(r.to);
  const c = [
    "ended_at >= {from:DateTime64(3, 'UTC')}",
    "ended_at < {to:DateTime64(3, 'UTC')}",
    `pricing_status IN (${REPRICED_STATUSES.map((s) => `'${s}'`).join(', ')})`,
  ];
  for (const [k, col] of [
    ['tenant', 'tenant'],
    ['provider', 'provider'],
    ['model', 'request_model'],
  ] as const) {
    if (r[k] !== undefined) {
      params[k] = r[k];
      c.push(`${col} = {${k}:String}`);
    }
  }
  return c;
}

/** The distinct price keys in the range, with the span of their start times. */
export function repriceKeys(r: RepriceRange): NamedQuery {
  const params: Record<string, unknown> = {};
  return {
    name: 'reprice_keys',
    sql: `SELECT provider, request_model, tenant, service_tier,
  toUnixTimestamp64Milli(min(started_at)) AS min_started_ms,
  toUnixTimestamp64Milli(max(started_at)) AS max_started_ms,
  count() AS events
FROM ${EVENTS_TABLE} FINAL
WHERE ${rangeConditions(r, params).join(' AND ')}
GROUP BY provider, request_model, tenant, service_tier`,
    params,
  };
}

const RATE_STRUCTURE = [
  'provider String',
  'request_model String',
  'tenant String',
  'service_tier String',
  'from_ms Int64',
  'priced UInt8',
  'tier_starts Array(UInt64)',
  ...TOKEN_TYPES.map((t) => `r_${t} Array(Int64)`),
  'mult_num UInt256',
  'mult_den UInt256',
  'price_version String',
  'price_source String',
].join(', ');

/** Rate rows as the JSONEachRow text the builders read (a String parameter). */
export function rateRowsText(rows: readonly RateRow[]): string {
  return rows
    .map((x) =>
      JSON.stringify({
        provider: x.provider,
        request_model: x.request_model,
        tenant: x.tenant,
        service_tier: x.service_tier,
        from_ms: x.fromMs,
        priced: x.priced,
        tier_starts: x.tierStarts,
        ...Object.fromEntries(TOKEN_TYPES.map((t, i) => [`r_${t}`, x.rates.map((tier) => tier[i]!)])),
        mult_num: x.multNum.toString(),
        mult_den: x.multDen.toString(),
        price_version: x.priceVersion,
        price_source: x.priceSource,
      }),
    )
    .join('\n');
}

/**
 * Every event of the range with its repriced figures (new_cost, new_status, new_version,
 * new_source) and whether its cost, status or price source differ from the stored ones (changed;
 * an event priced the same way keeps its stored price_version).
 */
function repricedEvents(r: RepriceRange, rates: readonly RateRow[], params: Record<string, unknown>): string {
  params.rates = rateRowsText(rates);
  const input = TIER_INPUT_TYPES.map((t) => `e.${tokenField(t)}`).join(' + ');
  // Each rate once per row (the tier index k is computed once); the femto-dollar sum in Int128
  // (tokens ≤ LIMITS.tokens < 2^40, rates < 2^63: each product < 2^103, ten of them < 2^107),
  // then one Int256 product with the multiplier's numerator and one rounding division.
  const rate = (t: string) => `r.r_${t}[k]`;
  const missing = TOKEN_TYPES.map((t) => `(e.${tokenField(t)} > 0 AND ${rate(t)} < 0)`).join(' OR ');
  const femto = TOKEN_TYPES.map((t) => `toInt128(e.${tokenField(t)}) * ${rate(t)}`).join(' + ');
  return `SELECT *,
  NOT (isNull(cost_usd) AND isNull(new_cost)) AND (isNull(cost_usd) != isNull(new_cost) OR ifNull(cost_usd != new_cost, 0))
    OR pricing_status != new_status OR price_source != new_source AS changed
FROM (
  SELECT *,
    if(ok, CAST(toDecimal128(intDiv(x, den) + if(x % den * 2 >= den, 1, 0), 9) / 1000000000 AS Nullable(Decimal(18, 9))),
      NULL) AS new_cost,
    if(ok, 'priced', 'unknown_model') AS new_status,
    if(ok, rsource, '') AS new_source
  FROM (
    SELECT e.*, r.price_version AS new_version, r.price_source AS rsource,
      greatest(1, arrayCount(s -> s < (${input}), r.tier_starts)) AS k,
      r.priced = 1 AND NOT (${missing}) AS ok,
      toInt256(${femto}) * toInt256(r.mult_num) AS x,
      toInt256(r.mult_den) * 1000000 AS den
    FROM (
      SELECT *, toUnixTimestamp64Milli(started_at) AS started_ms
      FROM ${EVENTS_TABLE} FINAL WHERE ${rangeConditions(r, params).join(' AND ')}
    ) AS e
    ASOF LEFT JOIN (SELECT * FROM format(JSONEachRow, '${RATE_STRUCTURE}', {rates:String})) AS r
      ON e.provider = r.provider AND e.request_model = r.request_model AND e.tenant = r.tenant
      AND e.service_tier = r.service_tier AND e.started_ms >= r.from_ms
  )
)`;
}

/** What a repricing would change: events scanned and changed, their old and new totals (decimal text). */
export function repricePreview(r: RepriceRange, rates: readonly RateRow[]): NamedQuery {
  const params: Record<string, unknown> = {};
  return {
    name: 'reprice_preview',
    sql: `SELECT count() AS events_scanned, countIf(changed) AS events_changed,
  toDecimalString(sumIf(ifNull(cost_usd, toDecimal64(0, 9)), changed), 9) AS old_total_usd,
  toDecimalString(sumIf(ifNull(new_cost, toDecimal64(0, 9)), changed), 9) AS new_total_usd,
  countIf(changed AND isNull(new_cost)) AS unpriced_after
FROM (${repricedEvents(r, rates, params)})`,
    params,
  };
}

/** Columns written by a repricing insert: the row's columns plus the storage-only ones. */
export const REPRICE_COLUMNS: readonly string[] = [
  ...ROW_COLUMNS,
  'inserted_at',
  'price_revision',
  'original_cost_usd',
  'original_pricing_status',
  'original_price_version',
  'original_price_source',
  'repriced_at',
];
const REPLACED: Record<string, string> = {
  cost_usd: 'new_cost',
  pricing_status: 'new_status',
  price_version: 'new_version',
  price_source: 'new_source',
  inserted_at: 'now64(3)',
  price_revision: 'price_revision + 1',
  repriced_at: 'now64(3)',
};

/** Insert the changed events with their new figures as revision + 1 (originals kept in original_*). */
export function repriceInsert(r: RepriceRange, rates: readonly RateRow[], runId: string): NamedQuery {
  const params: Record<string, unknown> = {};
  const select = REPRICE_COLUMNS.map((c) => (REPLACED[c] ? `${REPLACED[c]} AS ${c}` : c));
  return {
    name: 'reprice_insert',
    sql: `INSERT INTO ${EVENTS_TABLE} (${REPRICE_COLUMNS.join(', ')})
SETTINGS insert_deduplication_token = '${runId.replace(/[^0-9a-zA-Z:_-]/g, '')}', async_insert = 0
SELECT ${select.join(', ')}
FROM (${repricedEvents(r, rates, params)})
WHERE changed`,
    params,
  };
}

/** Stored and original cost of events (reads after a repricing: what changed, what it was). */
export function repriceHistory(jobId: string): NamedQuery {
  return {
    name: 'reprice_history',
    sql: `SELECT toString(event_id) AS event_id, price_revision,
  if(cost_usd IS NULL, NULL, toDecimalString(cost_usd, 9)) AS cost_usd,
  if(original_cost_usd IS NULL, NULL, toDecimalString(original_cost_usd, 9)) AS original_cost_usd,
  price_version, original_price_version, price_source, original_price_source
FROM ${EVENTS_TABLE} FINAL
WHERE job_id = {job:String}
ORDER BY started_at, event_id`,
    params: { job: jobId },
  };
}
