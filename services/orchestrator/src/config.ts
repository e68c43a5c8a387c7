// Orchestrator configuration from the environment (zod; a bad value fails at boot naming the variable).
import { commonEnv, env, parseConfig } from '@aurea/common';
import type { BudgetOptions } from '@aurea/sdk';
import { z } from 'zod';

export const orchestratorEnv = z.object({
  ...commonEnv,
  ORCH_HOST: z.string().min(1).default('127.0.0.1'),
  ORCH_PORT: env.port(8787),
  AUREA_SERVICE_NAME: z.string().min(1).default('orchestrator'),
  /** Tasks running at once (all providers). */
  ORCH_CONCURRENCY: env.int(32, 1),
  /** Tasks that may wait for a worker; beyond that, new jobs get 429. */
  ORCH_QUEUE_CAPACITY: env.int(2000, 0),
  ORCH_MAX_TASKS_PER_JOB: env.int(100, 1),
  ORCH_TASK_TIMEOUT_MS: env.int(30_000, 1),
  /** Extra monitored attempts for a task whose provider call failed retryably. */
  ORCH_TASK_RETRIES: env.int(0, 0),
  ORCH_RETAIN_JOBS: env.int(10_000, 1),
  ORCH_SHUTDOWN_DEADLINE_MS: env.int(10_000, 100),
  ORCH_CB_FAILURE_THRESHOLD: env.int(5, 1),
  ORCH_CB_COOLDOWN_MS: env.int(10_000, 1),
  /** When set, POST /v1/breakers/:provider/reset needs `Authorization: Bearer <this>`. */
  ORCH_ADMIN_TOKEN: z.string().min(16).optional(),
  /** Simulated provider. */
  SIM_SEED: z.string().min(1).default('aurea'),
  SIM_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.03),
  SIM_TIMEOUT_RATE: z.coerce.number().min(0).max(1).default(0.01),
  SIM_LATENCY_SCALE: z.coerce.number().min(0).max(100).default(1),
  /** OpenAI-compatible HTTP provider (enabled when OPENAI_BASE_URL is set). */
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODELS: env.list([]),
  OPENAI_PROVIDER_NAME: z.string().min(1).default('openai'),
  OPENAI_TIMEOUT_MS: env.int(60_000, 1),
  OPENAI_MAX_RETRIES: env.int(2, 0),
  OPENAI_STREAM: env.bool(true),
  /** SDK wiring. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().default('http://127.0.0.1:4318'),
  AUREA_OTLP_ENABLED: env.bool(true),
  AUREA_METRICS_EXPORT_INTERVAL_MS: env.int(5_000, 100),
  AUREA_KAFKA_ENABLED: env.bool(true),
  AUREA_KAFKA_TOPIC: z.string().min(1).optional(),
  AUREA_PRICE_TABLE: z.string().min(1).optional(),
  /**
   * Budgets that refuse tasks (docs/orchestrator.md, "Budgets"): the analytics API whose
   * GET /v1/budgets the SDK reads. Unset: no budget is enforced.
   */
  AUREA_BUDGETS_URL: z.url().optional(),
  /** A key with the `read` scope for that API. */
  AUREA_BUDGETS_API_KEY: z.string().min(1).optional(),
  AUREA_BUDGETS_REFRESH_MS: env.int(30_000, 100),
  AUREA_BUDGETS_TIMEOUT_MS: env.int(2_000, 10),
  /** Older figures count as unknown; default 3 × AUREA_BUDGETS_REFRESH_MS. */
  AUREA_BUDGETS_STALE_AFTER_MS: z.coerce.number().int().min(100).optional(),
  /** What happens while the spend is unknown (API down, no answer yet): run the task, or refuse it. */
  AUREA_BUDGETS_WHEN_UNKNOWN: z.enum(['allow', 'deny']).default('allow'),
  /** Budget names that refuse tasks (comma-separated); empty: every budget the API serves. */
  AUREA_BUDGETS_ENFORCE: env.list([]),
});

export type OrchestratorConfig = z.infer<typeof orchestratorEnv>;

/** The SDK's budget options from the configuration, or undefined when no budgets URL is set. */
export function budgetOptions(c: OrchestratorConfig): BudgetOptions | undefined {
  if (c.AUREA_BUDGETS_URL === undefined) return undefined;
  return {
    url: c.AUREA_BUDGETS_URL,
    ...(c.AUREA_BUDGETS_API_KEY !== undefined ? { apiKey: c.AUREA_BUDGETS_API_KEY } : {}),
    refreshMs: c.AUREA_BUDGETS_REFRESH_MS,
    timeoutMs: c.AUREA_BUDGETS_TIMEOUT_MS,
    ...(c.AUREA_BUDGETS_STALE_AFTER_MS !== undefined ? { staleAfterMs: c.AUREA_BUDGETS_STALE_AFTER_MS } : {}),
    whenUnknown: c.AUREA_BUDGETS_WHEN_UNKNOWN,
    ...(c.AUREA_BUDGETS_ENFORCE.length > 0 ? { enforce: c.AUREA_BUDGETS_ENFORCE } : {}),
  };
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): OrchestratorConfig {
  const cfg = parseConfig(orchestratorEnv, source);
  if (cfg.OPENAI_BASE_URL && cfg.OPENAI_MODELS.length === 0) {
    throw new Error(
      'invalid configuration:\n  OPENAI_MODELS: list the models to send to OPENAI_BASE_URL (comma-separated)',
    );
  }
  return cfg;
}
