// Pipeline-shaped data for proving the boards: task events (valid against the v1 contract)
// loaded into ClickHouse the way the consumer writes them, and OTLP points for services other
// than the SDK's. Used by grafana/dashboards.integration.test.ts and scripts/render-dashboards.ts.
// Deterministic (seeded), so pictures and tests are repeatable.
import type { AureaClickHouse } from '@aurea/clickhouse';
import { uuidv7, validateTaskEvent, type NormalizedTaskEvent, type TaskEventV1 } from '@aurea/events';
import { defaultPriceTable } from '@aurea/sdk/pricing';
import { insertRows, refreshRollups, toRow as storedRow, type RowValues } from '@aurea/clickhouse';

/** Mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** Models of the SDK's default price table (gpt-3.5-turbo has a regex-special dot), and one it lacks. */
export const SAMPLE_MODELS = [
  { provider: 'openai', model: 'gpt-4' },
  { provider: 'openai', model: 'gpt-3.5-turbo' },
  { provider: 'anthropic', model: 'claude-3-sonnet' },
  { provider: 'self_hosted', model: 'llama-3-70b-instruct' },
] as const;

export const SAMPLE_TASKS = ['plan', 'retrieve', 'summarize', 'review', 'answer'] as const;

// ---------------------------------------------------------------------------------------------
// Task events → ClickHouse

export interface SampleEventsOptions {
  now: number;
  jobs: number;
  seed: number;
  /** Spread job start times over this many hours before now. */
  hours: number;
  services?: string[];
}

/** Jobs of 3–30 tasks each, run by a few services for a few tenants/users/repositories. */
export function sampleTaskEvents(o: SampleEventsOptions): TaskEventV1[] {
  const r = rng(o.seed);
  const services = o.services ?? ['orchestrator', 'review-bot'];
  const tenants = ['acme', 'globex', 'initech', ''] as const;
  const users = ['ada', 'grace', 'linus', 'margaret', 'ken', ''] as const;
  const repos = ['web', 'billing', 'infra', 'ml-platform', ''] as const;
  const events: TaskEventV1[] = [];
  for (let j = 0; j < o.jobs; j++) {
    const jobStart = o.now - (0.05 + r() * 0.9) * o.hours * 3_600_000;
    const jobId = `job-${(o.seed + j).toString(36)}-${Math.floor(r() * 1e6).toString(36)}`;
    const tenant = pick(r, tenants);
    const user = pick(r, users);
    const repository = pick(r, repos);
    const service = pick(r, services);
    const nTasks = 3 + Math.floor(r() * 28);
    let t = jobStart;
    let parent: string | null = null;
    for (let k = 0; k < nTasks; k++) {
      const m = r() < 0.1 ? SAMPLE_MODELS[3] : pick(r, SAMPLE_MODELS.slice(0, 3));
      const taskName = k === 0 ? 'plan' : pick(r, SAMPLE_TASKS.slice(1));
      const input = 200 + Math.floor(r() * 6000);
      const output = 50 + Math.floor(r() * 1500);
      const cacheRead = r() < 0.4 ? Math.floor(r() * 4000) : 0;
      const reasoning = 0;
      const latencyMs = Math.round(300 + (input + output * 8) * (0.05 + r() * 0.3));
      const roll = r();
      const status = roll < 0.06 ? 'error' : roll < 0.08 ? 'timeout' : 'ok';
      // Priced like the SDK prices at emit time: the default price table, at the task's end.
      const priced = defaultPriceTable.price(m.provider, m.model, { input, output, cacheRead }, t + latencyMs);
      const cost = priced.costUsd;
      const taskId = `t${k}-${Math.floor(r() * 1e9).toString(36)}`;
      const started = t;
      const ended = started + latencyMs;
      const e: TaskEventV1 = {
        schema_version: 1,
        event_id: uuidv7(ended),
        source: 'sdk',
        started_at: new Date(started).toISOString(),
        ended_at: new Date(ended).toISOString(),
        job_id: jobId,
        task_id: taskId,
        parent_task_id: parent,
        service,
        task_name: taskName,
        operation: 'chat',
        provider: m.provider,
        request_model: m.model,
        response_model: m.model,
        usage: {
          input_tokens: input,
          output_tokens: output,
          cache_read_tokens: cacheRead,
          cache_write_tokens: 0,
          reasoning_tokens: reasoning,
        },
        latency_ms: latencyMs,
        status,
        error_type:
          status === 'ok' ? null : status === 'timeout' ? 'timeout' : pick(r, ['rate_limited', 'server_error']),
        cost_usd: cost === null ? null : Math.round(cost * 1e9) / 1e9,
        pricing_status: priced.status,
        price_version: priced.priceVersion,
        tenant: tenant || null,
        user: user || null,
        repository: repository || null,
        attributes: { 'aurea.sample': true },
      };
      events.push(e);
      if (k === 0) parent = taskId;
      t = ended + Math.floor(r() * 2000);
    }
  }
  return events;
}

/** One task_events row, exactly as the consumer writes it (its own mapping). */
export function toRow(e: NormalizedTaskEvent, kafka: { partition: number; offset: number }): RowValues {
  return storedRow(e, kafka.partition, kafka.offset);
}

/**
 * Validate events like the consumer does and insert them; `duplicate` events are inserted a
 * second time (a redelivery), which the boards must not double-count. The rollups are then
 * recomputed, as their refreshable views do every 30 s (0005), so the daily panels see the events.
 */
export async function loadTaskEvents(
  ch: AureaClickHouse,
  events: TaskEventV1[],
  duplicate = 0,
): Promise<NormalizedTaskEvent[]> {
  const normalized = events.map((e, i) => {
    const d = validateTaskEvent(JSON.parse(JSON.stringify(e)));
    if (!d.ok) throw new Error(`sample event ${i} is invalid: ${d.reason} ${JSON.stringify(d.errors)}`);
    return d.event;
  });
  const rows = normalized.map((e, i) => toRow(e, { partition: i % 3, offset: Math.floor(i / 3) }));
  await insertRows(ch, rows);
  if (duplicate > 0) await insertRows(ch, rows.slice(0, duplicate));
  await refreshRollups(ch);
  return normalized;
}

// ---------------------------------------------------------------------------------------------
// OTLP metrics of services other than the SDK's

/**
 * Push one gauge data point over OTLP/HTTP JSON, as another Aurea service would (the consumer
 * reports aurea.consumer.lag this way through its own OTel meter).
 */
export async function pushGauge(
  endpoint: string,
  o: { service: string; name: string; unit: string; value: number; attributes?: Record<string, string>; atMs?: number },
): Promise<void> {
  const body = {
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: o.service } }] },
        scopeMetrics: [
          {
            scope: { name: '@aurea/grafana-proof' },
            metrics: [
              {
                name: o.name,
                unit: o.unit,
                gauge: {
                  dataPoints: [
                    {
                      attributes: Object.entries(o.attributes ?? {}).map(([key, v]) => ({
                        key,
                        value: { stringValue: v },
                      })),
                      timeUnixNano: String(BigInt(Math.round(o.atMs ?? Date.now())) * 1_000_000n),
                      asDouble: o.value,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(`${endpoint}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`OTLP push failed: ${res.status} ${await res.text()}`);
}
