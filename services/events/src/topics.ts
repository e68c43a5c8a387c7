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
} as const;
