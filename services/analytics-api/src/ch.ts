// Running named queries: parameters always travel as query_params; a ClickHouse that cannot be
// reached (connection refused, timeout, closed client) becomes UnavailableError → 503, while a
// query the engine rejects stays a 500 (a bug of ours, logged with the query name).
import { ClickHouseError } from '@clickhouse/client';
import type { AureaClickHouse } from '@aurea/clickhouse';
import type { NamedQuery } from '@aurea/clickhouse/queries';
import { UnavailableError } from './errors.js';

/** Server-side error codes that mean "overloaded or going away", not "bad query". */
const TRANSIENT_CODES = new Set(['159', '160', '202', '203', '209', '210', '241', '242', '394', '425', '999']);

export function isUnavailable(err: unknown): boolean {
  if (err instanceof ClickHouseError) return TRANSIENT_CODES.has(err.code);
  return true; // no ClickHouse error code: the request never got an answer from the engine
}

export async function runQuery<T>(ch: AureaClickHouse, q: NamedQuery, signal?: AbortSignal): Promise<T[]> {
  try {
    const rs = await ch.client.query({
      query: q.sql,
      query_params: q.params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0, output_format_json_quote_decimals: 0 },
      ...(signal ? { abort_signal: signal } : {}),
    });
    return await rs.json<T>();
  } catch (err) {
    if (isUnavailable(err)) throw new UnavailableError('clickhouse', `ClickHouse is unavailable (query ${q.name}); retry later`, { cause: err });
    throw Object.assign(new Error(`query ${q.name} failed: ${(err as Error).message}`, { cause: err }), { query: q.name });
  }
}
