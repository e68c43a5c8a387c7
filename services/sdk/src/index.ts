// @aurea/sdk: per-task LLM cost and latency for orchestrator services.
export {
  init,
  createAurea,
  getAurea,
  monitorTask,
  recordLlmCall,
  Aurea,
  type InitOptions,
  type TaskOptions,
  type TaskContext,
  type LlmCall,
  type CostInfo,
  type QueueStage,
  type CircuitBreaker,
  type BreakerState,
  type Budget,
  type HttpRequestRecord,
  type Stage,
} from './sdk.js';
export { histogramQuantile, type MetricsSummary, type StageSummary, type HistogramSummary } from './metrics/summary.js';
export {
  BudgetExceededError,
  type BudgetOptions,
  type BudgetDecision,
  type BudgetSubject,
  type BudgetLimit,
} from './budget.js';
export {
  BufferedPublisher,
  MemoryPublisher,
  DEFAULT_MAX_BUFFERED_BYTES,
  createKafkaPublisher,
  type EventPublisher,
  type PublishableEvent,
  type DeferredTaskEvent,
  type PublisherStats,
  type FlushResult,
  type Transport,
  type OutgoingMessage,
  type DropReason,
  type KafkaPublisherOptions,
  type BufferedPublisherOptions,
} from './publisher.js';
export { createKafkaTransport, type KafkaTransportOptions } from './kafka/transport.js';
export { partitionForKey } from './kafka/partitioner.js';
export { normalizeUsage, usageFromResult, type Usage, type NormalizedUsage } from './usage.js';
export {
  METRICS,
  ATTRIBUTE_BOUNDS,
  DURATION_BUCKETS,
  TOKEN_BUCKETS,
  HTTP_BUCKETS,
  STAGE_BUCKETS,
  JOB_BUCKETS,
  type MetricSpec,
} from './metrics/spec.js';
export { ID_ATTRIBUTE_KEYS } from './metrics/telemetry.js';
export type { SdkLogger } from './log.js';
export type { PriceTable, PriceTableData, PriceResult } from './pricing/index.js';
