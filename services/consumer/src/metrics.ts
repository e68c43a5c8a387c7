// The consumer's own metrics, through the OpenTelemetry API (names in docs/metrics.md and
// docs/consumer.md). With no meter given and no SDK registered, they are no-ops.
import { metrics, type Meter } from '@opentelemetry/api';
import type { DlqReason } from './plan.js';

export type Outcome = 'inserted' | 'dead_lettered' | 'skipped_duplicate';

export class ConsumerMetrics {
  private readonly events;
  private readonly batchSize;
  private readonly insertDuration;
  private readonly lag;
  private readonly insertErrors;

  constructor(meter: Meter = metrics.getMeter('aurea-consumer')) {
    this.events = meter.createCounter('aurea.consumer.events', {
      unit: '{event}',
      description: 'Task events handled by the consumer, by outcome',
    });
    this.batchSize = meter.createHistogram('aurea.consumer.batch.size', {
      unit: '{event}',
      description: 'Rows per ClickHouse insert',
      advice: { explicitBucketBoundaries: [1, 10, 100, 500, 1000, 2000, 5000, 10000, 20000, 50000] },
    });
    this.insertDuration = meter.createHistogram('aurea.consumer.insert.duration', {
      unit: 's',
      description: 'Duration of successful ClickHouse inserts',
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    });
    this.lag = meter.createGauge('aurea.consumer.lag', {
      unit: '{message}',
      description: 'Messages behind the partition high watermark',
    });
    this.insertErrors = meter.createCounter('aurea.consumer.insert.errors', {
      unit: '{error}',
      description: 'Failed ClickHouse insert attempts',
    });
  }

  counted(outcome: Outcome, n: number, reason?: DlqReason): void {
    if (n > 0)
      this.events.add(
        n,
        reason ? { 'aurea.outcome': outcome, 'aurea.dlq.reason': reason } : { 'aurea.outcome': outcome },
      );
  }

  inserted(rows: number, seconds: number): void {
    this.batchSize.record(rows);
    this.insertDuration.record(seconds);
    this.counted('inserted', rows);
  }

  insertFailed(errorType: string, retryable: boolean): void {
    this.insertErrors.add(1, { 'error.type': errorType, 'aurea.retryable': retryable });
  }

  setLag(partition: number, lag: number): void {
    this.lag.record(lag, { 'messaging.destination.partition.id': String(partition) });
  }
}
