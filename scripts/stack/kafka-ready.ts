// Health probe for the local Kafka broker, used by scripts/stack/start.sh: succeeds when the
// broker answers metadata requests, then creates the project's topics (idempotent).
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS } from '@aurea/events';

const broker = process.argv[2] ?? '127.0.0.1:9092';
const kafka = new Kafka({
  clientId: 'aurea-stack-ready',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  retry: { retries: 0 },
});
const admin = kafka.admin();
try {
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [] });
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: TOPICS.taskEvents, numPartitions: 6 },
    { topic: TOPICS.deadLetter, numPartitions: 1 },
    { topic: TOPICS.otlpSpans, numPartitions: 6 },
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length > 0)
    await admin.createTopics({ topics: wanted.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await admin.disconnect();
}
