// The services' Kafka clients against the real broker of the local stack: every codec a producer
// may use comes back decoded, and a consumer restarted after a crash (SIGKILL, no LeaveGroup) gets
// its partitions back without waiting out the dead member's session (docs/kafka.md has the figures).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createAdmin, createConsumer, createProducer, kafkaConfigFromEnv } from './kafka.js';

const brokers = [`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`];
const base = { brokers, clientId: 'aurea-common-kafka-test' };
const admin = createAdmin(base);
const topics: string[] = [];
const name = (p: string) => `${p}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

async function newTopic(partitions: number): Promise<string> {
  const topic = name('aurea-common-kafka');
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  topics.push(topic);
  return topic;
}

afterAll(async () => {
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.close();
});

describe('kafkaConfigFromEnv', () => {
  it('derives a stable static member id from the pod or host name', () => {
    expect(kafkaConfigFromEnv('aurea-consumer', { POD_NAME: 'consumer-0' }).groupInstanceId).toBe(
      'aurea-consumer-consumer-0',
    );
    expect(kafkaConfigFromEnv('aurea-consumer', { HOSTNAME: 'h1', KAFKA_BROKERS: 'a:1, b:2' })).toMatchObject({
      groupInstanceId: 'aurea-consumer-h1',
      brokers: ['a:1', 'b:2'],
      clientId: 'aurea-consumer',
    });
    expect(() => kafkaConfigFromEnv('x', { KAFKA_SESSION_TIMEOUT_MS: '10' })).toThrow(/KAFKA_SESSION_TIMEOUT_MS/);
  });
});

describe('codecs', () => {
  it('decodes gzip, snappy, lz4 and zstd batches', async () => {
    const topic = await newTopic(1);
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
    for (const compression of codecs) {
      const producer = createProducer({ ...base, compression });
      await producer.send({
        messages: Array.from({ length: 50 }, (_, i) => ({ topic, key: compression, value: `${compression}-${i}` })),
      });
      await producer.close();
    }
    const consumer = createConsumer(base, { groupId: name('codecs'), groupInstanceId: null, maxWaitMs: 100 });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const values: string[] = [];
    for await (const m of stream) {
      values.push(m.value.toString());
      if (values.length === 200) break;
    }
    await consumer.close(true);
    expect(values).toEqual(codecs.flatMap((c) => Array.from({ length: 50 }, (_, i) => `${c}-${i}`)));
  });
});

// A consumer process that prints `{ at, value }` per message.
function member(topic: string, groupId: string, groupInstanceId: string | null): ChildProcess {
  const script = `
    import { createConsumer } from '@aurea/common';
    const c = createConsumer({ brokers: ${JSON.stringify(brokers)}, clientId: 'member', sessionTimeoutMs: 20000 },
      { groupId: ${JSON.stringify(groupId)}, groupInstanceId: ${JSON.stringify(groupInstanceId)}, maxWaitMs: 100 });
    const s = await c.consume({ topics: [${JSON.stringify(topic)}], mode: 'earliest', autocommit: 100 });
    s.on('data', (m) => console.log(JSON.stringify({ at: Date.now(), value: m.value.toString() })));`;
  return spawn(join(process.cwd(), 'node_modules/.bin/tsx'), ['--input-type=module', '-e', script], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function firstValue(child: ChildProcess, prefix: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ${prefix} message within 60 s`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        const m = JSON.parse(line) as { at: number; value: string };
        if (m.value.startsWith(prefix)) {
          clearTimeout(timer);
          resolve(m.at);
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
  });
}

const KEYS = ['k0', 'k2', 'k3'];

/** Seconds from starting a replacement member (after a SIGKILL) to its first new message. */
async function rejoinSeconds(groupInstanceId: string | null): Promise<number> {
  const topic = await newTopic(3);
  const groupId = name('rejoin');
  const producer = createProducer(base);
  try {
    // One key per partition of the three (Kafka's partitioner: k0 → 2, k2 → 0, k3 → 1).
    await producer.send({ messages: KEYS.map((key, i) => ({ topic, key, value: `before-${i}` })) });
    const first = member(topic, groupId, groupInstanceId);
    await firstValue(first, 'before-');
    await new Promise((r) => setTimeout(r, 4_000)); // offset commits and heartbeats went out
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const started = Date.now();
    const second = member(topic, groupId, groupInstanceId);
    try {
      await producer.send({ messages: KEYS.map((key, i) => ({ topic, key, value: `after-${i}` })) });
      return ((await firstValue(second, 'after-')) - started) / 1000;
    } finally {
      second.kill('SIGKILL');
    }
  } finally {
    await producer.close();
  }
}

describe('a consumer restarted after a crash', () => {
  it('gets its partitions back without waiting out the dead member session (static and dynamic)', async () => {
    const staticSeconds = await rejoinSeconds(name('static-member'));
    const dynamicSeconds = await rejoinSeconds(null);
    console.log(`rejoin after SIGKILL (session 20 s): static ${staticSeconds} s, dynamic ${dynamicSeconds} s`);
    // The session is 20 s: a replacement that waited for the dead member would take longer than that.
    expect(staticSeconds).toBeLessThan(10);
    expect(dynamicSeconds).toBeLessThan(15);
  }, 120_000);
});

describe('partitioning', () => {
  it('the services’ producers put a key where Kafka’s Java partitioner (kafkajs’ default) puts it', async () => {
    const topic = await newTopic(7);
    const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? randomBytes(8).toString('hex') : `job-${i}-ä`));
    const producer = createProducer(base);
    await producer.send({ messages: keys.map((key) => ({ topic, key, value: key })) });
    await producer.close();
    const consumer = createConsumer(base, { groupId: name('partitions'), groupInstanceId: null, maxWaitMs: 100 });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const seen = new Map<string, number>();
    for await (const m of stream) {
      seen.set(m.value.toString(), m.partition);
      if (seen.size === keys.length) break;
    }
    await consumer.close(true);
    const java = kafkajs.Partitioners.DefaultPartitioner();
    const meta = Array.from({ length: 7 }, (_, i) => ({ partitionId: i, leader: 1 }));
    for (const key of keys)
      expect(seen.get(key), key).toBe(java({ topic, partitionMetadata: meta as never, message: { key, value: '' } }));
  });
});
