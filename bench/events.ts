// Deterministic, realistic task events (v1, ~440 bytes of JSON) for the benchmarks.
import { uuidv7, type TaskEventV1 } from '@aurea/events';

const MODELS: [string, string][] = [
  ['openai', 'gpt-4o'],
  ['openai', 'gpt-4o-mini'],
  ['anthropic', 'claude-sonnet-4'],
  ['anthropic', 'claude-haiku-4'],
  ['gcp.gemini', 'gemini-2.5-pro'],
  ['gcp.gemini', 'gemini-2.5-flash'],
];
const TASKS = ['plan', 'search', 'summarize', 'code', 'review'];
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli'];

export function benchEvent(i: number, jobs: number, nowMs = Date.now()): TaskEventV1 {
  const job = i % jobs;
  const [provider, model] = MODELS[i % MODELS.length]!;
  const latency = 200 + (i % 3000);
  const ended = nowMs - ((i * 7) % 3_600_000);
  const input = 100 + (i % 4000);
  const output = 20 + (i % 800);
  return {
    schema_version: 1,
    event_id: uuidv7(ended),
    source: 'sdk',
    started_at: new Date(ended - latency).toISOString(),
    ended_at: new Date(ended).toISOString(),
    job_id: `bench-job-${job}`,
    task_id: `bench-task-${i}`,
    service: 'orchestrator',
    task_name: TASKS[i % TASKS.length]!,
    operation: 'chat',
    provider,
    request_model: model,
    response_model: model,
    usage: {
      input_tokens: input,
      output_tokens: output,
      cache_read_tokens: i % 500,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
    },
    latency_ms: latency,
    status: i % 50 === 0 ? 'error' : 'ok',
    error_type: i % 50 === 0 ? 'timeout' : null,
    cost_usd: Math.round((input * 0.0000025 + output * 0.00001) * 1e9) / 1e9,
    pricing_status: 'priced',
    price_version: '2026-11-01',
    tenant: TENANTS[job % TENANTS.length]!,
    user: `user-${job % 200}`,
    repository: `repo-${job % 50}`,
  };
}

/**
 * `count` events as Kafka messages keyed by job. `interleaveMonths`: every other event ends in the
 * previous calendar month (late events around a month boundary), so every partition alternates
 * between two months message by message.
 */
export function benchEvents(
  count: number,
  jobs = Math.max(1, Math.floor(count / 20)),
  o: { interleaveMonths?: boolean } = {},
): { key: string; value: string }[] {
  const now = Date.now();
  const monthStart = new Date(now);
  monthStart.setUTCDate(1);
  monthStart.setUTCHours(0, 0, 0, 0);
  const lastMonth = monthStart.getTime() - 3_600_000; // an hour before this month began
  return Array.from({ length: count }, (_, i) => {
    const e = benchEvent(i, jobs, o.interleaveMonths && i % 2 === 1 ? lastMonth : now);
    return { key: e.job_id, value: JSON.stringify(e) };
  });
}
