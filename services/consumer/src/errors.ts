// Retry pacing of the consumer's writes (ClickHouse errors are classified by @aurea/clickhouse).
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
