// The Kafka client candidates behind the SDK's Transport seam, measured side by side by
// bench/producer.bench.ts and bench/failover.bench.ts (docs/kafka.md has the results):
//  - platformatic: the transport the SDK ships (services/sdk/src/kafka/transport.ts);
//  - kafkajs: kafkajs 2.2.4 with its internal retries off (non-idempotent: kafkajs refuses an
//    idempotent producer without retries), acks=all, gzip, one partition per send, so a failed
//    send rejects and the publisher resends the whole batch — the configuration that sidesteps
//    the per-broker bookkeeping of its retry loop (tulios/kafkajs#1303).
import kafkajs from 'kafkajs';
import { createKafkaTransport, partitionForKey, type Transport } from '@aurea/sdk';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

export type Candidate = 'platformatic' | 'kafkajs';
export const CANDIDATES: Candidate[] = ['platformatic', 'kafkajs'];

export function kafkajsTransport(o: { brokers: string[]; topic: string; clientId: string }): Transport {
  const kafka = new Kafka({
    clientId: o.clientId,
    brokers: o.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ idempotent: false, allowAutoTopicCreation: false, retry: { retries: 0 } });
  const admin = kafka.admin();
  let partitions = 0;
  let connected = false;
  return {
    connect: async () => {
      if (!connected) {
        await producer.connect();
        await admin.connect();
        connected = true;
      }
      const md = await admin.fetchTopicMetadata({ topics: [o.topic] });
      partitions = md.topics[0]?.partitions.length ?? 0;
      if (partitions < 1) throw new Error(`topic ${o.topic} has no partitions`);
    },
    partitionFor: (key) => partitionForKey(key, partitions),
    send: async (partition, messages) => {
      await producer.send({
        topic: o.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: messages.map((m) => ({ key: m.key, value: m.value, partition })),
      });
    },
    disconnect: async () => {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}

export function candidateTransport(c: Candidate, o: { brokers: string[]; topic: string; clientId: string }): Transport {
  return c === 'kafkajs' ? kafkajsTransport(o) : createKafkaTransport(o);
}
