// The SDK's Kafka wire: @platformatic/kafka (docs/kafka.md says why this client). Idempotent
// producer (acks=all), gzip (every Kafka consumer decodes it without plug-ins), keyed by job_id,
// one partition per request. A send resolves only when the partition's leader answered without
// error after replicating to min.insync.replicas; the client retries a few times inside, towards the
// partition's current leader and with the same sequence numbers, so the broker drops what it already
// has (a request spanning partitions would be retried towards its first partition's leader only, and
// a failed one resent under a new producer id: duplicates, docs/kafka.md); then it rejects and the
// publisher resends.
import { Producer, stringSerializers } from '@platformatic/kafka';
import type { Transport } from '../publisher.js';
import { partitionForKey } from './partitioner.js';

export interface KafkaTransportOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  /** How long to wait for one broker response (ms; default 10 s). */
  requestTimeoutMs?: number;
  /** Attempts inside the client before a send rejects (default 3, 250 ms apart). */
  retries?: number;
}

export function createKafkaTransport(opts: KafkaTransportOptions): Transport {
  let producer: Producer<string, string, string, string> | undefined;
  let partitions = 0;
  const open = (): Producer<string, string, string, string> =>
    (producer ??= new Producer({
      clientId: opts.clientId,
      bootstrapBrokers: opts.brokers,
      idempotent: true,
      compression: 'gzip',
      serializers: stringSerializers,
      autocreateTopics: false,
      connectTimeout: 3_000,
      requestTimeout: opts.requestTimeoutMs ?? 10_000,
      timeout: opts.requestTimeoutMs ?? 10_000,
      // Over 1: the client turns 0 or 1 into "forever" for an idempotent producer.
      retries: Math.max(2, opts.retries ?? 3),
      retryDelay: 250,
      metadataMaxAge: 5_000,
    }));
  const readPartitions = async (): Promise<void> => {
    const md = await open().metadata({ topics: [opts.topic], forceUpdate: true });
    const n = md.topics.get(opts.topic)?.partitionsCount ?? 0;
    if (n < 1) throw new Error(`topic ${opts.topic} has no partitions`);
    partitions = n;
  };
  return {
    connect: readPartitions,
    partitionFor: (key) => partitionForKey(key, partitions),
    send: async (partition, messages) => {
      try {
        await open().send({
          messages: messages.map((m) => ({ topic: opts.topic, partition, key: m.key, value: m.value })),
        });
      } catch (err) {
        // Pick up a changed partition count for the next events (placed after this).
        await readPartitions().catch(() => undefined);
        throw err;
      }
    },
    disconnect: async () => {
      const p = producer;
      producer = undefined;
      await p?.close(true);
    },
  };
}
