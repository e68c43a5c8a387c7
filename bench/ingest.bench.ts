// Benchmark 3: sustained events/s from Kafka into ClickHouse through the Aurea consumer
// (validation, dead-lettering and exactness on), side by side in one run with
//  (a) the engine's insert ceiling: the same rows, decoded and mapped the same way, inserted in
//      the same cycle sizes and the same one-statement form, no Kafka;
//  (b) ClickHouse's own Kafka table engine (inside the same embedded engine) on the same topic
//      into the same table (JSONAsString + a view that extracts the columns);
//  (c) the consumer on a topic whose partitions alternate between two months message by message
//      (late events around a month boundary): one insert per month per cycle.
// Every path writes task_events only (the rollups are recomputed from it by refreshable views,
// docs/clickhouse.md); tables are truncated between runs; each figure is the median of
// BENCH_INGEST_RUNS runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, insertRows, migrate } from '@aurea/clickhouse';
import { toRow } from '@aurea/clickhouse/rows';
import { countRows, kafkaEngineIngest, truncateAll } from '@aurea/clickhouse/queries';
import { createAdmin, createLogger, createProducer, kafkaConfigFromEnv } from '@aurea/common';
import { decodeTaskEvent } from '@aurea/events';
import { DEFAULT_MAX_CYCLE_MESSAGES, startConsumer } from '@aurea/consumer';
import { benchEvents } from './events.js';
import { medianOf, report, round } from './harness.js';

const N = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 3);
const CYCLE = Number(process.env.BENCH_INGEST_CYCLE ?? DEFAULT_MAX_CYCLE_MESSAGES);
const PARTITIONS = 6;
const kafka = kafkaConfigFromEnv('aurea-bench-ingest');
const run = `${Date.now().toString(36)}`;
const topic = `bench-ingest-${run}`;
const interleavedTopic = `${topic}-months`;
const dlq = `${topic}-dlq`;

const admin = createAdmin(kafka);
await admin.createTopics({ topics: [topic, interleavedTopic], partitions: PARTITIONS, replicas: 1 });
await admin.createTopics({ topics: [dlq], partitions: 1, replicas: 1 });
const messages = benchEvents(N);
const interleaved = benchEvents(N, undefined, { interleaveMonths: true });
const avgBytes = messages.reduce((n, m) => n + m.value.length, 0) / N;
const producer = createProducer(kafka);
for (const [t, ms] of [
  [topic, messages],
  [interleavedTopic, interleaved],
] as const) {
  for (let i = 0; i < N; i += 2000)
    await producer.send({ messages: ms.slice(i, i + 2000).map((m) => ({ topic: t, key: m.key, value: m.value })) });
}
await producer.close();
console.log(`produced ${N} events of ~${avgBytes.toFixed(0)} B to ${topic} and ${interleavedTopic}`);

const dir = mkdtempSync(join(tmpdir(), 'aurea-bench-ingest-'));
const ch = await createClickHouse({ database: 'bench_ingest', dataDir: dir });
await migrate(ch, {});
const truncate = async () => {
  for (const q of truncateAll()) await ch.client.command({ query: q.sql });
};
const count = async () => {
  const rs = await ch.client.query({ query: countRows().sql, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]!.n);
};
const waitCount = async (deadlineMs: number) => {
  while ((await count()) < N) {
    if (Date.now() > deadlineMs) throw new Error(`only ${await count()} of ${N} rows arrived`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

// (a) insert ceiling: the consumer's decode + mapping + one-statement insert, per cycle, no Kafka.
const ceiling = await medianOf(RUNS, async () => {
  await truncate();
  const t0 = performance.now();
  for (let i = 0; i < N; i += CYCLE) {
    const rows = [];
    for (let j = i; j < Math.min(N, i + CYCLE); j++) {
      const d = decodeTaskEvent(Buffer.from(messages[j]!.value));
      if (d.ok) rows.push(toRow(d.event, j % PARTITIONS, j));
    }
    await insertRows(ch, rows, { insert_deduplicate: 1, insert_deduplication_token: `ceiling-${i}` });
  }
  const rate = N / ((performance.now() - t0) / 1000);
  if ((await count()) !== N) throw new Error('ceiling run lost rows');
  return rate;
});
console.log(`insert ceiling: ${ceiling.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);

// (b) the engine's Kafka table engine, into the same table.
const kafkaEngine = await medianOf(RUNS, async (i) => {
  await truncate();
  const t0 = performance.now();
  const kafkaIn = kafkaEngineIngest({
    broker: kafka.brokers[0]!,
    topic,
    group: `bench-kengine-${run}-${i}`,
    consumers: 2,
    flushIntervalMs: 500,
    maxBlockSize: CYCLE,
  });
  for (const q of kafkaIn.create) await ch.client.command({ query: q.sql });
  await waitCount(Date.now() + 300_000);
  const rate = N / ((performance.now() - t0) / 1000);
  for (const q of kafkaIn.drop) await ch.client.command({ query: q.sql });
  return rate;
});
console.log(`kafka engine: ${kafkaEngine.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);

// The Aurea consumer: validation, dead letters, one insert per month per cycle, commit after write.
const logger = createLogger('bench-consumer', 'warn');
const consume = (from: string) => async (i: number) => {
  await truncate();
  const t0 = performance.now();
  const handle = await startConsumer({
    ch,
    kafka: { ...kafka, groupInstanceId: `bench-consumer-${run}-${from}-${i}` },
    groupId: `bench-consumer-${run}-${from}-${i}`,
    topic: from,
    dlqTopic: dlq,
    logger,
    maxCycleMessages: CYCLE,
    fromBeginning: true,
  });
  await waitCount(Date.now() + 300_000);
  const rate = N / ((performance.now() - t0) / 1000);
  const s = handle.stats();
  await handle.stop();
  console.log(`  ${from}: ${rate.toFixed(0)} events/s, ${s.cycles} cycles, ${s.inserts} inserts`);
  return rate;
};
const consumer = await medianOf(RUNS, consume(topic));
console.log(`aurea consumer: ${consumer.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);
const months = await medianOf(RUNS, consume(interleavedTopic));
console.log(`aurea consumer, interleaved months: ${months.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);

await ch.close();
rmSync(dir, { recursive: true, force: true });
await admin.deleteTopics({ topics: [topic, interleavedTopic, dlq] });
await admin.close();

const ratioCeiling = consumer.median / ceiling.median;
const ratioEngine = consumer.median / kafkaEngine.median;
const ratioMonths = months.median / consumer.median;
report({
  results: {
    ingest: {
      eventsPerSec: round(consumer.median, 0),
      insertCeilingEventsPerSec: round(ceiling.median, 0),
      ratioVsInsertCeiling: round(ratioCeiling, 3),
      kafkaEngineEventsPerSec: round(kafkaEngine.median, 0),
      ratioVsKafkaEngine: round(ratioEngine, 3),
      interleavedMonthsEventsPerSec: round(months.median, 0),
      interleavedMonthsRatio: round(ratioMonths, 3),
      eventBytes: round(avgBytes, 0),
      events: N,
    },
  },
  rows: [
    {
      benchmark: 'ingest',
      figure: 'Aurea consumer (Kafka → ClickHouse)',
      value: consumer.median,
      unit: 'events/s',
      target: '≥ 32,000',
      met: consumer.median >= 32_000,
    },
    { benchmark: 'ingest', figure: 'engine insert ceiling (no Kafka)', value: ceiling.median, unit: 'rows/s' },
    { benchmark: 'ingest', figure: 'ratio vs insert ceiling', value: ratioCeiling, unit: '×' },
    { benchmark: 'ingest', figure: 'ClickHouse Kafka table engine', value: kafkaEngine.median, unit: 'rows/s' },
    {
      benchmark: 'ingest',
      figure: 'ratio vs Kafka engine (same table)',
      value: ratioEngine,
      unit: '×',
      target: '≥ 1.0×',
      met: ratioEngine >= 1,
    },
    {
      benchmark: 'ingest',
      figure: 'Aurea consumer, months interleaved in every partition',
      value: months.median,
      unit: 'events/s',
    },
    {
      benchmark: 'ingest',
      figure: 'interleaved months vs in order',
      value: ratioMonths,
      unit: '×',
      target: '≥ 0.8×',
      met: ratioMonths >= 0.8,
    },
  ],
  notes: [
    `${N} events of ~${avgBytes.toFixed(0)} B, ${PARTITIONS} partitions (gzip), cycles of at most ${CYCLE} messages; ` +
      `medians of ${RUNS}; every path writes task_events only (the rollups are derived). Runs: consumer ` +
      `${consumer.runs.map((r) => r.toFixed(0)).join(', ')}; interleaved months ${months.runs.map((r) => r.toFixed(0)).join(', ')}; ` +
      `Kafka engine ${kafkaEngine.runs.map((r) => r.toFixed(0)).join(', ')}.`,
  ],
});
