// Retrying a write until it succeeds (or the caller gives up), with exponential backoff and full
// jitter from exponential-backoff. Every service writing to a dependency that may be down
// (ClickHouse, Kafka) retries through this, so the pacing is one rule (docs/consumer.md,
// "Failure classes and what each gets").
import { backOff } from 'exponential-backoff';

export interface RetryPolicy {
  /** First delay, milliseconds (doubles each attempt, full jitter). */
  initialMs: number;
  /** Largest delay, milliseconds. */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 200, maxMs: 10_000 };

/**
 * Run fn until it resolves. After each failure `onFailure(err, attempt)` runs (attempt counts
 * from 1); returning false stops retrying and rejects with that failure.
 */
export function retryUntilDone<T>(
  fn: () => Promise<T>,
  onFailure: (err: unknown, attempt: number) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  return backOff(fn, {
    numOfAttempts: Number.MAX_SAFE_INTEGER,
    startingDelay: policy.initialMs,
    maxDelay: policy.maxMs,
    timeMultiple: 2,
    jitter: 'full',
    retry: (err: unknown, next: number) => onFailure(err, next - 1),
  });
}
