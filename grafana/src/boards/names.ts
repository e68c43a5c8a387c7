// Prometheus names the boards query: metric names from the SDK's spec (services/sdk/src/metrics/
// spec.ts, docs/metrics.md: one definition), label names after Prometheus 3's OTLP translation
// (UnderscoreEscapingWithSuffixes: dots become underscores; service.name becomes `job`,
// deployment.environment.name is promoted to a label).
import { METRICS } from '@aurea/sdk';

/** Prometheus name of every SDK metric, by its key in METRICS (histograms add _bucket/_sum/_count). */
export const M = Object.fromEntries(Object.entries(METRICS).map(([k, v]) => [k, v.prometheus])) as {
  readonly [K in keyof typeof METRICS]: (typeof METRICS)[K]['prometheus'];
};

/** Label names, in one place so a rename in the SDK is a one-line change here. */
export const L = {
  env: 'deployment_environment_name',
  service: 'job',
  provider: 'gen_ai_provider_name',
  model: 'gen_ai_request_model',
  responseModel: 'gen_ai_response_model',
  operation: 'gen_ai_operation_name',
  task: 'aurea_task_name',
  status: 'aurea_task_status',
  tokenType: 'aurea_token_type',
  genAiTokenType: 'gen_ai_token_type',
  errorType: 'error_type',
  stage: 'aurea_stage',
  breaker: 'aurea_circuit_breaker_name',
  breakerFrom: 'aurea_circuit_breaker_from',
  breakerTo: 'aurea_circuit_breaker_to',
  jobStatus: 'aurea_job_status',
  budget: 'aurea_budget_name',
  budgetScope: 'aurea_budget_scope',
  budgetPeriod: 'aurea_budget_period',
  route: 'http_route',
  httpStatus: 'http_response_status_code',
  method: 'http_request_method',
  serviceVersion: 'service_version',
} as const;

/** Series that are not the SDK's: the consumer's lag gauge, OTel's resource series, Prometheus' alerts. */
export const OTHER = {
  consumerLag: 'aurea_consumer_lag',
  targetInfo: 'target_info',
  alerts: 'ALERTS',
} as const;
