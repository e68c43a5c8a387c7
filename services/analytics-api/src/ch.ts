// Running named queries: parameters always travel as query_params; a ClickHouse that cannot be
// reached (connection refused, timeout, closed client) becomes UnavailableError → 503, while a
// query the engine rejects stays a 500 (a bug of ours, logged with the query name).
import { ClickHouseError } from '@clickhouse/client';
import type { AureaClickHouse } from '@aurea/clickhouse';
import type { NamedQuery } from '@aurea/clickhouse/queries';
import { UnavailableError } from './errors.js';

/**
 * Engine error codes that mean "overloaded, going away, or not set up yet" rather than "bad
 * query": timeouts, too many queries, network, memory, keeper — and unknown table/database (60,
 * 81: migrations not applied yet).
 */
const TRANSIENT_CODES = new Set([
  '60',
  '81',
  '159',
  '160',
  '202',
  '203',
  '209',
  '210',
  '241',
  '242',
  '394',
  '425',
  '999',
]);

/** The engine's numeric error code, when the error came from the engine (duck-typed: the embedded
 * engine's errors are ClickHouseErrors of another copy of the client library). */
function engineCode(err: unknown): string | undefined {
  if (err instanceof ClickHouseError) return err.code;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^\d+$/.test(code) ? code : undefined;
}

export function isUnavailable(err: unknown): boolean {
  const code = engineCode(err);
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  return true; // no engine error code: the request never got an answer from the engine
}

export async function runQuery<T>(ch: AureaClickHouse, q: NamedQuery, signal?: AbortSignal): Promise<T[]> {
  try {
    const rs = await ch.client.query({
      query: q.sql,
      query_params: q.params,
      format: 'JSONEachRow',
      // Counts arrive as JSON numbers (they stay far below 2^53); decimals keep the client's quoting,
      // so money can never reach JavaScript as a float.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      ...(signal ? { abort_signal: signal } : {}),
    });
    return await rs.json<T>();
  } catch (err) {
    if (isUnavailable(err))
      throw new UnavailableError('clickhouse', `ClickHouse is unavailable (query ${q.name}); retry later`, {
        cause: err,
      });
    throw Object.assign(new Error(`query ${q.name} failed: ${(err as Error).message}`, { cause: err }), {
      query: q.name,
    });
  }
}
