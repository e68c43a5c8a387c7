// Benchmark 3: sustained events/s from Kafka into ClickHouse through the Aurea consumer
// (validation, dead-lettering and exactness on), side by side in one run with
//  (a) the engine's insert ceiling: the same rows, decoded and mapped the same way, inserted
//      with the same batch size and format, no Kafka;
//  (b) ClickHouse's own Kafka table engine (inside the same embedded engine) on the same topic
//      into the same table (JSONAsString + an MV that extracts the same columns).
// All three write to the same task_events table with its rollup views; tables are truncated
// between runs; each figure is the median of BENCH_INGEST_RUNS runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createClickHouse, migrate } from '@aurea/clickhouse';
import { createLogger } from '@aurea/common';
import { decodeTaskEvent } from '@aurea/events';
import { startConsumer } from '@aurea/consumer';
import { ROW_COLUMNS, rowObject, toRow } from '@aurea/clickhouse/rows';
import { countRows, kafkaEngineIngest, TABLES, truncateAll } from '@aurea/clickhouse/queries';
import { benchEvents } from './events.js';
import { medianOf, report, round } from './harness.js';

const N = Number(process.env.BENCH_INGEST_EVENTS ?? 200_000);
const RUNS = Number(process.env.BENCH_INGEST_RUNS ?? 3);
const BATCH = Number(process.env.BENCH_INGEST_BATCH ?? 20_000);
const PARTITIONS = 6;
const brokers = [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`];
const run = `${Date.now().toString(36)}`;
const topic = `bench-ingest-${run}`;

const kafka = new Kafka({ clientId: 'aurea-bench', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [
    { topic, numPartitions: PARTITIONS, replicationFactor: 1 },
    { topic: `${topic}-dlq`, numPartitions: 1, replicationFactor: 1 },
  ],
  waitForLeaders: true,
});
const messages = benchEvents(N);
const avgBytes = messages.reduce((n, m) => n + m.value.length, 0) / N;
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < N; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
await producer.disconnect();
console.log(`produced ${N} events of ~${avgBytes.toFixed(0)} B to ${topic}`);

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

// (a) insert ceiling: same decode + mapping + batch size, no Kafka, in both JSON formats the
// client can send to the embedded engine (its connection passes the body as text, so RowBinary and
// Native are not available there): JSONEachRow (objects) and JSONCompactEachRow (a column list +
// arrays — the consumer's format). The ratio is taken against the faster of the two.
type CeilingFormat = 'JSONEachRow' | 'JSONCompactEachRow';
const ceilingRun = (format: CeilingFormat) => async () => {
  await truncate();
  const t0 = performance.now();
  for (let i = 0; i < N; i += BATCH) {
    const rows = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const d = decodeTaskEvent(messages[j]!.value);
      if (d.ok) rows.push(toRow(d.event, j % PARTITIONS, j));
    }
    if (format === 'JSONEachRow') await ch.client.insert({ table: TABLES.events, format, values: rows.map(rowObject) });
    else await ch.client.insert({ table: TABLES.events, format, columns: [...ROW_COLUMNS] as [string], values: rows });
  }
  const rate = N / ((performance.now() - t0) / 1000);
  if ((await count()) !== N) throw new Error('ceiling run lost rows');
  return rate;
};
const ceilingObjects = await medianOf(RUNS, ceilingRun('JSONEachRow'));
console.log(`insert ceiling JSONEachRow: ${ceilingObjects.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);
const ceilingCompact = await medianOf(RUNS, ceilingRun('JSONCompactEachRow'));
console.log(`insert ceiling JSONCompactEachRow: ${ceilingCompact.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);
const ceiling = ceilingCompact.median >= ceilingObjects.median ? ceilingCompact : ceilingObjects;

// (b) the engine's Kafka table engine.
const kafkaEngine = await medianOf(RUNS, async (i) => {
  await truncate();
  const t0 = performance.now();
  const kafkaIn = kafkaEngineIngest({
    broker: brokers[0]!,
    topic,
    group: `bench-kengine-${run}-${i}`,
    consumers: 2,
    flushIntervalMs: 500,
    maxBlockSize: BATCH,
  });
  for (const q of kafkaIn.create) await ch.client.command({ query: q.sql });
  await waitCount(Date.now() + 300_000);
  const rate = N / ((performance.now() - t0) / 1000);
  for (const q of kafkaIn.drop) await ch.client.command({ query: q.sql });
  return rate;
});
console.log(`kafka engine: ${kafkaEngine.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);

// The Aurea consumer: validation, DLQ, sink-side watermarks, dedup tokens, commit after insert.
const logger = createLogger('bench-consumer', 'warn');
const consumer = await medianOf(RUNS, async (i) => {
  await truncate();
  const t0 = performance.now();
  const handle = await startConsumer({
    ch,
    kafka: { clientId: 'aurea-bench-consumer', brokers, logLevel: logLevel.NOTHING },
    groupId: `bench-consumer-${run}-${i}`,
    topic,
    dlqTopic: `${topic}-dlq`,
    logger,
    maxInsertRows: BATCH,
    fromBeginning: true,
  });
  await waitCount(Date.now() + 300_000);
  const rate = N / ((performance.now() - t0) / 1000);
  await handle.stop();
  return rate;
});
console.log(`aurea consumer: ${consumer.runs.map((r) => r.toFixed(0)).join(', ')} rows/s`);

await ch.close();
rmSync(dir, { recursive: true, force: true });
await admin.deleteTopics({ topics: [topic, `${topic}-dlq`] });
await admin.disconnect();

const ratioCeiling = consumer.median / ceiling.median;
const ratioEngine = consumer.median / kafkaEngine.median;
report({
  results: {
    ingest: {
      eventsPerSec: round(consumer.median, 0),
      insertCeilingEventsPerSec: round(ceiling.median, 0),
      insertCeilingJsonEachRowEventsPerSec: round(ceilingObjects.median, 0),
      insertCeilingJsonCompactEachRowEventsPerSec: round(ceilingCompact.median, 0),
      ratioVsInsertCeiling: round(ratioCeiling, 3),
      kafkaEngineEventsPerSec: round(kafkaEngine.median, 0),
      ratioVsKafkaEngine: round(ratioEngine, 3),
      eventBytes: round(avgBytes, 0),
      events: N,
    },
  },
  rows: [
    { benchmark: 'ingest', figure: 'Aurea consumer (Kafka → ClickHouse)', value: consumer.median, unit: 'events/s' },
    {
      benchmark: 'ingest',
      figure: 'engine insert ceiling, JSONEachRow (no Kafka)',
      value: ceilingObjects.median,
      unit: 'rows/s',
    },
    {
      benchmark: 'ingest',
      figure: 'engine insert ceiling, JSONCompactEachRow (no Kafka)',
      value: ceilingCompact.median,
      unit: 'rows/s',
    },
    {
      benchmark: 'ingest',
      figure: 'ratio vs insert ceiling',
      value: ratioCeiling,
      unit: '×',
      target: '≥ 0.8×',
      met: ratioCeiling >= 0.8,
    },
    { benchmark: 'ingest', figure: 'ClickHouse Kafka table engine', value: kafkaEngine.median, unit: 'rows/s' },
    {
      benchmark: 'ingest',
      figure: 'ratio vs Kafka engine',
      value: ratioEngine,
      unit: '×',
      target: '≥ 1.5×',
      met: ratioEngine >= 1.5,
    },
  ],
  notes: [
    `${N} events of ~${avgBytes.toFixed(0)} B, ${PARTITIONS} partitions, at most ${BATCH} rows per insert; medians of ${RUNS}; every path writes task_events and its two rollup views. ` +
      `The ratio vs the insert ceiling uses the faster format (${ceiling === ceilingCompact ? 'JSONCompactEachRow' : 'JSONEachRow'}). Runs: consumer ${consumer.runs.map((r) => r.toFixed(0)).join(', ')}; Kafka engine ${kafkaEngine.runs.map((r) => r.toFixed(0)).join(', ')}.`,
  ],
});
