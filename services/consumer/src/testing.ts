// Test helpers shared by the consumer's unit and integration tests: valid task events with
// exact (integer nano-dollar) costs, so expected totals are computed without floats.
import { uuidv7, type TaskEventV1 } from '@aurea/events';

export interface EventSpec {
  jobId: string;
  /** Cost in nano-dollars (integer): exact expected sums. */
  costNanos: number;
  inputTokens: number;
  outputTokens: number;
  endedAt?: string;
  tenant?: string;
  model?: string;
}

export function makeEvent(s: EventSpec): TaskEventV1 {
  const ended = s.endedAt ?? new Date().toISOString();
  const started = new Date(Date.parse(ended) - 1500).toISOString();
  return {
    schema_version: 1,
    event_id: uuidv7(),
    source: 'sdk',
    started_at: started,
    ended_at: ended,
    job_id: s.jobId,
    task_id: `task-${Math.random().toString(36).slice(2, 10)}`,
    service: 'orchestrator',
    task_name: 'summarize',
    operation: 'chat',
    provider: 'openai',
    request_model: s.model ?? 'gpt-4o-mini',
    usage: { input_tokens: s.inputTokens, output_tokens: s.outputTokens },
    latency_ms: 1500,
    status: 'ok',
    cost_usd: s.costNanos / 1e9,
    pricing_status: 'priced',
    price_version: '2026-01-01',
    tenant: s.tenant ?? 'acme',
  };
}

/** Exact decimal string of a nano-dollar integer, as ClickHouse prints Decimal(38, 9). */
export function nanosToDecimal(n: bigint): string {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const s = a.toString().padStart(10, '0');
  return `${neg ? '-' : ''}${s.slice(0, -9)}.${s.slice(-9)}`;
}
