// Health probe for the local Kafka broker(s), used by scripts/stack/start.sh and kafka-cluster.sh:
// succeeds when the brokers answer metadata requests (all KAFKA_EXPECT_BROKERS of them), then creates
// the project's topics (idempotent) with KAFKA_REPLICATION_FACTOR replicas (1) and, when more than
// one, min.insync.replicas KAFKA_MIN_INSYNC_REPLICAS.
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@aurea/events';

const brokers = (process.argv[2] ?? '127.0.0.1:9092').split(',');
const replicationFactor = Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1);
const minIsr = process.env.KAFKA_MIN_INSYNC_REPLICAS;
const expectBrokers = Number(process.env.KAFKA_EXPECT_BROKERS ?? 1);
const kafka = new Kafka({
  clientId: 'aurea-stack-ready',
  brokers,
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (cluster.brokers.length < expectBrokers)
    throw new Error(`${cluster.brokers.length} of ${expectBrokers} brokers registered`);
  const existing = new Set(await admin.listTopics());
  const configEntries =
    replicationFactor > 1 && minIsr ? [{ name: 'min.insync.replicas', value: String(Number(minIsr)) }] : [];
  const wanted = [
    { topic: TOPICS.taskEvents, numPartitions: 6 },
    { topic: TOPICS.deadLetter, numPartitions: 1 },
    { topic: TOPICS.otlpSpans, numPartitions: 6 },
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0)
    await admin.createTopics({
      topics: wanted.map((t) => ({ ...t, replicationFactor, configEntries })),
      waitForLeaders: true,
    });
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
