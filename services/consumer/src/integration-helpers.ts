// Helpers for the consumer's integration tests (real Kafka on the local stack, embedded
// ClickHouse): unique topics, a known stream of events keyed by job_id, and the exact totals
// that stream must produce — in task_events as readers see it (FINAL) and in the rollups.
import { randomUUID } from 'node:crypto';
import type { CompressionAlgorithmValue } from '@platformatic/kafka';
import { refreshRollups, type AureaClickHouse } from '@aurea/clickhouse';
import {
  createAdmin,
  createBytesProducer,
  createConsumer,
  createProducer,
  kafkaConfigFromEnv,
  type KafkaConfig,
} from '@aurea/common';
import { createRng } from '@aurea/common';
import { makeEvent, type EventSpec } from './testing.js';

export const KAFKA: KafkaConfig = { ...kafkaConfigFromEnv('consumer-tests'), sessionTimeoutMs: 6_000 };
export const BROKERS = KAFKA.brokers;

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function createTopics(
  topics: { topic: string; partitions: number; configs?: Record<string, string> }[],
): Promise<() => Promise<void>> {
  const admin = createAdmin(KAFKA);
  try {
    for (const t of topics)
      await admin.createTopics({
        topics: [t.topic],
        partitions: t.partitions,
        replicas: 1,
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
      });
  } finally {
    await admin.close();
  }
  return async () => {
    const a = createAdmin(KAFKA);
    await a.deleteTopics({ topics: topics.map((t) => t.topic) }).catch(() => undefined);
    await a.close();
  };
}

export interface Totals {
  n: number;
  nanos: bigint;
  input: number;
  output: number;
}
export interface Expected {
  events: number;
  perJob: Map<string, Totals>;
  /** By `<day>|<model>`. */
  perDay: Map<string, { n: number; nanos: bigint }>;
}

export function emptyExpected(): Expected {
  return { events: 0, perJob: new Map(), perDay: new Map() };
}

/** A varied stream: jobs, costs in nano-dollars, two days (of two months when asked), two models. */
export function makeStream(
  count: number,
  jobs: number,
  expected: Expected,
  seed = 1,
  days: readonly string[] = ['2026-03-01', '2026-03-02'],
): string[] {
  const r = createRng(seed, 'consumer-stream');
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const spec: EventSpec = {
      jobId: `job-${r.int(0, jobs - 1)}`,
      costNanos: r.int(0, 4_999_999),
      inputTokens: r.int(0, 3999),
      outputTokens: r.int(0, 799),
      endedAt: `${r.pick(days)}T10:00:00.000Z`,
      model: r.next() < 0.5 ? 'gpt-4o-mini' : 'claude-haiku',
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

const jobOf = (v: string) => /"job_id":"([^"]+)"/.exec(v)?.[1];

/** Produce JSON events keyed by their job_id (what the SDK does), with the given codec. */
export async function produce(topic: string, values: string[], compression?: CompressionAlgorithmValue) {
  const producer = createProducer({ ...KAFKA, ...(compression ? { compression } : {}) });
  try {
    for (let i = 0; i < values.length; i += 2000) {
      await producer.send({
        messages: values.slice(i, i + 2000).map((v) => ({ topic, key: jobOf(v) ?? 'none', value: v })),
      });
    }
  } finally {
    await producer.close();
  }
}

/** Produce raw bytes (any content, e.g. not UTF-8) to one partition, in one batch with the codec. */
export async function produceBytes(
  topic: string,
  values: Buffer[],
  o: { partition?: number; compression?: CompressionAlgorithmValue } = {},
) {
  const producer = createBytesProducer({ ...KAFKA, ...(o.compression ? { compression: o.compression } : {}) });
  try {
    await producer.send({
      messages: values.map((value) => ({ topic, value, partition: o.partition ?? 0, key: Buffer.from('raw') })),
    });
  } finally {
    await producer.close();
  }
}

export interface ReadMessage {
  key: Buffer;
  value: Buffer;
  headers: Map<string, string>;
  partition: number;
  offset: bigint;
}

/** Read `n` messages of a topic from the beginning (e.g. the dead-letter topic). */
export async function readTopic(topic: string, n: number, timeoutMs = 60_000): Promise<ReadMessage[]> {
  const consumer = createConsumer(KAFKA, { groupId: uniqueName('reader'), groupInstanceId: null, maxWaitMs: 100 });
  const out: ReadMessage[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const timer = setTimeout(() => void stream.close(), timeoutMs);
    for await (const m of stream) {
      out.push({ key: m.key, value: m.value, headers: m.headers, partition: m.partition, offset: m.offset });
      if (out.length >= n) break;
    }
    clearTimeout(timer);
  } finally {
    await consumer.close(true);
  }
  return out;
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

/** Rows stored (without FINAL: a row written twice counts twice). */
export async function count(ch: AureaClickHouse, table = 'task_events'): Promise<number> {
  const [r] = await rows<{ n: string }>(ch, `SELECT count() AS n FROM ${table}`);
  return Number(r!.n);
}

/** Events as readers see them (FINAL: one per event id). */
export async function countFinal(ch: AureaClickHouse): Promise<number> {
  const [r] = await rows<{ n: string }>(ch, 'SELECT count() AS n FROM task_events FINAL');
  return Number(r!.n);
}

type JobRow = { job_id: string; n: string; cost: string; i: string; o: string };
type DayRow = { k: string; n: string; cost: string };

/**
 * What ClickHouse holds, as readers get it: per-job and per-day totals from task_events FINAL and
 * from the rollups (refreshed first), and how many rows are stored at all.
 */
export async function actualTotals(ch: AureaClickHouse) {
  const norm = (r: JobRow) =>
    [r.job_id, { n: Number(r.n), nanos: decimalToNanos(r.cost), input: Number(r.i), output: Number(r.o) }] as const;
  const sums = 'toString(sum(ifNull(cost_usd, 0))) AS cost, sum(input_tokens) AS i, sum(output_tokens) AS o';
  const events = await rows<JobRow>(ch, `SELECT job_id, count() AS n, ${sums} FROM task_events FINAL GROUP BY job_id`);
  const eventDays = await rows<DayRow>(
    ch,
    `SELECT concat(toString(toDate(ended_at)), '|', request_model) AS k, count() AS n,
            toString(sum(ifNull(cost_usd, 0))) AS cost FROM task_events FINAL GROUP BY k`,
  );
  await refreshRollups(ch);
  const jobs = await rows<JobRow>(
    ch,
    `SELECT job_id, sum(events) AS n, toString(sum(cost_usd)) AS cost, sum(input_tokens) AS i, sum(output_tokens) AS o
     FROM job_costs GROUP BY job_id`,
  );
  const days = await rows<DayRow>(
    ch,
    `SELECT concat(toString(day), '|', request_model) AS k, sum(events) AS n, toString(sum(cost_usd)) AS cost
     FROM daily_costs GROUP BY k`,
  );
  const day = (r: DayRow) => [r.k, { n: Number(r.n), nanos: decimalToNanos(r.cost) }] as const;
  return {
    events: new Map(events.map(norm)),
    eventDays: new Map(eventDays.map(day)),
    jobs: new Map(jobs.map(norm)),
    days: new Map(days.map(day)),
    stored: await count(ch),
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
