// Profiling aid (not a benchmark the runner picks up): runs the Aurea consumer over
// BENCH_INGEST_EVENTS events and times its phases by wrapping the ClickHouse client — insert
// count/sizes/time, other queries — and reports the wall time. For `node --cpu-prof`
// runs: NODE_OPTIONS='--cpu-prof --cpu-prof-dir=/tmp/prof' npx tsx bench/profile-consumer.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createClickHouse, migrate } from '@aurea/clickhouse';
import { createLogger, kafkaConfigFromEnv } from '@aurea/common';
import { startConsumer } from '@aurea/consumer';
import { benchEvents } from './events.js';

const N = Number(process.env.BENCH_INGEST_EVENTS ?? 50_000);
const BATCH = Number(process.env.BENCH_INGEST_BATCH ?? 20_000);
const brokers = [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`];
const topic = `bench-profile-${Date.now().toString(36)}`;
const kafka = new Kafka({ clientId: 'aurea-bench-profile', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [
    { topic, numPartitions: 6 },
    { topic: `${topic}-dlq`, numPartitions: 1 },
  ],
  waitForLeaders: true,
});
const messages = benchEvents(N);
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < N; i += 2000) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 2000) });
await producer.disconnect();

const dir = mkdtempSync(join(tmpdir(), 'aurea-bench-profile-'));
const ch = await createClickHouse({ database: 'bench_profile', dataDir: dir });
await migrate(ch, {});
const client = ch.client;
let tRun = performance.now();
const timing = {
  inserts: 0,
  insertRows: 0,
  insertMs: 0,
  queries: 0,
  queryMs: 0,
  sizes: [] as number[],
  log: [] as string[],
};
const origInsert = client.insert.bind(client);
const origQuery = client.query.bind(client);
client.insert = async (p: Parameters<typeof client.insert>[0]) => {
  const t0 = performance.now();
  try {
    return await origInsert(p);
  } finally {
    timing.inserts++;
    const n = Array.isArray(p.values) ? p.values.length : 0;
    timing.insertRows += n;
    timing.sizes.push(n);
    timing.insertMs += performance.now() - t0;
    timing.log.push(`ins ${n} @${Math.round(t0 - tRun)} +${Math.round(performance.now() - t0)}`);
  }
};
client.query = async (p: Parameters<typeof client.query>[0]) => {
  const t0 = performance.now();
  try {
    return await origQuery(p);
  } finally {
    timing.queries++;
    timing.queryMs += performance.now() - t0;
    timing.log.push(`q @${Math.round(t0 - tRun)} +${Math.round(performance.now() - t0)}`);
  }
};

const t0 = performance.now();
tRun = t0;
const handle = await startConsumer({
  ch,
  kafka: { ...kafkaConfigFromEnv('aurea-bench-profile'), brokers, groupInstanceId: `${topic}-member` },
  groupId: `${topic}-g`,
  topic,
  dlqTopic: `${topic}-dlq`,
  logger: createLogger('bench-profile', 'warn'),
  maxCycleMessages: BATCH,
  fromBeginning: true,
  ...(process.env.BENCH_PROFILE_CYCLE_MS ? { cycleMs: Number(process.env.BENCH_PROFILE_CYCLE_MS) } : {}),
  ...(process.env.BENCH_PROFILE_MAX_BYTES ? { maxBytes: Number(process.env.BENCH_PROFILE_MAX_BYTES) } : {}),
});
const tStarted = performance.now();
for (;;) {
  if (handle.stats().inserted >= N) break;
  await new Promise((r) => setTimeout(r, 20));
}
const wall = performance.now() - t0;
await handle.stop();
console.log(
  JSON.stringify({
    events: N,
    wallMs: Math.round(wall),
    startMs: Math.round(tStarted - t0),
    eventsPerSec: Math.round(N / (wall / 1000)),
    inserts: timing.inserts,
    insertMs: Math.round(timing.insertMs),
    insertRowsPerSec: Math.round(timing.insertRows / (timing.insertMs / 1000)),
    queries: timing.queries,
    queryMs: Math.round(timing.queryMs),
    sizes: timing.sizes,
    log: timing.log.join(' | '),
  }),
);
await ch.close();
rmSync(dir, { recursive: true, force: true });
await admin.deleteTopics({ topics: [topic, `${topic}-dlq`] });
await admin.disconnect();
