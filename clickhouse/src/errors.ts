// What a ClickHouse failure means, for everyone who talks to ClickHouse (docs/clickhouse.md,
// "Errors"):
//  - 'data': the engine refused the values of a block (cannot parse, out of range, …). Not
//    retryable as is: a writer isolates the rows and dead-letters them.
//  - 'unavailable': the engine is down, unreachable, overloaded, timed out, or not set up yet
//    (missing table/database while migrations run). Retry later; a reader answers 503.
//  - 'query': the engine rejected the query itself (syntax, unknown identifier, …): our bug.
//    A reader answers 500; a writer keeps retrying (stalling visibly loses nothing).
import { ClickHouseError } from '@clickhouse/client';

export type ErrorKind = 'data' | 'unavailable' | 'query';

/** Engine error codes that mean "these values are not acceptable". */
const DATA_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  376, // CANNOT_PARSE_UUID
  407, // DECIMAL_OVERFLOW
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

/** Engine error codes that mean "overloaded, going away, or not set up yet". */
const UNAVAILABLE_CODES = new Set([
  60, // UNKNOWN_TABLE (migrations not applied yet)
  81, // UNKNOWN_DATABASE
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  243, // NOT_ENOUGH_SPACE
  252, // TOO_MANY_PARTS
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

export interface ClassifiedError {
  kind: ErrorKind;
  /** Short stable label for logs and metrics: the engine's error name, a socket code, or 'unknown'. */
  type: string;
  code: number | null;
}

/** The engine's numeric code from @clickhouse/client's ClickHouseError, the embedded engine's error, or the message. */
function engineCode(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  if (err instanceof ClickHouseError) return Number(err.code);
  const e = err as { code?: unknown; message?: unknown; cause?: unknown };
  // The embedded engine's errors are ClickHouseErrors of another copy of the client library.
  if (typeof e.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  if (typeof e.message === 'string') {
    const m = /Code: (\d+)\./.exec(e.message);
    if (m) return Number(m[1]);
  }
  return e.cause !== undefined && e.cause !== err ? engineCode(e.cause) : null;
}

export function classifyError(err: unknown): ClassifiedError {
  const code = engineCode(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: unknown; code?: unknown };
  if (code !== null) {
    const type = typeof e.type === 'string' ? e.type : `CH_${code}`;
    const kind = DATA_CODES.has(code) ? 'data' : UNAVAILABLE_CODES.has(code) ? 'unavailable' : 'query';
    return { kind, type, code };
  }
  // No engine code: the request never got an answer (ECONNREFUSED, ECONNRESET, a timeout, …).
  return { kind: 'unavailable', type: typeof e.code === 'string' ? e.code : 'no_answer', code: null };
}
