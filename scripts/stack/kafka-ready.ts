// Health probe for the local Kafka broker(s), used by scripts/stack/start.sh and kafka-cluster.sh:
// succeeds when the brokers answer metadata requests (all KAFKA_EXPECT_BROKERS of them), then creates
// the project's topics (idempotent) with KAFKA_REPLICATION_FACTOR replicas (1) and, when more than
// one, min.insync.replicas KAFKA_MIN_INSYNC_REPLICAS. The project's Kafka client (docs/kafka.md).
import { Admin } from '@platformatic/kafka';
import { TOPICS } from '@aurea/events';

const brokers = (process.argv[2] ?? '127.0.0.1:9092').split(',');
const replicas = Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1);
const minIsr = process.env.KAFKA_MIN_INSYNC_REPLICAS;
const expectBrokers = Number(process.env.KAFKA_EXPECT_BROKERS ?? 1);
const admin = new Admin({
  clientId: 'aurea-stack-ready',
  bootstrapBrokers: brokers,
  retries: 0,
  connectTimeout: 2_000,
});
try {
  const md = await admin.metadata({ topics: [], forceUpdate: true });
  if (md.brokers.size < expectBrokers) throw new Error(`${md.brokers.size} of ${expectBrokers} brokers registered`);
  const existing = new Set(await admin.listTopics());
  const configs = replicas > 1 && minIsr ? [{ name: 'min.insync.replicas', value: String(Number(minIsr)) }] : [];
  for (const [topic, partitions] of [
    [TOPICS.taskEvents, 6],
    [TOPICS.deadLetter, 1],
    [TOPICS.otlpSpans, 6],
  ] as const) {
    if (!existing.has(topic)) await admin.createTopics({ topics: [topic], partitions, replicas, configs });
  }
  // Leaders elected for every partition of every topic (producers fail until then).
  const ready = await admin.metadata({ topics: [TOPICS.taskEvents, TOPICS.deadLetter, TOPICS.otlpSpans] });
  for (const [name, t] of ready.topics)
    if (t.partitions.some((p) => p.leader < 0)) throw new Error(`topic ${name}: a partition has no leader yet`);
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await admin.close();
}
