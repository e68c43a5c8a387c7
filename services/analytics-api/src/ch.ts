// Running named queries: parameters always travel as query_params; a ClickHouse that cannot be
// reached (connection refused, timeout, closed client) becomes UnavailableError → 503, while a
// query the engine rejects stays a 500 (a bug of ours, logged with the query name).
import { classifyError, type AureaClickHouse } from '@aurea/clickhouse';
import type { NamedQuery } from '@aurea/clickhouse/queries';
import { UnavailableError } from './errors.js';

/** A failure of ClickHouse itself (down, overloaded, not migrated yet): 503; anything else is a 500. */
export const isUnavailable = (err: unknown): boolean => classifyError(err).kind === 'unavailable';

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
