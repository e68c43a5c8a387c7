// Benchmark 1: monitorTask overhead over a bare call (ns per task, including metric recording
// and event enqueue), with Kafka up and with Kafka down (a closed port): the caller must not
// notice. Median of BENCH_SDK_RUNS runs of BENCH_SDK_ITERS tasks each; bare and monitored loops
// alternate in the same process.
import { init } from '@aurea/sdk';
import { medianOf, report, round } from './harness.js';

const ITERS = Number(process.env.BENCH_SDK_ITERS ?? 100_000);
const RUNS = Number(process.env.BENCH_SDK_RUNS ?? 5);
const broker = `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
const topic = process.env.BENCH_SDK_TOPIC ?? 'aurea.task-events.v1';

// An empty async function is the point: the overhead is measured around it.
// eslint-disable-next-line @typescript-eslint/require-await
const work = async (): Promise<{ tokens: { input: number; output: number } }> => ({ tokens: { input: 10, output: 5 } });

async function measure(kafkaBrokers: string[]): Promise<{ overheadNs: number; bareNs: number; dropped: number }> {
  const aurea = await init({
    serviceName: `bench-sdk-${Date.now().toString(36)}`,
    otlp: false,
    kafka: { brokers: kafkaBrokers, topic, maxBufferedEvents: 20_000 },
  });
  const task = { jobId: 'bench-job', taskName: 'bench', model: 'gpt-4o-mini', provider: 'openai' };
  // Warm up both paths (JIT, metric series creation).
  for (let i = 0; i < 10_000; i++) {
    await work();
    await aurea.monitorTask(task, work);
  }
  const overhead = await medianOf(RUNS, async () => {
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) await work();
    const bare = Number(process.hrtime.bigint() - t0) / ITERS;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) await aurea.monitorTask(task, work);
    const monitored = Number(process.hrtime.bigint() - t0) / ITERS;
    return monitored - bare;
  });
  const bare = await medianOf(3, async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITERS; i++) await work();
    return Number(process.hrtime.bigint() - t0) / ITERS;
  });
  const stats = aurea.publisher?.stats();
  await aurea.shutdown({ deadlineMs: 3_000 });
  return {
    overheadNs: overhead.median,
    bareNs: bare.median,
    dropped: [...(stats?.dropped.values() ?? [])].reduce((a, b) => a + b, 0),
  };
}

const up = await measure([broker]);
console.log(`kafka up: ${up.overheadNs.toFixed(0)} ns/task over a ${up.bareNs.toFixed(0)} ns bare call`);
const down = await measure(['127.0.0.1:1']);
console.log(
  `kafka down: ${down.overheadNs.toFixed(0)} ns/task (${down.dropped} events dropped past the buffer bound, as designed)`,
);

report({
  results: {
    sdk: {
      monitorTaskOverheadNs: round(up.overheadNs, 0),
      monitorTaskOverheadNsKafkaDown: round(down.overheadNs, 0),
      bareCallNs: round(up.bareNs, 0),
    },
  },
  rows: [
    {
      benchmark: 'sdk',
      figure: 'monitorTask overhead (Kafka up)',
      value: up.overheadNs,
      unit: 'ns/task',
      target: '< 3000 ns',
      met: up.overheadNs < 3000,
    },
    {
      benchmark: 'sdk',
      figure: 'monitorTask overhead (Kafka down)',
      value: down.overheadNs,
      unit: 'ns/task',
      target: '< 3000 ns',
      met: down.overheadNs < 3000,
    },
  ],
  notes: [
    `${ITERS} tasks per run, median of ${RUNS}; bare call = an empty async function returning token usage (${round(up.bareNs, 0)} ns).`,
  ],
});
