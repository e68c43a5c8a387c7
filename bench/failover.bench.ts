// Broker failure: the scenario of test/stack/kafka-failover.integration.test.ts (one definition,
// test/stack/kafka-failover.ts) run for each Kafka client candidate behind the SDK's Transport, on
// one private 3-node cluster, one after the other: the SDK's own publisher (@platformatic/kafka)
// and the same buffer over kafkajs with its internal retries off (bench/kafka-candidates.ts).
// The project's consumer service runs in both (its own process); secondsToCatchUp is from the kill
// until the pipeline is less than a second behind again (test/stack/kafka-failover.ts, KillResult).
import { BufferedPublisher } from '@aurea/sdk';
import { startCluster } from '../test/stack/kafka-cluster.js';
import { failoverJson, runFailover, type FailoverResult } from '../test/stack/kafka-failover.js';
import { kafkajsTransport } from './kafka-candidates.js';
import { report, round } from './harness.js';

const RATE = Number(process.env.BENCH_FAILOVER_RATE ?? 2_000);
const KILLS = Number(process.env.BENCH_FAILOVER_KILLS ?? 3);
const DOWN_MS = Number(process.env.BENCH_FAILOVER_DOWN_MS ?? 20_000);
const log = (m: string) => console.log(m);

const cluster = await startCluster(3);
const results: Record<string, FailoverResult> = {};
try {
  results.platformatic = await runFailover({ cluster, rate: RATE, kills: KILLS, downMs: DOWN_MS, log });
  console.log(`@platformatic/kafka (shipped): ${failoverJson(results.platformatic)}`);
  results.kafkajs = await runFailover({
    cluster,
    rate: RATE,
    kills: KILLS,
    downMs: DOWN_MS,
    log,
    outage: false,
    publisher: (brokers, topic) =>
      new BufferedPublisher(kafkajsTransport({ brokers, topic, clientId: 'aurea-failover-kafkajs' })),
  });
  console.log(`kafkajs, retries off: ${failoverJson(results.kafkajs)}`);
} finally {
  await cluster.stop();
}

const dropped = (r: FailoverResult) => Object.values(r.dropped).reduce((a, b) => a + b, 0);
const p = results.platformatic;
const k = results.kafkajs;
report({
  results: {
    failover: {
      secondsToCatchUp: round(p.secondsToCatchUp, 1),
      sdkSecondsToDrain: round(Math.max(...p.kills.map((x) => x.secondsToDrain)), 1),
      sdkPeakBufferedEvents: Math.max(...p.kills.map((x) => x.peakBufferedEvents)),
      sdkPeakBufferedMiB: round(Math.max(...p.kills.map((x) => x.peakBufferedBytes)) / 2 ** 20, 1),
      duplicates: p.messagesInKafka - p.distinctInKafka,
      droppedEvents: dropped(p),
      acknowledgedLost: p.acknowledgedLost,
      events: p.tasks,
      monitorTaskMaxMs: round(p.monitorTask.maxMs, 2),
      monitorTaskP99Ms: round(p.monitorTask.p99Ms, 3),
      consumerSecondsNotReady: round(Math.max(...p.kills.map((x) => x.secondsNotReady)), 1),
      storedRowsMissing: p.stored.kafkaRows - p.stored.rows,
      storedCostNanosOff: Number(p.stored.kafkaCostNanos - p.stored.costNanos),
      outageSecondsToNotReady: round(p.outage!.secondsToNotReady, 1),
      outageSecondsToReadyAgain: round(p.outage!.secondsToReadyAgain, 1),
      kafkajsSecondsToCatchUp: round(k.secondsToCatchUp, 1),
      kafkajsDroppedEvents: dropped(k),
      kafkajsAcknowledgedLost: k.acknowledgedLost,
      kafkajsEvents: k.tasks,
      kafkajsSdkSecondsToDrain: round(Math.max(...k.kills.map((x) => x.secondsToDrain)), 1),
      kafkajsDuplicates: k.messagesInKafka - k.distinctInKafka,
    },
  },
  rows: [
    {
      benchmark: 'failover',
      figure: 'acknowledged events lost (@platformatic/kafka)',
      value: p.acknowledgedLost,
      unit: 'events',
      target: '0',
      met: p.acknowledgedLost === 0,
    },
    {
      benchmark: 'failover',
      figure: 'dropped events (@platformatic/kafka)',
      value: dropped(p),
      unit: 'events',
      target: '0',
      met: dropped(p) === 0,
    },
    {
      benchmark: 'failover',
      figure: 'seconds to catch up after a kill (@platformatic/kafka)',
      value: p.secondsToCatchUp,
      unit: 's',
      target: '< 30 s',
      met: p.secondsToCatchUp < 30,
    },
    {
      benchmark: 'failover',
      figure: 'SDK buffer peak after a kill (@platformatic/kafka)',
      value: Math.max(...p.kills.map((x) => x.peakBufferedBytes)) / 2 ** 20,
      unit: 'MiB',
    },
    {
      benchmark: 'failover',
      figure: 'kill → SDK delivering every partition again (@platformatic/kafka)',
      value: Math.max(...p.kills.map((x) => x.secondsToDrain)),
      unit: 's',
    },
    {
      benchmark: 'failover',
      figure: 'acknowledged events lost (kafkajs, retries off)',
      value: k.acknowledgedLost,
      unit: 'events',
    },
    { benchmark: 'failover', figure: 'dropped events (kafkajs, retries off)', value: dropped(k), unit: 'events' },
    {
      benchmark: 'failover',
      figure: 'seconds to catch up after a kill (kafkajs, retries off)',
      value: k.secondsToCatchUp,
      unit: 's',
    },
  ],
  notes: [
    `${RATE} events/s through monitorTask, ${KILLS} SIGKILLs of the broker leading most partitions, ${DOWN_MS / 1000} s down each; 3 KRaft nodes, 6 partitions, replication 3, min.insync.replicas 2; catch-up = from the kill until the project's consumer (its own process, embedded ClickHouse) is ready with less than a second of traffic behind the high watermarks (in two /ready samples in a row, 250 ms apart) and the SDK holds less than a second of events; SDK delivering again = its buffer back under one second of events; outage = every broker SIGKILLed for 15 s after the run, with the consumer running (seconds until /ready is non-200, and until it is 200 again after the restart).`,
  ],
});
