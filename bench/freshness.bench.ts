// Benchmark 4: freshness. At BENCH_FRESH_RATE events/s (default 10k) from the SDK, the time from
// monitorTask returning to the event being visible in the per-job API (GET /v1/jobs/:id of the
// analytics API, running with the consumer in one process on the embedded engine, as the main
// job runs them). One task in every BENCH_FRESH_SAMPLE_EVERY carries its own job id and is
// polled until visible (oldest first, one request in flight); p50/p99 over all samples.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '@aurea/common';
import { startLocal } from '@aurea/local';
import { init } from '@aurea/sdk';
import { percentile, report, round } from './harness.js';

const RATE = Number(process.env.BENCH_FRESH_RATE ?? 10_000);
const SECONDS = Number(process.env.BENCH_FRESH_SECONDS ?? 10);
const SAMPLE_EVERY = Number(process.env.BENCH_FRESH_SAMPLE_EVERY ?? 1000);
const broker = `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const run = Date.now().toString(36);
const topic = `bench-fresh-${run}`;

const kafka = new Kafka({ clientId: 'aurea-bench-fresh', brokers: [broker], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({
  topics: [
    { topic, numPartitions: 6, replicationFactor: 1 },
    { topic: `${topic}-dlq`, numPartitions: 1, replicationFactor: 1 },
  ],
  waitForLeaders: true,
});

const dir = mkdtempSync(join(tmpdir(), 'aurea-bench-fresh-'));
const local = await startLocal(
  {
    ...process.env,
    CLICKHOUSE_DATA_DIR: dir,
    CLICKHOUSE_DATABASE: 'bench_fresh',
    KAFKA_BROKERS: broker,
    CONSUMER_TOPIC: topic,
    CONSUMER_DLQ_TOPIC: `${topic}-dlq`,
    CONSUMER_GROUP_ID: `bench-fresh-${run}`,
    INGEST_TOPIC: topic,
    API_AUTH: 'disabled',
    PORT: '0',
    AUREA_LOCAL_OTLP: 'false',
    AUREA_LOCAL_SPAN_BRIDGE: 'false',
    LOG_LEVEL: 'warn',
  },
  createLogger('bench-fresh', 'warn'),
);
const aurea = await init({
  serviceName: `bench-fresh-${run}`,
  otlp: false,
  kafka: { brokers: [broker], topic, maxBufferedEvents: RATE * SECONDS + 1, lingerMs: 5 },
});

// Warm-up: wait until the consumer has joined its group and a first event is visible, so the
// figures measure steady state, not the group join.
{
  const warm = `warm-${run}`;
  await aurea.monitorTask({ jobId: warm, taskName: 'fresh', model: 'gpt-4o-mini', provider: 'openai' }, () => ({
    tokens: { input: 1, output: 1 },
  }));
  const until = Date.now() + 120_000;
  while ((await fetch(`${local.apiUrl}/v1/jobs/${warm}`)).status !== 200) {
    if (Date.now() > until) throw new Error('warm-up event never became visible');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const pending = new Map<string, number>();
const latencies: number[] = [];
let polling = true;
let deadline = Infinity;
// One request in flight, oldest sample first: the next sample is checked at once after a
// visible one, after 20 ms otherwise. The poller must not load the engine it measures (four
// parallel pollers every 20 ms kept the embedded engine busy enough to stall the consumer).
const poller = (async () => {
  while (polling || pending.size > 0) {
    const head = pending.entries().next();
    if (!head.done) {
      const [job, returnedAt] = head.value;
      const res = await fetch(`${local.apiUrl}/v1/jobs/${job}`);
      await res.arrayBuffer();
      if (res.status === 200) {
        latencies.push(performance.now() - returnedAt);
        pending.delete(job);
        continue;
      }
    }
    if (!polling && performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
})();

const work = (): { tokens: { input: number; output: number } } => ({ tokens: { input: 100, output: 20 } });
const tick = 10;
const perTick = Math.round((RATE * tick) / 1000);
const end = performance.now() + SECONDS * 1000;
let i = 0;
let next = performance.now();
while (performance.now() < end) {
  for (let k = 0; k < perTick; k++, i++) {
    const sampled = i % SAMPLE_EVERY === 0;
    const jobId = sampled ? `fresh-${run}-${i}` : `load-${run}-${i % 1000}`;
    await aurea.monitorTask({ jobId, taskName: 'fresh', model: 'gpt-4o-mini', provider: 'openai' }, work);
    if (sampled) pending.set(jobId, performance.now());
  }
  next += tick;
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
const achieved = i / SECONDS;
polling = false;
deadline = performance.now() + 30_000;
await poller;
const lost = pending.size;

await aurea.shutdown({ deadlineMs: 10_000 });
await local.stop();
rmSync(dir, { recursive: true, force: true });
await admin.deleteTopics({ topics: [topic, `${topic}-dlq`] });
await admin.disconnect();

const p50 = percentile(latencies, 50);
const p99 = percentile(latencies, 99);
console.log(
  `${latencies.length} samples at ${achieved.toFixed(0)} events/s: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, ${lost} not visible after 30 s`,
);
report({
  results: {
    freshness: {
      p50Ms: round(p50, 0),
      p99Ms: round(p99, 0),
      eventsPerSec: round(achieved, 0),
      samples: latencies.length,
      notVisible: lost,
    },
  },
  rows: [
    {
      benchmark: 'freshness',
      figure: `monitorTask → per-job API p50 @${achieved.toFixed(0)}/s`,
      value: p50,
      unit: 'ms',
    },
    {
      benchmark: 'freshness',
      figure: `monitorTask → per-job API p99 @${achieved.toFixed(0)}/s`,
      value: p99,
      unit: 'ms',
      target: '< 1000 ms',
      met: p99 < 1000 && lost === 0,
    },
  ],
  notes: [
    `${SECONDS} s at a target of ${RATE} events/s (achieved ${achieved.toFixed(0)}); ${latencies.length} sampled jobs polled through the API; producer, consumer, API and engine share the machine's cores.`,
  ],
});
