export { buildApp, API_VERSION, type AureaHandle, type BuildAppOptions } from './app.js';
export { apiConfigFromEnv, apiEnvSchema, loadApiEnv, type ApiConfig, type ApiEnv } from './config.js';
export { apiKey, parseApiKeys, type ApiKey, type Scope } from './auth.js';
export {
  budgetStatus,
  computeBudgets,
  parseBudgets,
  toGauges,
  type Budget,
  type BudgetGauge,
  type BudgetStatus,
} from './budgets.js';
export { createIngestPublisher, type IngestPublisher, type IngestPublisherOptions } from './publisher.js';
export { jobEventSchema } from './schemas.js';
export type { PartReadiness, PartState, ReadinessChecks } from './routes/health.js';
