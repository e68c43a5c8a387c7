// Every metric the SDK emits: one table that the code registers from, the Views' attribute
// allow-lists come from, and docs/metrics.md is checked against (spec.test.ts). OpenTelemetry
// names come from @opentelemetry/semantic-conventions (../semconv.ts); aurea.* names are ours.
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_SCHEME,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '../semconv.js';

export type MetricKind = 'Counter' | 'UpDownCounter' | 'Histogram' | 'Gauge';

export interface MetricSpec {
  name: string;
  /** Name after Prometheus 3's OTLP translation (UnderscoreEscapingWithSuffixes). */
  prometheus: string;
  kind: MetricKind;
  unit: string;
  description: string;
  /** The only attributes that may reach the exporter (View allow-list). */
  attributes: readonly string[];
  buckets?: readonly number[];
}

/**
 * Bucket advice of gen_ai.client.operation.duration, .time_to_first_chunk and .time_per_output_chunk
 * (semconv): 0.01 … 81.92 s, doubling.
 */
export const DURATION_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 14 }, (_, i) => Math.round(0.01 * 2 ** i * 100) / 100),
);
/** gen_ai.client.token.usage bucket advice (semconv): 1, 4, 16 … 67108864 (powers of 4). */
export const TOKEN_BUCKETS: readonly number[] = Object.freeze(Array.from({ length: 14 }, (_, i) => 4 ** i));
/**
 * aurea.stage.duration: 1 ms … 10 s (1, 2.5, 5 per decade), for stages that are that fast (a
 * queue wait, a dispatch); an LLM call is timed by gen_ai.client.operation.duration's buckets.
 */
export const STAGE_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
/**
 * aurea.job.duration: a job is a chain of LLM calls, so the operation-duration buckets (0.01 s,
 * doubling) extended to 1310.72 s (~22 min).
 */
export const JOB_BUCKETS: readonly number[] = Object.freeze(
  Array.from({ length: 18 }, (_, i) => Math.round(0.01 * 2 ** i * 100) / 100),
);
/** http.server.request.duration bucket advice (semconv). */
export const HTTP_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

export const A = {
  operation: ATTR_GEN_AI_OPERATION_NAME,
  provider: ATTR_GEN_AI_PROVIDER_NAME,
  requestModel: ATTR_GEN_AI_REQUEST_MODEL,
  responseModel: ATTR_GEN_AI_RESPONSE_MODEL,
  tokenType: ATTR_GEN_AI_TOKEN_TYPE,
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  errorType: ATTR_ERROR_TYPE,
  taskName: 'aurea.task.name',
  taskStatus: 'aurea.task.status',
  aureaTokenType: 'aurea.token.type',
  stage: 'aurea.stage',
  breaker: 'aurea.circuit_breaker.name',
  breakerFrom: 'aurea.circuit_breaker.from',
  breakerTo: 'aurea.circuit_breaker.to',
  jobStatus: 'aurea.job.status',
  budgetName: 'aurea.budget.name',
  budgetScope: 'aurea.budget.scope',
  budgetPeriod: 'aurea.budget.period',
  budgetPolicy: 'aurea.budget.policy',
  dropReason: 'aurea.drop.reason',
  httpMethod: ATTR_HTTP_REQUEST_METHOD,
  httpRoute: ATTR_HTTP_ROUTE,
  httpStatus: ATTR_HTTP_RESPONSE_STATUS_CODE,
  urlScheme: ATTR_URL_SCHEME,
  overflow: 'otel.metric.overflow',
} as const;

/** Bound on each attribute's values (documented in docs/metrics.md). */
export const ATTRIBUTE_BOUNDS: Record<string, string> = {
  [A.operation]: 'semconv operation names the service uses (chat, text_completion, embeddings, …); a handful',
  [A.provider]: 'providers the service calls (openai, anthropic, gcp.gemini, …); a handful',
  [A.requestModel]: 'models the service is configured with; tens',
  [A.responseModel]: 'model versions providers answer with; tens',
  [A.tokenType]: 'input, output',
  [A.serverAddress]: 'hosts of the provider endpoints the service calls (set with serverAddress); a handful',
  [A.serverPort]: 'ports of those endpoints; a handful',
  [A.errorType]: 'exception class names / provider error codes / timeout, cancelled; tens (capped at 128 chars)',
  [A.taskName]: 'task names in the orchestrator code (never ids); tens',
  [A.taskStatus]: 'ok, error, timeout, cancelled, refused',
  [A.aureaTokenType]:
    'input, output, cache_read, cache_write, reasoning, cache_write_1h, input_audio, output_audio, input_image, output_image',
  [A.stage]: 'queue stages declared in code; a handful',
  [A.breaker]: 'circuit breakers declared in code (one per provider/agent); a handful',
  [A.breakerFrom]: 'closed, open, half_open',
  [A.breakerTo]: 'closed, open, half_open',
  [A.jobStatus]: 'ok, error, timeout, cancelled, refused',
  [A.budgetName]: 'budgets configured; tens',
  [A.budgetScope]: 'global, tenant, provider, model, … (configured); a handful',
  [A.budgetPeriod]: 'calendar_month or rolling_<N>d (configured); a handful',
  [A.budgetPolicy]: 'allow, deny',
  [A.dropReason]: 'buffer_full, shutdown, too_large, serialize_error',
  [A.httpMethod]: 'HTTP methods (others mapped to _OTHER)',
  [A.httpRoute]: 'route templates (/v1/jobs/:jobId), never raw paths',
  [A.httpStatus]: 'HTTP status codes',
  [A.urlScheme]: 'http, https',
  [A.overflow]: 'true, only on the overflow series once the series limit is reached',
};

/** The GenAI client metrics' attributes (semconv), error.type only on the duration. */
const GENAI_CLIENT = [A.operation, A.provider, A.requestModel, A.responseModel, A.serverAddress, A.serverPort] as const;

export const METRICS = {
  operationDuration: {
    name: METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
    prometheus: 'gen_ai_client_operation_duration_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'GenAI operation duration.',
    attributes: [...GENAI_CLIENT, A.errorType],
    buckets: DURATION_BUCKETS,
  },
  tokenUsage: {
    name: METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
    prometheus: 'gen_ai_client_token_usage',
    kind: 'Histogram',
    unit: '{token}',
    description:
      'Number of input and output tokens used per operation (input includes cached input, output includes reasoning).',
    attributes: [...GENAI_CLIENT, A.tokenType],
    buckets: TOKEN_BUCKETS,
  },
  timeToFirstChunk: {
    name: METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
    prometheus: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'Time from issuing the request to receiving the first chunk of a streamed response.',
    attributes: GENAI_CLIENT,
    buckets: DURATION_BUCKETS,
  },
  timePerOutputChunk: {
    name: METRIC_GEN_AI_CLIENT_OPERATION_TIME_PER_OUTPUT_CHUNK,
    prometheus: 'gen_ai_client_operation_time_per_output_chunk_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'Time between consecutive chunks of a streamed response, one value per chunk after the first.',
    attributes: GENAI_CLIENT,
    buckets: DURATION_BUCKETS,
  },
  cost: {
    name: 'aurea.llm.cost',
    prometheus: 'aurea_llm_cost_USD_total',
    kind: 'Counter',
    unit: 'USD',
    description:
      'Cost of LLM calls computed from the price table (or the caller’s estimateCost); unpriced calls are not added, see aurea.cost.unpriced.',
    attributes: [A.provider, A.requestModel, A.taskName],
  },
  tokens: {
    name: 'aurea.llm.tokens',
    prometheus: 'aurea_llm_tokens_total',
    kind: 'Counter',
    unit: '{token}',
    description: 'Tokens by non-overlapping usage type.',
    attributes: [A.provider, A.requestModel, A.aureaTokenType],
  },
  tasks: {
    name: 'aurea.tasks',
    prometheus: 'aurea_tasks_total',
    kind: 'Counter',
    unit: '{task}',
    description: 'Finished tasks by status.',
    attributes: [A.taskName, A.taskStatus, A.provider, A.requestModel],
  },
  taskDuration: {
    name: 'aurea.task.duration',
    prometheus: 'aurea_task_duration_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'Wall time of monitored tasks.',
    attributes: [A.taskName, A.taskStatus],
    buckets: DURATION_BUCKETS,
  },
  tasksActive: {
    name: 'aurea.tasks.active',
    prometheus: 'aurea_tasks_active',
    kind: 'UpDownCounter',
    unit: '{task}',
    description: 'Tasks currently running.',
    attributes: [A.taskName],
  },
  jobDuration: {
    name: 'aurea.job.duration',
    prometheus: 'aurea_job_duration_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'End-to-end duration of a job (a request through the service), from admission to its last task.',
    attributes: [A.jobStatus],
    buckets: JOB_BUCKETS,
  },
  errors: {
    name: 'aurea.errors',
    prometheus: 'aurea_errors_total',
    kind: 'Counter',
    unit: '{error}',
    description: 'Failed tasks by error type.',
    attributes: [A.errorType, A.taskName],
  },
  unpriced: {
    name: 'aurea.cost.unpriced',
    prometheus: 'aurea_cost_unpriced_total',
    kind: 'Counter',
    unit: '{call}',
    description: 'LLM calls with no price (unknown model or service tier): cost unknown, not counted as $0.',
    attributes: [A.provider, A.requestModel],
  },
  queueDepth: {
    name: 'aurea.queue.depth',
    prometheus: 'aurea_queue_depth',
    kind: 'Gauge',
    unit: '{item}',
    description: 'Items waiting in a queue stage.',
    attributes: [A.stage],
  },
  queueCapacity: {
    name: 'aurea.queue.capacity',
    prometheus: 'aurea_queue_capacity',
    kind: 'Gauge',
    unit: '{item}',
    description: 'Capacity of a queue stage.',
    attributes: [A.stage],
  },
  queueAdmitted: {
    name: 'aurea.queue.admitted',
    prometheus: 'aurea_queue_admitted_total',
    kind: 'Counter',
    unit: '{request}',
    description: 'Requests admitted into a queue stage.',
    attributes: [A.stage],
  },
  queueShed: {
    name: 'aurea.queue.shed',
    prometheus: 'aurea_queue_shed_total',
    kind: 'Counter',
    unit: '{request}',
    description: 'Requests shed (rejected) by a queue stage under backpressure.',
    attributes: [A.stage],
  },
  stageDuration: {
    name: 'aurea.stage.duration',
    prometheus: 'aurea_stage_duration_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'Time one item spent in a stage (a queue wait, a dispatch); error.type when it failed there.',
    attributes: [A.stage, A.errorType],
    buckets: STAGE_BUCKETS,
  },
  circuitBreaker: {
    name: 'aurea.circuit_breaker.state',
    prometheus: 'aurea_circuit_breaker_state',
    kind: 'Gauge',
    unit: '',
    description: 'Circuit-breaker state: 0 closed, 1 half-open, 2 open.',
    attributes: [A.breaker, A.provider],
  },
  circuitBreakerTransitions: {
    name: 'aurea.circuit_breaker.transitions',
    prometheus: 'aurea_circuit_breaker_transitions_total',
    kind: 'Counter',
    unit: '{transition}',
    description: 'Circuit-breaker state changes, by the state left and the state entered.',
    attributes: [A.breaker, A.provider, A.breakerFrom, A.breakerTo],
  },
  budgetLimit: {
    name: 'aurea.budget.limit',
    prometheus: 'aurea_budget_limit_USD',
    kind: 'Gauge',
    unit: 'USD',
    description: 'Budget limit for the period.',
    attributes: [A.budgetName, A.budgetScope, A.budgetPeriod],
  },
  budgetSpend: {
    name: 'aurea.budget.spend',
    prometheus: 'aurea_budget_spend_USD',
    kind: 'Gauge',
    unit: 'USD',
    description: 'Spend so far in the budget period.',
    attributes: [A.budgetName, A.budgetScope, A.budgetPeriod],
  },
  budgetRemaining: {
    name: 'aurea.budget.remaining',
    prometheus: 'aurea_budget_remaining_USD',
    kind: 'Gauge',
    unit: 'USD',
    description: 'limit − spend (negative when over budget).',
    attributes: [A.budgetName, A.budgetScope, A.budgetPeriod],
  },
  budgetRefused: {
    name: 'aurea.budget.refused',
    prometheus: 'aurea_budget_refused_total',
    kind: 'Counter',
    unit: '{call}',
    description:
      'Calls refused before they were made because a budget’s known spend reached its limit (or spend was unknown and the policy is deny).',
    attributes: [A.budgetName, A.budgetScope, A.budgetPeriod],
  },
  budgetUnknown: {
    name: 'aurea.budget.unknown',
    prometheus: 'aurea_budget_unknown_total',
    kind: 'Counter',
    unit: '{call}',
    description: 'Budget checks made while the budget spend was unknown (analytics API not answering), by policy.',
    attributes: [A.budgetPolicy],
  },
  eventsPublished: {
    name: 'aurea.events.published',
    prometheus: 'aurea_events_published_total',
    kind: 'Counter',
    unit: '{event}',
    description: 'Task events acknowledged by Kafka (acks=all).',
    attributes: [],
  },
  eventsDropped: {
    name: 'aurea.events.dropped',
    prometheus: 'aurea_events_dropped_total',
    kind: 'Counter',
    unit: '{event}',
    description: 'Task events dropped (buffer full, shutdown deadline, too large).',
    attributes: [A.dropReason],
  },
  httpDuration: {
    name: METRIC_HTTP_SERVER_REQUEST_DURATION,
    prometheus: 'http_server_request_duration_seconds',
    kind: 'Histogram',
    unit: 's',
    description: 'Duration of HTTP server requests.',
    attributes: [A.httpMethod, A.httpRoute, A.httpStatus, A.urlScheme, A.errorType],
    buckets: HTTP_BUCKETS,
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricKey = keyof typeof METRICS;

/** Attribute keys that are ids: never metric attributes, only task-event fields. */
export const ID_ATTRIBUTE_PATTERN =
  /^(aurea\.)?(job|task|parent_task|tenant|user|repository|request|session|conversation)([._]id)?$|^(gen_ai\.(request|response|conversation)\.id|enduser\.id|http\.request\.id)$/;
