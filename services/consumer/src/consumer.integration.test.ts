// Consumer against real Kafka (local stack) and the embedded ClickHouse engine, in-process:
// exact per-job totals and rollups; redelivery of the whole topic counts nothing twice; poison
// and unknown-version events reach the DLQ with reasons while good events flow; a table
// unavailable for a while pauses the partitions and loses nothing; a block a crash left in
// some tables only is replayed into exactly the tables that lack it.
// One data dir for this file (the engine allows one per process), one database per test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { createLogger } from '@aurea/common';
import { DLQ_HEADERS, normalizeEvent, type TaskEventV1 } from '@aurea/events';
import { startConsumer, type ConsumerHandle, type ConsumerOptions } from './consumer.js';
import { insertToken } from './plan.js';
import { insertRows, toRow } from '@aurea/clickhouse';
import { makeEvent } from './testing.js';
import {
  actualTotals,
  BROKERS,
  count,
  createTopics,
  emptyExpected,
  kafka,
  makeStream,
  produce,
  uniqueName,
  waitFor,
} from './integration-helpers.js';

const log = createLogger('consumer-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let dataDir: string;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aurea-consumer-it-'));
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await admin.disconnect();
  await rm(dataDir, { recursive: true, force: true });
});

async function setup(partitions = 6) {
  const topic = uniqueName('it-events');
  const dlq = uniqueName('it-dlq');
  await createTopics(admin, [
    { topic, partitions },
    { topic: dlq, partitions: 1 },
  ]);
  cleanups.push(() => admin.deleteTopics({ topics: [topic, dlq] }));
  const ch = await createClickHouse({ database: uniqueName('it').replace('-', '_'), dataDir });
  cleanups.push(() => ch.close());
  await migrate(ch, {});
  return { topic, dlq, ch };
}

async function run(
  ch: AureaClickHouse,
  topic: string,
  dlq: string,
  extra: Partial<ConsumerOptions> = {},
): Promise<ConsumerHandle> {
  const h = await startConsumer({
    ch,
    kafka: { brokers: BROKERS, clientId: 'consumer-it' },
    topic,
    dlqTopic: dlq,
    groupId: uniqueName('it-group'),
    logger: log,
    maxWaitMs: 50,
    minBytes: 1,
    ...extra,
  });
  cleanups.push(() => h.stop());
  return h;
}

describe('consumer (in-process)', () => {
  it('a known stream lands with exact per-job totals and rollups; replaying the topic adds nothing', async () => {
    const { topic, dlq, ch } = await setup();
    const expected = emptyExpected();
    await produce(topic, makeStream(12_000, 40, expected));
    const t0 = Date.now();
    const c = await run(ch, topic, dlq, { maxBytesPerPartition: 64 * 1024 });
    await waitFor('all events stored', async () => (await count(ch)) >= expected.events);
    const seconds = (Date.now() - t0) / 1000;
    await c.stop();
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
    expect(a.distinctEvents).toBe(expected.events);
    expect(c.stats()).toMatchObject({ inserted: expected.events, deadLettered: 0 });
    log.info({ eventsPerSec: Math.round(expected.events / seconds) }, 'exact stream');

    // A new consumer group reads the whole topic again (a full redelivery): all skipped.
    const again = await run(ch, topic, dlq);
    await waitFor('redelivery skipped', () => again.stats().skippedDuplicate >= expected.events);
    await again.stop();
    expect(again.stats().inserted).toBe(0);
    const b = await actualTotals(ch);
    expect(b.events).toEqual(expected.perJob);
    expect(b.jobs).toEqual(expected.perJob);
    expect(b.days).toEqual(expected.perDay);
  });

  it('poison, invalid and unknown-version events go to the DLQ with reasons and original bytes; good events flow', async () => {
    const { topic, dlq, ch } = await setup(3);
    const expected = emptyExpected();
    const good = makeStream(3_000, 10, expected, 7);
    const poison = [
      '{"schema_version":1, truncated',
      JSON.stringify({
        ...makeEvent({ jobId: 'job-1', costNanos: 1, inputTokens: 1, outputTokens: 1 }),
        schema_version: 2,
      }),
      JSON.stringify({
        ...makeEvent({ jobId: 'job-2', costNanos: 1, inputTokens: 1, outputTokens: 1 }),
        latency_ms: 'fast',
      }),
      '[]',
    ];
    const reasons = ['invalid_json', 'unknown_schema_version', 'schema_violation', 'not_an_object'];
    const mixed: string[] = [];
    good.forEach((g, i) => {
      mixed.push(g);
      if (i % 300 === 0) mixed.push(poison[(i / 300) % poison.length]!);
    });
    const nPoison = mixed.length - good.length;
    await produce(topic, mixed);
    const c = await run(ch, topic, dlq);

    const dead: { value: string; headers: Record<string, string> }[] = [];
    const reader = kafka.consumer({ groupId: uniqueName('dlq-reader') });
    cleanups.push(() => reader.disconnect());
    await reader.connect();
    await reader.subscribe({ topic: dlq, fromBeginning: true });
    await reader.run({
      eachMessage: ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        dead.push({ value: message.value?.toString() ?? '', headers });
        return Promise.resolve();
      },
    });
    await waitFor(
      'good events stored and poison dead-lettered',
      async () => (await count(ch)) >= expected.events && dead.length >= nPoison,
    );
    await c.stop();
    await reader.disconnect();

    expect(dead).toHaveLength(nPoison);
    for (const d of dead) {
      const i = poison.indexOf(d.value);
      expect(i).toBeGreaterThanOrEqual(0); // original bytes kept
      expect(d.headers[DLQ_HEADERS.reason]).toBe(reasons[i]);
      expect(d.headers[DLQ_HEADERS.sourceTopic]).toBe(topic);
      expect(Number(d.headers[DLQ_HEADERS.sourceOffset])).toBeGreaterThanOrEqual(0);
      expect(d.headers[DLQ_HEADERS.sourcePartition]).toMatch(/^\d$/);
      expect(JSON.parse(d.headers[DLQ_HEADERS.errors]!)).not.toHaveLength(0);
    }
    const violation = dead.find((d) => d.headers[DLQ_HEADERS.reason] === 'schema_violation')!;
    expect(JSON.parse(violation.headers[DLQ_HEADERS.errors]!)).toEqual([
      expect.objectContaining({ field: '/latency_ms' }),
    ]);
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(c.stats().deadLettered).toBe(nPoison);
  });

  it('ClickHouse refusing writes for a while: partitions pause, nothing is lost, lag recovers', async () => {
    const { topic, dlq, ch } = await setup(3);
    const expected = emptyExpected();
    const c = await run(ch, topic, dlq, { retryInitialMs: 50, retryMaxMs: 400 });
    await produce(topic, makeStream(1_000, 10, expected, 3));
    await waitFor('first events stored', async () => (await count(ch)) >= expected.events);
    // The events table disappears (as during an outage or a botched deploy): every insert fails.
    await ch.client.command({ query: 'RENAME TABLE task_events TO task_events_away' });
    const before = c.stats().inserted;
    await produce(topic, makeStream(1_000, 10, expected, 4));
    await waitFor(
      'inserts failing and partitions paused',
      () => c.stats().paused && c.stats().insertRetries >= 3,
      30_000,
    );
    await produce(topic, makeStream(2_000, 10, expected, 4)); // more arrive during the outage
    await new Promise((r) => setTimeout(r, 2_000));
    expect(c.stats().inserted).toBe(before);
    await ch.client.command({ query: 'RENAME TABLE task_events_away TO task_events' });
    await waitFor('all events stored after recovery', async () => (await count(ch)) >= expected.events, 60_000);
    await waitFor(
      'lag back to zero',
      () => Object.values(c.stats().lag).every((l) => l === 0) && Object.keys(c.stats().lag).length === 3,
    );
    await c.stop();
    expect(c.stats()).toMatchObject({ paused: false, deadLettered: 0 });
    expect(c.stats().pauses).toBeGreaterThanOrEqual(1);
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
  });

  for (const variant of [
    'events table has the block, rollups do not',
    'rollups have the block, events table does not',
  ] as const) {
    it(`replays a half-applied block exactly once into the tables that lack it (${variant})`, async () => {
      const { topic, dlq, ch } = await setup(1);
      const expected = emptyExpected();
      const values = makeStream(500, 5, expected, 11);
      await produce(topic, values);
      // What a crash between the parts of one insert leaves behind, built with the consumer's
      // own row mapping and token for offsets 0..299.
      const block = values.slice(0, 300).map((v, i) => toRow(normalizeEvent(JSON.parse(v) as TaskEventV1), 0, i));
      const insert = () => insertRows(ch, block, { insert_deduplication_token: insertToken(topic, 0, 0, 299) });
      if (variant === 'events table has the block, rollups do not') {
        await ch.client.command({ query: 'DETACH TABLE job_costs_mv' });
        await ch.client.command({ query: 'DETACH TABLE daily_costs_mv' });
        await insert();
        await ch.client.command({ query: 'ATTACH TABLE job_costs_mv' });
        await ch.client.command({ query: 'ATTACH TABLE daily_costs_mv' });
      } else {
        await insert();
        await ch.client.command({ query: 'TRUNCATE TABLE task_events' });
      }
      // Small fetches: the replay block spans several fetches and must still go in as one insert.
      const c = await run(ch, topic, dlq, { maxBytesPerPartition: 16 * 1024, maxInsertRows: 100 });
      await waitFor(
        'all events stored',
        async () =>
          (await count(ch)) >= expected.events && (await count(ch, 'job_costs')) > 0 && c.stats().lag[0] === 0,
      );
      await c.stop();
      const a = await actualTotals(ch);
      expect(a.distinctEvents).toBe(expected.events);
      expect(a.events).toEqual(expected.perJob);
      expect(a.jobs).toEqual(expected.perJob);
      expect(a.days).toEqual(expected.perDay);
    });
  }
});
