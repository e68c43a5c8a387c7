// A deterministic, seeded dataset of task events: several jobs across tenants, users,
// repositories, services, providers and models, with unpriced tasks, failures and nulls.
// Tests compute their expected totals from these events with plain TypeScript (BigInt for money).
import { createRng } from '@aurea/common';
import { normalizeEvent, uuidv7, validateTaskEvent, type NormalizedTaskEvent, type TaskEventV1 } from '@aurea/events';

export const MODELS = [
  { provider: 'openai', model: 'gpt-4o' },
  { provider: 'openai', model: 'gpt-4o-mini' },
  { provider: 'anthropic', model: 'claude-sonnet-4' },
  { provider: 'gcp.gemini', model: 'gemini-2.5-flash' },
  { provider: 'custom', model: 'in-house-llm' }, // unknown to the price table: cost null
] as const;
export const TENANTS = ['acme', 'globex', null] as const;
export const USERS = ['alice', 'bob', 'carol', null] as const;
export const REPOS = ['web', 'api', "o'brien; DROP TABLE task_events --", null] as const;
export const SERVICES = ['orchestrator', 'agent-runner'] as const;
export const TASKS = ['plan', 'search', 'summarize', 'review'] as const;

export interface SeededEvent extends NormalizedTaskEvent {
  /** Exact cost in nano-USD (null when unpriced): what the test sums. */
  costNanos: bigint | null;
  providedNanos: bigint | null;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

export interface DatasetOptions {
  seed?: number;
  jobs?: number;
  /** First task start; jobs are spread over `spanMs` after it. */
  start?: number;
  spanMs?: number;
  jobPrefix?: string;
}

/** Build events through the real contract (validateTaskEvent), so they are valid v1 events. */
export function makeDataset(o: DatasetOptions = {}): SeededEvent[] {
  const rand = createRng(o.seed ?? 42);
  const r = () => rand.next();
  const start = o.start ?? Date.parse('2026-10-03T00:00:00.000Z');
  const span = o.spanMs ?? 20 * 86_400_000;
  const out: SeededEvent[] = [];
  for (let j = 0; j < (o.jobs ?? 14); j++) {
    const jobId = `${o.jobPrefix ?? 'job'}-${String(j).padStart(3, '0')}`;
    const tenant = pick(r, TENANTS);
    const user = pick(r, USERS);
    const repository = pick(r, REPOS);
    const service = pick(r, SERVICES);
    // By job index (no draw, so the rest of the dataset does not move): staging, production, or none.
    const environment = j % 5 === 4 ? null : j % 3 === 0 ? 'staging' : 'production';
    let t = start + Math.floor(r() * span);
    const n = 3 + Math.floor(r() * 30);
    for (let k = 0; k < n; k++) {
      const m = pick(r, MODELS);
      const latency = 50 + Math.floor(r() * 4000) + (r() < 0.3 ? 0.5 : 0);
      const statusRoll = r();
      const status =
        statusRoll < 0.06 ? 'error' : statusRoll < 0.09 ? 'timeout' : statusRoll < 0.1 ? 'cancelled' : 'ok';
      const costNanos = m.provider === 'custom' ? null : BigInt(1 + Math.floor(r() * 250_000_000)); // up to $0.25
      const providedNanos = r() < 0.25 ? BigInt(Math.floor(r() * 100_000_000)) : null;
      const raw: TaskEventV1 = {
        schema_version: 1,
        source: 'sdk',
        event_id: uuidv7(t),
        started_at: new Date(t).toISOString(),
        ended_at: new Date(t + Math.ceil(latency)).toISOString(),
        job_id: jobId,
        task_id: `${jobId}-t${k}`,
        service,
        environment,
        task_name: pick(r, TASKS),
        operation: 'chat',
        provider: m.provider,
        request_model: m.model,
        response_model: r() < 0.5 ? `${m.model}-2026` : null,
        usage: {
          input_tokens: Math.floor(r() * 5000),
          output_tokens: Math.floor(r() * 1500),
          cache_read_tokens: r() < 0.3 ? Math.floor(r() * 3000) : 0,
          cache_write_tokens: r() < 0.1 ? Math.floor(r() * 1000) : 0,
          reasoning_tokens: r() < 0.2 ? Math.floor(r() * 2000) : 0,
        },
        latency_ms: latency,
        status,
        error_type: status === 'ok' ? null : status === 'timeout' ? 'timeout' : 'provider_error',
        cost_usd: costNanos === null ? null : Number(costNanos) / 1e9,
        provided_cost_usd: providedNanos === null ? null : Number(providedNanos) / 1e9,
        pricing_status: costNanos === null ? 'unknown_model' : 'priced',
        tenant,
        user,
        repository,
        attributes: { attempt: 1 },
      };
      const v = validateTaskEvent(raw);
      if (!v.ok) throw new Error(`dataset event invalid: ${JSON.stringify(v.errors)}`);
      const e = normalizeEvent(raw);
      if (e.cost_usd !== null && e.cost_usd.toFixed(9) !== formatNanos(costNanos!))
        throw new Error('cost does not round-trip');
      out.push({ ...e, costNanos, providedNanos });
      t += Math.ceil(latency) + Math.floor(r() * 2000);
    }
  }
  return out;
}

export function formatNanos(v: bigint): string {
  const s = v.toString().padStart(10, '0');
  return `${s.slice(0, -9)}.${s.slice(-9)}`;
}

/** Linear-interpolation quantile (numpy default / PERCENTILE.INC). */
export function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** The event as a producer would send it (without the test's exact-money bookkeeping). */
export function wire(e: SeededEvent): NormalizedTaskEvent {
  const { costNanos: _c, providedNanos: _p, ...rest } = e;
  return rest;
}
