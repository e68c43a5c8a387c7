/* eslint-disable @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-assignment --
   HTTP response bodies are untyped JSON (inject().json() is any); the assertions below check their shape. */
// POST /v1/events against the real Kafka broker of the stack (unique topic per run): accepted
// events are on the topic keyed by job_id, as sent but marked `api` and priced by Aurea (a price
// file that knows none of the dataset's models: every cost is the client's, kept as provided); a
// request with one invalid event publishes nothing; a request larger than the topic takes in one
// record batch is published in parts; /ready reports Kafka; an unreachable broker → 503 naming
// kafka.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { createIngestPublisher, type IngestPublisher } from './publisher.js';
import { KEYS, auth, silentLogger, testConfig, testPriceTable } from './testing/app.js';
import { openTestClickHouse, type TestClickHouse } from './testing/clickhouse.js';
import { makeDataset, wire } from './testing/dataset.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const TOPIC = `aurea.test.api-ingest.${randomUUID()}`;
const kafka = new Kafka({ clientId: 'api-ingest-test', brokers: BROKERS, logLevel: logLevel.NOTHING });

let t: TestClickHouse;
let publisher: IngestPublisher;
let app: FastifyInstance;
let consumer: Consumer;
const received: { key: string; value: Record<string, unknown>; partition: number }[] = [];

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    // Kafka's default limit per record batch (and the task-events topic's in k8s/), not the local
    // stack's 10 MiB.
    topics: [
      {
        topic: TOPIC,
        numPartitions: 3,
        replicationFactor: 1,
        configEntries: [{ name: 'max.message.bytes', value: String(1024 * 1024) }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  t = await openTestClickHouse('api-ingest');
  publisher = createIngestPublisher({ brokers: BROKERS, topic: TOPIC, logger: silentLogger() });
  app = await buildApp({
    ch: t.ch,
    config: testConfig({
      ingest: { topic: TOPIC, maxEventsPerRequest: 500, bodyLimitBytes: 4 * 1024 * 1024 },
      priceTable: testPriceTable(),
    }),
    logger: silentLogger(),
    publisher,
  });
  consumer = kafka.consumer({ groupId: `api-ingest-test-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message, partition }) => {
      received.push({
        key: message.key!.toString(),
        value: JSON.parse(message.value!.toString()) as Record<string, unknown>,
        partition,
      });
      return Promise.resolve();
    },
  });
});

afterAll(async () => {
  await consumer?.disconnect();
  await app?.close();
  await publisher?.close();
  await t?.cleanup();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC] }).catch(() => undefined);
  await admin.disconnect();
});

const uuid = (): string => randomUUID();

async function until(pred: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('POST /v1/events → Kafka', () => {
  it('/ready sees ClickHouse and Kafka', async () => {
    const r = await app.inject('/ready');
    expect(r.json()).toEqual({ status: 'ready', checks: { clickhouse: 'ok', kafka: 'ok' } });
    expect(r.statusCode).toBe(200);
  });

  it('publishes every accepted event keyed by job_id; an invalid batch publishes nothing', async () => {
    const events = makeDataset({ seed: 5, jobs: 6 }).map(wire);
    const bad = events.slice(0, 10).map((e, i) => (i === 7 ? { ...e, latency_ms: -1 } : e));
    const rejected = await app.inject({ method: 'POST', url: '/v1/events', headers: auth(KEYS.ingest), payload: bad });
    expect(rejected.statusCode).toBe(400);
    expect(rejected.json().errors).toEqual([expect.objectContaining({ field: '/7/latency_ms' })]);

    const ok = await app.inject({ method: 'POST', url: '/v1/events', headers: auth(KEYS.ingest), payload: events });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toMatchObject({ accepted: events.length, topic: TOPIC });
    const single = makeDataset({ seed: 6, jobs: 1 }).map(wire)[0]!;
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', headers: auth(KEYS.both), payload: single })).statusCode,
    ).toBe(202);

    const all = [...events, single];
    await until(() => received.length >= all.length);
    await new Promise((r) => setTimeout(r, 500)); // nothing more arrives (the rejected batch)
    expect(received).toHaveLength(all.length);
    const byId = new Map(received.map((m) => [m.value.event_id as string, m]));
    for (const e of all) {
      const m = byId.get(e.event_id)!;
      expect(m.key).toBe(e.job_id);
      expect(m.value).toEqual({
        ...JSON.parse(JSON.stringify(e)),
        source: 'api',
        cost_usd: null,
        pricing_status: 'unknown_model',
        price_version: expect.any(String),
        provided_cost_usd: e.provided_cost_usd ?? e.cost_usd,
      });
    }
    // one job → one partition, in the order sent
    for (const jobId of new Set(all.map((e) => e.job_id))) {
      const msgs = received.filter((m) => m.key === jobId);
      expect(new Set(msgs.map((m) => m.partition)).size).toBe(1);
      expect(msgs.map((m) => m.value.event_id)).toEqual(all.filter((e) => e.job_id === jobId).map((e) => e.event_id));
    }
  });

  it('a request larger than the topic takes in one batch is published in parts: 202, every event on the topic', async () => {
    // 250 events of one job (one partition), each with 32 attributes of 256 random characters:
    // ~2.3 MB of JSON that gzip barely shrinks, against the topic's 1 MiB per record batch.
    const [base] = makeDataset({ seed: 21, jobs: 1 }).map(wire);
    const events = Array.from({ length: 250 }, () => ({
      ...base!,
      event_id: uuid(),
      task_id: uuid(),
      attributes: Object.fromEntries(
        Array.from({ length: 32 }, (_, k) => [`attr_${k}`, randomBytes(192).toString('base64')]),
      ),
    }));
    const body = JSON.stringify(events);
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const r = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...auth(KEYS.ingest), 'content-type': 'application/json' },
      payload: body,
    });
    expect(r.statusCode).toBe(202);
    const ids = new Set(events.map((e) => e.event_id));
    await until(() => received.filter((m) => ids.has(m.value.event_id as string)).length >= ids.size);
    const got = received.filter((m) => ids.has(m.value.event_id as string));
    expect(got.map((m) => m.value.event_id)).toEqual(events.map((e) => e.event_id)); // in order
    const sent = new Map(events.map((e) => [e.event_id, e.attributes]));
    for (const m of got) expect(m.value.attributes).toEqual(sent.get(m.value.event_id as string));
  });

  it('an event sent without `source` is marked as coming through the API', async () => {
    const { source: _s, ...e } = makeDataset({ seed: 11, jobs: 1 }).map(wire)[0]!;
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', headers: auth(KEYS.ingest), payload: e })).statusCode,
    ).toBe(202);
    await until(() => received.some((m) => m.value.event_id === e.event_id));
    expect(received.find((m) => m.value.event_id === e.event_id)!.value.source).toBe('api');
  });

  it('broker unreachable → 503 naming kafka, /ready 503', async () => {
    const dead = createIngestPublisher({
      brokers: ['127.0.0.1:1'],
      topic: TOPIC,
      logger: silentLogger(),
      sendTimeoutMs: 1000,
    });
    const deadApp = await buildApp({ ch: t.ch, config: testConfig(), logger: silentLogger(), publisher: dead });
    const r = await deadApp.inject({
      method: 'POST',
      url: '/v1/events',
      headers: auth(KEYS.ingest),
      payload: wire(makeDataset({ seed: 12, jobs: 1 })[0]!),
    });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ error: 'unavailable', dependency: 'kafka' });
    const ready = await deadApp.inject('/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.json().checks).toEqual({ clickhouse: 'ok', kafka: 'unavailable' });
    await deadApp.close();
    await dead.close();
  });
});
