// Consumer against real Kafka (local stack) and the embedded ClickHouse engine, in-process:
// exact totals as readers see them (FINAL) and in the derived rollups; a full redelivery and the
// same events produced twice at other offsets count nothing twice; poison of every kind — bytes
// that are not UTF-8, unpaired surrogates, over-range costs, LZ4 and Snappy batches from another
// client, rows the engine refuses — is dead-lettered with its reason while other jobs keep
// flowing; a ClickHouse outage pauses fetching and loses nothing; months interleaved in a
// partition cost one insert per month per cycle; a cycle gathered during a slow write is written
// as soon as that write ends; a transactional producer's aborted records are not stored and its
// markers leave no lag; dead letters larger than their topic accepts are all written.
// One data dir for this file (the engine allows one per process), one database per test.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, type AureaClickHouse } from '@aurea/clickhouse';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { createLogger } from '@aurea/common';
import { DLQ_HEADERS } from '@aurea/events';
import { startConsumer, type ConsumerHandle, type ConsumerOptions } from './consumer.js';
import { makeEvent } from './testing.js';
import {
  KAFKA,
  actualTotals,
  count,
  countFinal,
  createTopics,
  emptyExpected,
  makeStream,
  produce,
  produceBytes,
  readTopic,
  uniqueName,
  waitFor,
} from './integration-helpers.js';

const log = createLogger('consumer-test', process.env.TEST_LOG_LEVEL ?? 'silent');
let dataDir: string;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aurea-consumer-it-'));
});
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
});

async function setup(partitions = 6) {
  const topic = uniqueName('it-events');
  const dlq = uniqueName('it-dlq');
  cleanups.push(
    await createTopics([
      { topic, partitions },
      { topic: dlq, partitions: 1 },
    ]),
  );
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
    kafka: { ...KAFKA, groupInstanceId: uniqueName('member') },
    topic,
    dlqTopic: dlq,
    groupId: uniqueName('it-group'),
    logger: log,
    maxWaitMs: 50,
    cycleMs: 100,
    lagIntervalMs: 500,
    ...extra,
  });
  cleanups.push(() => h.stop());
  return h;
}

const allCaughtUp = (c: ConsumerHandle, partitions: number) => () => {
  const lag = c.stats().lag;
  return Object.keys(lag).length === partitions && Object.values(lag).every((l) => l === 0);
};

describe('consumer (in-process)', () => {
  it('a known stream lands exact in task_events and both rollups; a full redelivery adds nothing readers see', async () => {
    const { topic, dlq, ch } = await setup();
    const expected = emptyExpected();
    await produce(topic, makeStream(12_000, 40, expected));
    const c = await run(ch, topic, dlq, { maxCycleMessages: 2_000 });
    await waitFor('all events stored', async () => (await count(ch)) >= expected.events);
    await waitFor('lag zero from the brokers', allCaughtUp(c, 6));
    expect(c.readiness()).toEqual({ ready: true });
    await c.stop();
    const a = await actualTotals(ch);
    expect(a.stored).toBe(expected.events); // undisturbed: every event written once
    expect(a.events).toEqual(expected.perJob);
    expect(a.eventDays).toEqual(expected.perDay);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
    expect(c.stats()).toMatchObject({ inserted: expected.events, deadLettered: 0 });

    // A new consumer group reads the whole topic again (a full redelivery): stored twice,
    // collapsed for every reader.
    const again = await run(ch, topic, dlq);
    await waitFor('redelivery written', () => again.stats().inserted >= expected.events);
    await again.stop();
    const b = await actualTotals(ch);
    expect(b.events).toEqual(expected.perJob);
    expect(b.jobs).toEqual(expected.perJob);
    expect(b.days).toEqual(expected.perDay);
  });

  it('the same 1,000 events produced twice at other offsets leave task_events, job_costs and daily_costs exact', async () => {
    const { topic, dlq, ch } = await setup(3);
    const expected = emptyExpected();
    const values = makeStream(1_000, 12, expected, 21, ['2026-04-30', '2026-05-01']);
    await produce(topic, values);
    await produce(topic, values); // an upstream producer retried everything: new offsets, same events
    const c = await run(ch, topic, dlq);
    // Background merges may already collapse some copies: count what the consumer wrote.
    await waitFor('both copies written', () => c.stats().inserted >= 2 * expected.events);
    await c.stop();
    expect(c.stats().inserted).toBe(2 * expected.events);
    const a = await actualTotals(ch);
    expect(await countFinal(ch)).toBe(expected.events);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
  });

  it('poison of every kind is dead-lettered with its reason and original bytes; other jobs keep flowing', async () => {
    const { topic, dlq, ch } = await setup(1);
    const expected = emptyExpected();
    const good = makeStream(2_000, 10, expected, 7);
    const ev = (over: Record<string, unknown>, jobId = 'poison') =>
      JSON.stringify({ ...makeEvent({ jobId, costNanos: 1, inputTokens: 1, outputTokens: 1 }), ...over });
    const notUtf8 = Buffer.from(ev({ task_name: 'XX' }));
    notUtf8.set([0xc3, 0x28], notUtf8.indexOf('XX'));
    const poison: [Buffer, string][] = [
      [Buffer.from('{"schema_version":1, truncated'), 'invalid_json'],
      [Buffer.from(ev({ schema_version: 2 })), 'unknown_schema_version'],
      [Buffer.from(ev({ latency_ms: 'fast' })), 'schema_violation'],
      [Buffer.from('[]'), 'not_an_object'],
      [notUtf8, 'invalid_utf8'],
      [Buffer.from(ev({ task_name: 'TASK' }).replace('TASK', 'x\\ud800y')), 'schema_violation'],
      [Buffer.from(ev({ cost_usd: 1_000_000_000 })), 'schema_violation'],
      // The engine refuses this one: the accept hook below gives it an event id that is not a UUID.
      [Buffer.from(ev({}, 'refused-by-storage')), 'insert_rejected'],
    ];
    const c = await run(ch, topic, dlq, {
      accept: (e) => (e.job_id === 'refused-by-storage' ? { ...e, event_id: 'not-a-uuid' } : e),
    });
    // Good events before and after the poison, the poison in one batch of its own.
    await produce(topic, good.slice(0, 1_000));
    await produceBytes(
      topic,
      poison.map(([b]) => b),
      { partition: 0 },
    );
    const poisonedAt = Date.now();
    await produce(topic, good.slice(1_000));
    await waitFor('good events after the poison stored', async () => (await countFinal(ch)) >= expected.events, 30_000);
    const secondsToNextGood = (Date.now() - poisonedAt) / 1000;
    expect(secondsToNextGood).toBeLessThan(10);

    const dead = await readTopic(dlq, poison.length);
    await c.stop();
    expect(dead.map((d) => d.headers.get(DLQ_HEADERS.reason))).toEqual(poison.map(([, r]) => r));
    dead.forEach((d, i) => {
      expect(d.value.equals(poison[i]![0])).toBe(true); // the original bytes, unchanged
      expect(d.headers.get(DLQ_HEADERS.sourceTopic)).toBe(topic);
      expect(d.headers.get(DLQ_HEADERS.sourcePartition)).toBe('0');
      expect(JSON.parse(d.headers.get(DLQ_HEADERS.errors)!)).not.toHaveLength(0);
    });
    const errors = (i: number) => JSON.parse(dead[i]!.headers.get(DLQ_HEADERS.errors)!) as { field: string }[];
    const fields = (i: number) => [...new Set(errors(i).map((e) => e.field))];
    expect(fields(5)).toEqual(['/task_name']);
    expect(fields(6)).toEqual(['/cost_usd']);
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(c.stats().deadLettered).toBe(poison.length);
  });

  for (const compression of ['lz4', 'snappy', 'zstd', 'gzip'] as const) {
    it(`a ${compression} batch from another producer is decoded and stored`, async () => {
      const { topic, dlq, ch } = await setup(2);
      const expected = emptyExpected();
      await produce(topic, makeStream(500, 5, expected, 31), compression);
      const c = await run(ch, topic, dlq);
      await waitFor('stored', async () => (await countFinal(ch)) >= expected.events, 30_000);
      await c.stop();
      expect((await actualTotals(ch)).events).toEqual(expected.perJob);
      expect(c.stats().deadLettered).toBe(0);
    });
  }

  it('ClickHouse refusing writes for a while: fetching pauses, /ready says why, nothing is lost', async () => {
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
      'inserts failing and fetching paused',
      () => c.stats().paused && c.stats().insertRetries >= 3,
      30_000,
    );
    expect(c.readiness()).toMatchObject({ ready: false });
    await produce(topic, makeStream(2_000, 10, expected, 5)); // more arrive during the outage
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.stats().inserted).toBe(before);
    await ch.client.command({ query: 'RENAME TABLE task_events_away TO task_events' });
    await waitFor('all events stored after recovery', async () => (await countFinal(ch)) >= expected.events, 60_000);
    await waitFor('lag zero', allCaughtUp(c, 3));
    expect(c.readiness()).toEqual({ ready: true });
    await c.stop();
    expect(c.stats()).toMatchObject({ paused: false, deadLettered: 0 });
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
  });

  it('a write that outlasts CONSUMER_CYCLE_MS: the cycle gathered meanwhile is written as soon as it ends', async () => {
    const { topic, dlq, ch } = await setup(3);
    // Every insert into task_events takes ~1.2 s: a view on it sleeps once per inserted block.
    await ch.client.command({ query: 'CREATE TABLE slow_sink (n UInt8) ENGINE = Null' });
    await ch.client.command({
      query: 'CREATE MATERIALIZED VIEW slow_writes TO slow_sink AS SELECT toUInt8(sleep(1.2)) AS n FROM task_events',
    });
    const expected = emptyExpected();
    const c = await run(ch, topic, dlq, { cycleMs: 1_000 });
    // Events arrive all the time, so every write has a cycle waiting behind it that is already
    // due when it ends. The gaps between write completions then come from the writes alone
    // (~1.2 s); a cycle that waited its cycleMs again after the write would make them ~2.2 s.
    const done: number[] = [];
    let producing = true;
    const producer = (async () => {
      for (let seed = 100; producing; seed++) {
        await produce(topic, makeStream(30, 3, expected, seed));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    let cycles = c.stats().cycles;
    const until = Date.now() + 60_000;
    while (done.length < 7 && Date.now() < until) {
      if (c.stats().cycles > cycles) {
        cycles = c.stats().cycles;
        done.push(Date.now());
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    producing = false;
    await producer;
    expect(done.length).toBe(7);
    const gaps = done.slice(2).map((t, i) => t - done[i + 1]!);
    gaps.sort((x, y) => x - y);
    expect(gaps[2]!).toBeGreaterThanOrEqual(1_100); // the writes are slow …
    expect(gaps[2]!).toBeLessThan(1_800); // … and nothing waits on top of them
    await waitFor('stored', async () => (await countFinal(ch)) >= expected.events, 60_000);
    await c.stop();
    expect((await actualTotals(ch)).events).toEqual(expected.perJob);
  });

  it('a transactional producer: committed events stored, aborted ones not, and the markers leave no lag', async () => {
    const { topic, dlq, ch } = await setup(1);
    const expected = emptyExpected();
    const committed = makeStream(300, 4, expected, 61);
    const aborted = makeStream(100, 2, emptyExpected(), 62).map((v) => v.replace('"job_id":"', '"job_id":"aborted-'));
    // Another service's producer with Kafka transactions (as Kafka Streams or an exactly-once sink writes).
    const producer = new Producer({
      clientId: 'it-transactional',
      bootstrapBrokers: KAFKA.brokers,
      idempotent: true,
      transactionalId: uniqueName('tx'),
      serializers: stringSerializers,
    });
    try {
      const send = (values: string[]) => ({ messages: values.map((value) => ({ topic, value })) });
      const t1 = await producer.beginTransaction();
      await t1.send(send(committed.slice(0, 200)));
      await t1.commit();
      const t2 = await producer.beginTransaction();
      await t2.send(send(aborted));
      await t2.abort();
      const t3 = await producer.beginTransaction();
      await t3.send(send(committed.slice(200)));
      await t3.commit(); // the partition ends with a commit marker, not an event
    } finally {
      await producer.close();
    }
    const c = await run(ch, topic, dlq, { stallMs: 2_000 });
    await waitFor('committed events stored', async () => (await countFinal(ch)) >= expected.events, 30_000);
    // Read (read_committed) and written: everything up to the high watermark, markers included.
    await waitFor('lag zero', allCaughtUp(c, 1), 15_000);
    await new Promise((r) => setTimeout(r, 2_500)); // past stallMs: nothing written, nothing behind
    expect(c.readiness()).toEqual({ ready: true });
    await c.stop();
    expect(c.stats()).toMatchObject({ deadLettered: 0, idleRestarts: 0 });
    const a = await actualTotals(ch);
    expect(a.stored).toBe(expected.events);
    expect(a.events).toEqual(expected.perJob);
  });

  it('dead letters larger than the dead-letter topic accepts: every one written, the events behind them stored', async () => {
    // The dead-letter topic takes 1 MiB per record batch (Kafka's default); the poison is 3,000
    // messages of 1 KiB that are not UTF-8 (0xff never is) and do not compress — 3 MiB of dead
    // letters in one cycle — and one message of 1.5 MiB, larger than the topic takes on its own.
    const topic = uniqueName('it-events');
    const dlq = uniqueName('it-dlq');
    cleanups.push(
      await createTopics([
        { topic, partitions: 1 },
        { topic: dlq, partitions: 1, configs: { 'max.message.bytes': String(1024 * 1024) } },
      ]),
    );
    const ch = await createClickHouse({ database: uniqueName('it').replace('-', '_'), dataDir });
    cleanups.push(() => ch.close());
    await migrate(ch, {});
    const garbage = (n: number) => Buffer.concat([Buffer.from([0xff]), randomBytes(n - 1)]);
    const poison = Array.from({ length: 3_000 }, () => garbage(1_024));
    const big = garbage(1_536 * 1_024);
    for (let i = 0; i < poison.length; i += 200) await produceBytes(topic, poison.slice(i, i + 200));
    await produceBytes(topic, [big]);
    const expected = emptyExpected();
    await produce(topic, makeStream(100, 5, expected, 71));
    const c = await run(ch, topic, dlq, { cycleMs: 1_000 });
    await waitFor('the events behind the poison stored', async () => (await countFinal(ch)) >= expected.events, 60_000);
    await c.stop();
    expect(c.stats().deadLettered).toBe(poison.length + 1);
    const letters = await readTopic(dlq, poison.length + 1);
    expect(letters.every((m) => m.headers.get(DLQ_HEADERS.reason) === 'invalid_utf8')).toBe(true);
    const whole = letters.filter((m) => !m.headers.has(DLQ_HEADERS.valueBytes));
    expect(new Set(whole.map((m) => m.value.toString('hex')))).toEqual(new Set(poison.map((v) => v.toString('hex'))));
    // The one too large for the topic: its first 64 KiB, its length, and where the original is.
    const cut = letters.filter((m) => m.headers.has(DLQ_HEADERS.valueBytes));
    expect(cut).toHaveLength(1);
    expect(cut[0]!.headers.get(DLQ_HEADERS.valueBytes)).toBe(String(big.length));
    expect(cut[0]!.value.equals(big.subarray(0, 64 * 1024))).toBe(true);
    expect(cut[0]!.headers.get(DLQ_HEADERS.sourceOffset)).toBe(String(poison.length));
    expect((await actualTotals(ch)).events).toEqual(expected.perJob);
  });

  it('months interleaved in one partition: one insert per month per cycle, totals exact', async () => {
    const { topic, dlq, ch } = await setup(1);
    const expected = emptyExpected();
    // Alternating months message by message (late events around a month boundary).
    await produce(topic, makeStream(3_000, 8, expected, 41, ['2026-01-31', '2026-02-01']));
    const c = await run(ch, topic, dlq, { maxCycleMessages: 1_000, cycleMs: 500 });
    await waitFor('stored', async () => (await countFinal(ch)) >= expected.events, 30_000);
    await c.stop();
    const s = c.stats();
    expect(s.inserts).toBeLessThanOrEqual(2 * s.cycles);
    const a = await actualTotals(ch);
    expect(a.events).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
  });
});
