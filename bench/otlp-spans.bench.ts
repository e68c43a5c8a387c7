// Benchmark: the OTLP span path, end to end. GenAI spans made by the OpenTelemetry JS SDK and
// serialized by its OTLP protobuf serializer (before the clock starts) are POSTed to the
// running Collector (/v1/traces, BENCH_SPANS_CONCURRENCY requests in flight), which routes them
// to Kafka (aurea.otlp-spans.v1); the span bridge converts them into task events on a private
// topic. Figure: spans/s from the first POST to the last task event acknowledged on the output
// topic. Second figure: the bridge alone (decode → convert → price → produce → commit) over the
// same spans preloaded into a private topic.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { SpanKind, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { createLogger, kafkaConfigFromEnv } from '@aurea/common';
import { TOPICS } from '@aurea/events';
import { startSpanBridge } from '@aurea/span-bridge';
import { median, report, round } from './harness.js';

const SPANS = Number(process.env.BENCH_SPANS ?? 50_000);
const PER_REQUEST = Number(process.env.BENCH_SPANS_PER_REQUEST ?? 500);
const CONCURRENCY = Number(process.env.BENCH_SPANS_CONCURRENCY ?? 4);
const RUNS = Number(process.env.BENCH_SPANS_RUNS ?? 3);
const COLLECTOR = process.env.OTEL_COLLECTOR_HTTP ?? 'http://127.0.0.1:4318';
const BROKERS = (process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`).split(',');
const RUN = randomUUID().slice(0, 8);
/** The services' Kafka settings for one client of this run (its own static member id). */
const kafkaFor = (clientId: string) => ({
  ...kafkaConfigFromEnv(clientId),
  brokers: BROKERS,
  groupInstanceId: `${clientId}-${RUN}`,
});
const log = createLogger('bench-otlp-spans', process.env.LOG_LEVEL ?? 'error');
const kafka = new Kafka({ clientId: 'aurea-bench-otlp-spans', brokers: BROKERS, logLevel: logLevel.NOTHING });

/** Real SDK spans: one trace per 10 spans (a job of 10 calls), realistic GenAI attributes. */
async function makeRequests(service: string): Promise<Buffer[]> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'aurea.tenant': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('bench-genai', '1.0.0');
  const t0 = Date.now() - 60_000;
  const models = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-haiku-20241022', 'unknown-model-x'];
  let root = tracer.startSpan('job');
  for (let i = 0; i < SPANS; i++) {
    if (i % 10 === 0) {
      root.end();
      root = tracer.startSpan('job', { startTime: t0 });
    }
    const model = models[i % models.length]!;
    const s = tracer.startSpan(
      `chat ${model}`,
      {
        kind: SpanKind.CLIENT,
        startTime: t0 + i,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
          'gen_ai.request.model': model,
          'gen_ai.response.model': model,
          'gen_ai.usage.input_tokens': 1000 + (i % 500),
          'gen_ai.usage.cache_read.input_tokens': i % 200,
          'gen_ai.usage.output_tokens': 200 + (i % 100),
          'gen_ai.response.id': `resp-${i}`,
          'gen_ai.response.finish_reasons': ['stop'],
          'server.address': 'api.example.com',
          'aurea.job.id': `bench-${RUN}-${Math.floor(i / 10)}`,
          'aurea.task.name': `step-${i % 7}`,
        },
      },
      trace.setSpan(ROOT_CONTEXT, root),
    );
    s.end(t0 + i + 250);
  }
  root.end();
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans().filter((s) => s.name !== 'job');
  await provider.shutdown();
  const out: Buffer[] = [];
  for (let i = 0; i < spans.length; i += PER_REQUEST) {
    out.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + PER_REQUEST))!));
  }
  return out;
}

async function post(bodies: Buffer[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const res = await fetch(`${COLLECTOR}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body,
      });
      if (!res.ok) throw new Error(`collector answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Count task events of `service` on `topic` until `want`; resolves with the time the last arrived. */
async function countEvents(
  topic: string,
  service: string,
  want: number,
): Promise<{ done: Promise<number>; first: { at: number }; stop: () => Promise<void> }> {
  const c = kafka.consumer({ groupId: `bench-reader-${randomUUID()}`, maxWaitTimeInMs: 50 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const needle = Buffer.from(`"service":"${service}"`);
  let n = 0;
  let resolve!: (t: number) => void;
  const done = new Promise<number>((r) => (resolve = r));
  const first = { at: 0 };
  await c.run({
    eachBatch: ({ batch }) => {
      for (const m of batch.messages) if (m.value?.includes(needle)) n++;
      if (n > 0 && first.at === 0) first.at = Date.now();
      if (n >= want) resolve(Date.now());
      return Promise.resolve();
    },
  });
  return { done, first, stop: () => c.disconnect() };
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms))]);

const admin = kafka.admin();
await admin.connect();
const endToEnd: number[] = [];
const bridgeOnly: number[] = [];
const topics: string[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const service = `bench-otlp-${RUN}-${run}`;
    const out = `bench.span-bridge.events.${RUN}.${run}`;
    const dlq = `${out}.dlq`;
    const priv = `bench.span-bridge.spans.${RUN}.${run}`;
    topics.push(out, dlq, priv);
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: out, numPartitions: 6 },
        { topic: dlq, numPartitions: 1 },
        { topic: priv, numPartitions: 6 },
      ],
    });
    const bodies = await makeRequests(service);

    // End to end through the Collector: the bridge's group starts at the shared topic's end.
    const groupId = `bench-span-bridge-${RUN}-${run}`;
    const ends = await admin.fetchTopicOffsets(TOPICS.otlpSpans);
    await admin.setOffsets({
      groupId,
      topic: TOPICS.otlpSpans,
      partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    const bridge = await startSpanBridge({
      kafka: kafkaFor('bench-span-bridge'),
      logger: log,
      groupId,
      outputTopic: out,
      dlqTopic: dlq,
      lagIntervalMs: 500,
    });
    while (!bridge.readiness().ready) await new Promise((r) => setTimeout(r, 100));
    const reader = await countEvents(out, service, SPANS);
    const t0 = Date.now();
    await post(bodies);
    const tEnd = await withTimeout(reader.done, 300_000, 'end-to-end events');
    endToEnd.push((SPANS / (tEnd - t0)) * 1000);
    await reader.stop();
    await bridge.stop();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    console.log(`run ${run}: end to end ${round(endToEnd.at(-1)!, 0)} spans/s (${bodies.length} requests)`);

    // The bridge alone, over the same requests preloaded into a private topic (uncompressed).
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < bodies.length; i += 20) {
      await producer.send({
        topic: priv,
        acks: -1,
        messages: bodies.slice(i, i + 20).map((value, j) => ({ key: String(i + j), value })),
      });
    }
    await producer.disconnect();
    const out2 = `${out}.2`;
    topics.push(out2);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: out2, numPartitions: 6 }] });
    const reader2 = await countEvents(out2, service, SPANS);
    const t1 = Date.now();
    const b2 = await startSpanBridge({
      kafka: kafkaFor('bench-span-bridge-2'),
      logger: log,
      groupId: `${groupId}-private`,
      inputTopic: priv,
      outputTopic: out2,
      dlqTopic: dlq,
    });
    const t2End = await withTimeout(reader2.done, 300_000, 'bridge-only events');
    // From the first event out (the group join and first fetch are not throughput).
    bridgeOnly.push((SPANS / (t2End - reader2.first.at)) * 1000);
    console.log(`run ${run}: bridge started→first event ${reader2.first.at - t1} ms`);
    await reader2.stop();
    await b2.stop();
    await admin.deleteGroups([`${groupId}-private`]).catch(() => undefined);
    console.log(`run ${run}: bridge alone ${round(bridgeOnly.at(-1)!, 0)} spans/s`);
  }
} finally {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

report({
  results: {
    otlpSpans: {
      spansPerSec: round(median(endToEnd), 0),
      bridgeSpansPerSec: round(median(bridgeOnly), 0),
      spans: SPANS,
    },
  },
  rows: [
    {
      benchmark: 'otlp-spans',
      figure: 'end to end (OTLP HTTP → Collector → Kafka → bridge → task events)',
      value: round(median(endToEnd), 0),
      unit: 'spans/s',
    },
    {
      benchmark: 'otlp-spans',
      figure: 'span bridge alone (decode, convert, price, produce, commit)',
      value: round(median(bridgeOnly), 0),
      unit: 'spans/s',
    },
  ],
  notes: [
    `${SPANS} GenAI spans per run (${PER_REQUEST} per OTLP request, ${CONCURRENCY} requests in flight), median of ${RUNS} runs; end-to-end runs: ${endToEnd.map((x) => round(x, 0)).join(', ')}; bridge-alone runs: ${bridgeOnly.map((x) => round(x, 0)).join(', ')}.`,
  ],
});

// Something in this process (kafkajs or span-bridge timers: 6 ref'd Timeouts remain after every
// stop()) keeps it alive for minutes after the report; the runner waits for exit, so end here
// once stdout has flushed. Reported to the span-bridge owner.
setTimeout(() => process.exit(0), 1000).unref();
