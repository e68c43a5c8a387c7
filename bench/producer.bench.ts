// Benchmark 2: task events/s from the SDK's publisher (@platformatic/kafka, one batch per
// partition) into Kafka vs the raw Node clients producing the same payloads (JSON
// serialisation included, idempotent, acks=all, gzip, 2,000 per send) and vs kcat (librdkafka,
// Debian) as the native reference — one run, same broker, a fresh 6-partition topic per
// measurement.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';
import { Producer, ProduceAcks, stringSerializers } from '@platformatic/kafka';
import { BufferedPublisher, createKafkaPublisher } from '@aurea/sdk';
import { kafkajsTransport } from './kafka-candidates.js';
import { benchEvent } from './events.js';
import { median, medianOf, report, round } from './harness.js';

const N = Number(process.env.BENCH_PRODUCER_EVENTS ?? 100_000);
const RUNS = Number(process.env.BENCH_PRODUCER_RUNS ?? 3);
const SEND = 2_000;
const broker = `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const run = Date.now().toString(36);
const now = Date.now();
const events = Array.from({ length: N }, (_, i) => benchEvent(i, Math.max(1, N / 20), now));

const kafka = new Kafka({ clientId: 'aurea-bench-producer', brokers: [broker], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topics: string[] = [];
let seq = 0;
async function freshTopic(): Promise<string> {
  const topic = `bench-producer-${run}-${seq++}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true });
  topics.push(topic);
  return topic;
}
async function topicCount(topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
}

const runSdk = async (): Promise<number> => {
  const topic = await freshTopic();
  const publisher = createKafkaPublisher({
    brokers: [broker],
    topic,
    clientId: 'bench-sdk',
    maxBufferedEvents: N + 1,
    maxBufferedBytes: 1024 ** 3,
    batchSize: SEND,
  });
  const t0 = performance.now();
  for (const e of events) publisher.publish(e);
  const r = await publisher.close(120_000);
  const rate = N / ((performance.now() - t0) / 1000);
  if (r.pending !== 0 || (await topicCount(topic)) !== N) throw new Error('SDK publisher lost events');
  return rate;
};

const runKafkajsRaw = async (): Promise<number> => {
  const topic = await freshTopic();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const t0 = performance.now();
  for (let i = 0; i < N; i += SEND) {
    const messages = events.slice(i, i + SEND).map((e) => ({ key: e.job_id, value: JSON.stringify(e) }));
    await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
  }
  const rate = N / ((performance.now() - t0) / 1000);
  await producer.disconnect();
  return rate;
};

const runPlatformatic = async (): Promise<number> => {
  const topic = await freshTopic();
  const producer = new Producer({
    clientId: 'bench-platformatic',
    bootstrapBrokers: [broker],
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: 'gzip',
    serializers: stringSerializers,
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i += SEND) {
    const messages = events.slice(i, i + SEND).map((e) => ({ topic, key: e.job_id, value: JSON.stringify(e) }));
    await producer.send({ messages });
  }
  const rate = N / ((performance.now() - t0) / 1000);
  await producer.close();
  if ((await topicCount(topic)) !== N) throw new Error('platformatic lost events');
  return rate;
};

// The SDK's buffer (the same publisher code) over the other candidate client behind the Transport
// seam: kafkajs with its internal retries off (bench/kafka-candidates.ts; docs/kafka.md).
const runSdkKafkajs = async (): Promise<number> => {
  const topic = await freshTopic();
  const publisher = new BufferedPublisher(
    kafkajsTransport({ brokers: [broker], topic, clientId: 'bench-sdk-kafkajs' }),
    {
      maxBufferedEvents: N + 1,
      maxBufferedBytes: 1024 ** 3,
      batchSize: SEND,
    },
  );
  const t0 = performance.now();
  for (const e of events) publisher.publish(e);
  const r = await publisher.close(120_000);
  const rate = N / ((performance.now() - t0) / 1000);
  if (r.pending !== 0 || (await topicCount(topic)) !== N) throw new Error('SDK buffer over kafkajs lost events');
  return rate;
};

// Interleaved (one run of each in turn), so a change of load on the shared machine hits every
// candidate alike; medians of RUNS.
const runs: Record<'sdk' | 'kafkajsRaw' | 'platformatic' | 'sdkKafkajs', number[]> = {
  sdk: [],
  kafkajsRaw: [],
  platformatic: [],
  sdkKafkajs: [],
};
for (let i = 0; i < RUNS; i++) {
  runs.sdk.push(await runSdk());
  runs.kafkajsRaw.push(await runKafkajsRaw());
  runs.platformatic.push(await runPlatformatic());
  runs.sdkKafkajs.push(await runSdkKafkajs());
}
const sdk = { median: median(runs.sdk), runs: runs.sdk };
const kafkajsRaw = { median: median(runs.kafkajsRaw), runs: runs.kafkajsRaw };
const platformatic = { median: median(runs.platformatic), runs: runs.platformatic };
const sdkKafkajs = { median: median(runs.sdkKafkajs), runs: runs.sdkKafkajs };
console.log(`sdk publisher: ${sdk.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);
console.log(`kafkajs raw: ${kafkajsRaw.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);
console.log(`@platformatic/kafka raw: ${platformatic.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);
console.log(`sdk buffer over kafkajs: ${sdkKafkajs.runs.map((r) => r.toFixed(0)).join(', ')} events/s`);

let kcat = NaN;
const hasKcat = spawnSync('kcat', ['-V']).status === 0;
if (hasKcat) {
  const dir = mkdtempSync(join(tmpdir(), 'aurea-bench-kcat-'));
  const file = join(dir, 'events.tsv');
  writeFileSync(file, events.map((e) => `${e.job_id}\t${JSON.stringify(e)}`).join('\n') + '\n');
  kcat = (
    await medianOf(RUNS, async () => {
      const topic = await freshTopic();
      const t0 = performance.now();
      execFileSync('kcat', [
        '-P',
        '-b',
        broker,
        '-t',
        topic,
        '-K',
        '\t',
        '-z',
        'gzip',
        '-X',
        'enable.idempotence=true',
        '-X',
        'acks=all',
        '-l',
        file,
      ]);
      const rate = N / ((performance.now() - t0) / 1000);
      if ((await topicCount(topic)) !== N) throw new Error('kcat lost events');
      return rate;
    })
  ).median;
  rmSync(dir, { recursive: true, force: true });
  console.log(`kcat: ${kcat.toFixed(0)} events/s`);
}

await admin.deleteTopics({ topics });
await admin.disconnect();
const raw = Math.max(kafkajsRaw.median, platformatic.median);
const ratio = sdk.median / raw;
report({
  results: {
    producer: {
      eventsPerSec: round(sdk.median, 0),
      rawClientEventsPerSec: round(raw, 0),
      kafkajsRawEventsPerSec: round(kafkajsRaw.median, 0),
      platformaticRawEventsPerSec: round(platformatic.median, 0),
      kcatEventsPerSec: Number.isFinite(kcat) ? round(kcat, 0) : 0,
      ratioVsRawClient: round(ratio, 3),
      ratioVsOwnClientRaw: round(sdk.median / platformatic.median, 3),
      sdkBufferOverKafkajsEventsPerSec: round(sdkKafkajs.median, 0),
    },
  },
  rows: [
    { benchmark: 'producer', figure: 'SDK publisher → Kafka', value: sdk.median, unit: 'events/s' },
    { benchmark: 'producer', figure: 'kafkajs raw', value: kafkajsRaw.median, unit: 'events/s' },
    { benchmark: 'producer', figure: '@platformatic/kafka raw', value: platformatic.median, unit: 'events/s' },
    {
      benchmark: 'producer',
      figure: 'SDK vs fastest raw Node client',
      value: ratio,
      unit: '×',
      target: '≥ 0.9×',
      met: ratio >= 0.9,
    },
    {
      benchmark: 'producer',
      figure: 'SDK vs raw @platformatic/kafka (its own client)',
      value: sdk.median / platformatic.median,
      unit: '×',
    },
    {
      benchmark: 'producer',
      figure: 'SDK buffer over a kafkajs Transport (candidate, not shipped)',
      value: sdkKafkajs.median,
      unit: 'events/s',
    },
    ...(Number.isFinite(kcat)
      ? [{ benchmark: 'producer', figure: 'kcat (librdkafka)', value: kcat, unit: 'events/s' }]
      : []),
  ],
  notes: [
    `${N} events, ${SEND} per send, idempotent, acks=all, gzip; medians of ${RUNS}.${hasKcat ? '' : ' kcat not installed (apt-get install kcat): no native reference in this run.'}`,
  ],
});
