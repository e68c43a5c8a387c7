// Kafka topic names of the task-event contract. Overridable by each service's config;
// these are the defaults every component and the k8s KafkaTopics agree on.
export const TOPICS = {
  /** Task events v1, JSON, keyed by job_id. */
  taskEvents: 'aurea.task-events.v1',
  /** Events that failed validation; original bytes kept, reason in headers. */
  deadLetter: 'aurea.task-events.dlq.v1',
  /** OTLP protobuf traces from the Collector's Kafka exporter (GenAI spans). */
  otlpSpans: 'aurea.otlp-spans.v1',
} as const;

/** Headers set on dead-lettered messages. */
export const DLQ_HEADERS = {
  reason: 'aurea-dlq-reason',
  errors: 'aurea-dlq-errors',
  sourceTopic: 'aurea-dlq-source-topic',
  sourcePartition: 'aurea-dlq-source-partition',
  sourceOffset: 'aurea-dlq-source-offset',
  failedAt: 'aurea-dlq-failed-at',
  /** Only on a dead letter whose value was cut to fit the topic: the original value's length. */
  valueBytes: 'aurea-dlq-value-bytes',
} as const;

/** Where a dead-lettered message came from. */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: bigint | string;
}

/**
 * Field errors kept on a dead letter: the first 50, each message cut to 500 characters. A dead
 * letter the dead-letter topic refuses as too large keeps the first cutValueBytes of its value.
 */
export const DLQ_LIMITS = { errors: 50, message: 500, field: 256, cutValueBytes: 64 * 1024 } as const;

/**
 * A dead letter the broker refused as too large, made smaller: its value cut to
 * DLQ_LIMITS.cutValueBytes, then to nothing, with the original length in a header. The source
 * coordinates still name the original message, which stays in its topic for its retention.
 * Undefined when nothing is left to cut.
 */
export function cutDeadLetter<M extends { value: Buffer; headers?: Record<string, string> | undefined }>(
  m: M,
): M | undefined {
  if (m.value.length === 0) return undefined;
  const keep = m.value.length > DLQ_LIMITS.cutValueBytes ? DLQ_LIMITS.cutValueBytes : 0;
  const original = m.headers?.[DLQ_HEADERS.valueBytes] ?? String(m.value.length);
  return { ...m, value: m.value.subarray(0, keep), headers: { ...m.headers, [DLQ_HEADERS.valueBytes]: original } };
}

/**
 * The headers of a dead-lettered message (every writer of the dead-letter topic uses this):
 * the reason, the field errors as JSON (bounded by DLQ_LIMITS), the source coordinates and the
 * time. The message's key and value are the original bytes, unchanged.
 */
export function deadLetterHeaders(
  reason: string,
  errors: readonly { field: string; message: string }[],
  source: DeadLetterSource,
  failedAt: Date = new Date(),
): Record<string, string> {
  const bounded = errors.slice(0, DLQ_LIMITS.errors).map((e) => ({
    field: e.field.slice(0, DLQ_LIMITS.field),
    message: e.message.slice(0, DLQ_LIMITS.message),
  }));
  return {
    [DLQ_HEADERS.reason]: reason,
    [DLQ_HEADERS.errors]: JSON.stringify(bounded),
    [DLQ_HEADERS.sourceTopic]: source.topic,
    [DLQ_HEADERS.sourcePartition]: String(source.partition),
    [DLQ_HEADERS.sourceOffset]: String(source.offset),
    [DLQ_HEADERS.failedAt]: failedAt.toISOString(),
  };
}
