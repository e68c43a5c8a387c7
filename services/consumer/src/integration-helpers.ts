// Helpers for the consumer's integration tests (real Kafka on the local stack, embedded
// ClickHouse): unique topics, a known stream of events keyed by job_id, and the exact totals
// that stream must produce in task_events and in every rollup.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import type { AureaClickHouse } from '@aurea/clickhouse';
import { makeEvent, type EventSpec } from './testing.js';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const kafka = new Kafka({ brokers: BROKERS, clientId: 'consumer-tests', logLevel: logLevel.NOTHING });

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopics(admin: Admin, topics: { topic: string; partitions: number }[]): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: 1 })),
  });
}

export interface Expected {
  events: number;
  perJob: Map<string, { n: number; nanos: bigint; input: number; output: number }>;
  perDay: Map<string, { n: number; nanos: bigint }>;
}

export function emptyExpected(): Expected {
  return { events: 0, perJob: new Map(), perDay: new Map() };
}

/** A deterministic-looking but varied stream: jobs, costs in nano-dollars, two days, two models. */
export function makeStream(count: number, jobs: number, expected: Expected, seed = 1): string[] {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const spec: EventSpec = {
      jobId: `job-${Math.floor(rnd() * jobs)}`,
      costNanos: Math.floor(rnd() * 5_000_000),
      inputTokens: Math.floor(rnd() * 4000),
      outputTokens: Math.floor(rnd() * 800),
      endedAt: rnd() < 0.5 ? '2026-03-01T10:00:00.000Z' : '2026-03-02T10:00:00.000Z',
      model: rnd() < 0.5 ? 'gpt-4o-mini' : 'claude-haiku',
    };
    out.push(JSON.stringify(makeEvent(spec)));
    add(expected, spec);
  }
  return out;
}

function add(e: Expected, s: EventSpec): void {
  e.events++;
  const j = e.perJob.get(s.jobId) ?? { n: 0, nanos: 0n, input: 0, output: 0 };
  j.n++;
  j.nanos += BigInt(s.costNanos);
  j.input += s.inputTokens;
  j.output += s.outputTokens;
  e.perJob.set(s.jobId, j);
  const key = `${s.endedAt!.slice(0, 10)}|${s.model}`;
  const d = e.perDay.get(key) ?? { n: 0, nanos: 0n };
  d.n++;
  d.nanos += BigInt(s.costNanos);
  e.perDay.set(key, d);
}

/** Produce JSON events keyed by their job_id (what the SDK does). */
export async function produce(topic: string, values: string[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < values.length; i += 2000) {
      await producer.send({
        topic,
        acks: -1,
        messages: values.slice(i, i + 2000).map((v) => {
          const m = /"job_id":"([^"]+)"/.exec(v);
          return { key: m ? m[1] : null, value: v };
        }),
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export function decimalToNanos(s: string): bigint {
  const [int, frac = ''] = s.split('.');
  const neg = int!.startsWith('-');
  const v = BigInt(int!.replace('-', '')) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
  return neg ? -v : v;
}

async function rows<T>(ch: AureaClickHouse, query: string): Promise<T[]> {
  const rs = await ch.client.query({ query, format: 'JSONEachRow' });
  return rs.json<T>();
}

export async function count(ch: AureaClickHouse, table = 'task_events'): Promise<number> {
  const [r] = await rows<{ n: string }>(ch, `SELECT count() AS n FROM ${table}`);
  return Number(r!.n);
}

type JobRow = { job_id: string; n: string; cost: string; i: string; o: string };
type DayRow = { k: string; n: string; cost: string };

/** Everything ClickHouse holds, as the per-job/per-day totals the API and dashboards will read. */
export async function actualTotals(ch: AureaClickHouse) {
  const norm = (r: JobRow) =>
    [r.job_id, { n: Number(r.n), nanos: decimalToNanos(r.cost), input: Number(r.i), output: Number(r.o) }] as const;
  // No FINAL on purpose: a single duplicate row would show.
  const events = await rows<JobRow>(
    ch,
    `SELECT job_id, count() AS n, toString(sum(cost_usd)) AS cost, sum(input_tokens) AS i, sum(output_tokens) AS o FROM task_events GROUP BY job_id`,
  );
  const jobs = await rows<JobRow>(
    ch,
    `SELECT job_id, sum(events) AS n, toString(sum(cost_usd)) AS cost, sum(input_tokens) AS i, sum(output_tokens) AS o FROM job_costs GROUP BY job_id`,
  );
  const days = await rows<DayRow>(
    ch,
    `SELECT concat(toString(day), '|', request_model) AS k, sum(events) AS n, toString(sum(cost_usd)) AS cost FROM daily_costs GROUP BY k`,
  );
  return {
    events: new Map(events.map(norm)),
    jobs: new Map(jobs.map(norm)),
    days: new Map(days.map((r) => [r.k, { n: Number(r.n), nanos: decimalToNanos(r.cost) }] as const)),
    distinctEvents: Number((await rows<{ n: string }>(ch, 'SELECT uniqExact(event_id) AS n FROM task_events'))[0]!.n),
  };
}

export async function waitFor(
  what: string,
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await pred()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}
