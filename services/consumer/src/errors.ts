// ClickHouse insert errors sorted by what the consumer should do about them:
//  - 'data': this block's content is refused (a value ClickHouse cannot parse or store). Not
//    retryable as is: the consumer splits the block to find the rows and dead-letters them.
//  - 'retryable': everything else — the server is down, slow, overloaded, read-only, out of
//    space, or a table is missing/being migrated. Retrying later can succeed, and dead-lettering
//    good events because of an outage would lose them, so the consumer backs off, pauses the
//    partitions and waits. Unknown errors land here too: stalling is visible and loses nothing.
export type ErrorClass = 'retryable' | 'data';

/** ClickHouse error codes that mean "these values are not acceptable". */
const DATA_ERROR_CODES = new Set([
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

export interface ClassifiedError {
  kind: ErrorClass;
  /** Short stable label for logs and metrics: a ClickHouse error name, a socket code, or 'unknown'. */
  type: string;
  code: number | null;
}

/** Read the ClickHouse code from @clickhouse/client's ClickHouseError, chdb's error, or the message. */
function clickhouseCode(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; clickhouseCode?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.clickhouseCode === 'number') return e.clickhouseCode;
  if (typeof e.code === 'string' && /^\d+$/.test(e.code)) return Number(e.code);
  if (typeof e.message === 'string') {
    const m = /Code: (\d+)\./.exec(e.message);
    if (m) return Number(m[1]);
  }
  return e.cause !== undefined && e.cause !== err ? clickhouseCode(e.cause) : null;
}

export function classifyError(err: unknown): ClassifiedError {
  const code = clickhouseCode(err);
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    type?: unknown;
    code?: unknown;
    message?: unknown;
  };
  if (code !== null) {
    const type = typeof e.type === 'string' ? e.type : `CH_${code}`;
    return { kind: DATA_ERROR_CODES.has(code) ? 'data' : 'retryable', type, code };
  }
  if (typeof e.code === 'string') return { kind: 'retryable', type: e.code, code: null }; // ECONNREFUSED, ECONNRESET, …
  if (typeof e.message === 'string' && /timeout/i.test(e.message))
    return { kind: 'retryable', type: 'timeout', code: null };
  return { kind: 'retryable', type: 'unknown', code: null };
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
