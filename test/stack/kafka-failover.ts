// The broker-failure scenario, one definition for test/stack/kafka-failover.integration.test.ts
// and bench/failover.bench.ts (docs/kafka.md): the SDK's public API (init with every broker,
// monitorTask around an LLM-shaped call) produces at a fixed rate into a 6-partition topic
// (replication 3, min.insync.replicas 2); the broker leading most partitions is SIGKILLed, left
// down, restarted, and the next kill waits until every replica is back in sync. The project's
// consumer service (services/consumer/src/main.ts, its own process, embedded ClickHouse) writes the
// topic meanwhile; its /ready is sampled for lag and readiness. After the kills the SDK shuts down,
// the consumer catches up, and every broker is stopped for a while (the consumer cannot make
// progress: /ready must say so) and started again. Then the consumer stops, the topic is read back
// in full to count what Kafka holds against what the SDK counted as published, and ClickHouse's
// totals are compared with what Kafka holds.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { createClickHouse } from '@aurea/clickhouse';
import { init, type EventPublisher } from '@aurea/sdk';
import type { LocalCluster } from './kafka-cluster.js';

export interface FailoverOptions {
  cluster: LocalCluster;
  /** Events per second from monitorTask (default 2,000). */
  rate?: number;
  kills?: number;
  downMs?: number;
  warmupMs?: number;
  /** After a restarted broker is back in sync, before the next kill. */
  settleMs?: number;
  /** Stop every broker at the end, with the consumer running (default true). */
  outage?: boolean;
  /** Instead of the SDK's own Kafka publisher (to measure another Transport behind the same buffer). */
  publisher?: (brokers: string[], topic: string) => EventPublisher;
  log?: (msg: string) => void;
}

export interface KillResult {
  node: number;
  /** Partitions it led when killed. */
  ledPartitions: number;
  /** Most events (and bytes) the SDK held at once after this kill. */
  peakBufferedEvents: number;
  peakBufferedBytes: number;
  /** From the kill until the SDK last held a second's worth of events or more (before the next kill). */
  secondsToDrain: number;
  /**
   * From the kill until the last moment (before the next kill) the pipeline was a second or more
   * behind: the consumer not ready, or its lag behind the brokers' high watermarks, or the SDK's
   * buffer, at least one second of traffic (lag in two /ready samples in a row).
   */
  secondsToCatchUp: number;
  /** Longest run of non-200 /ready answers after this kill. */
  secondsNotReady: number;
}

/** The whole cluster down, with the consumer running: what /ready said. */
export interface OutageResult {
  /** From stopping the last broker to the first non-200 /ready. */
  secondsToNotReady: number;
  /** /ready answers while every broker was down after that first non-200, and how many were 200. */
  samplesWhileDown: number;
  readyWhileDown: number;
  /** From starting the brokers again to /ready 200 (the same consumer process). */
  secondsToReadyAgain: number;
}

/** ClickHouse (task_events FINAL) against the distinct events Kafka holds. */
export interface StoredTotals {
  rows: number;
  inputTokens: number;
  outputTokens: number;
  costNanos: bigint;
  /** The same sums over the distinct events read back from Kafka. */
  kafkaRows: number;
  kafkaInputTokens: number;
  kafkaOutputTokens: number;
  kafkaCostNanos: bigint;
}

export interface FailoverResult {
  topic: string;
  /** monitorTask calls made. */
  tasks: number;
  /** Counted by the SDK as acknowledged by Kafka. */
  published: number;
  dropped: Record<string, number>;
  /** Distinct events of this run in the topic, read back after the run. */
  distinctInKafka: number;
  /** Messages in the topic (duplicates after ambiguous failures included). */
  messagesInKafka: number;
  /** Counted as published but absent from Kafka (every accepted event ends acknowledged or dropped at shutdown). */
  acknowledgedLost: number;
  monitorTask: { throws: number; maxMs: number; p99Ms: number };
  kills: KillResult[];
  /** Worst of the kills. */
  secondsToCatchUp: number;
  outage: OutageResult | null;
  stored: StoredTotals;
  /** The consumer process's exit code after SIGTERM. */
  consumerExitCode: number | null;
  sdkWarnings: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // metadata may fail while the cluster moves leaders; try again
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

interface ConsumerProcess {
  /** GET /ready: the status code, the total lag in messages (-1 when not answered) and the body. */
  ready(): Promise<{ status: number; lag: number; body: string }>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

/** The consumer service as deployed (its own process), on `topic`, storing into `dataDir`. */
async function startConsumerProcess(brokers: string[], topic: string, dlq: string, dataDir: string, logDir: string) {
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const root = join(import.meta.dirname, '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/consumer/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_GROUP_INSTANCE_ID: `aurea-failover-consumer-${topic}`,
      CLICKHOUSE_DATA_DIR: dataDir,
      CLICKHOUSE_DATABASE: 'failover',
      CONSUMER_TOPIC: topic,
      CONSUMER_DLQ_TOPIC: dlq,
      CONSUMER_GROUP_ID: `aurea-failover-${topic}`,
      CONSUMER_HTTP_PORT: String(port),
      CONSUMER_LAG_INTERVAL_MS: '500',
      OTEL_EXPORTER_OTLP_ENDPOINT: process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
      LOG_LEVEL: process.env.AUREA_FAILOVER_CONSUMER_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  // Its whole log goes to a file next to the cluster's (kept after a failure); the tail in memory.
  const logFile = createWriteStream(join(logDir, `consumer-${topic}.log`));
  const keep = (d: Buffer) => {
    logFile.write(d);
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.on('exit', () => logFile.end());
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const proc: ConsumerProcess = {
    ready: async () => {
      try {
        const r = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(2_000) });
        const body = await r.text();
        const parsed = JSON.parse(body) as { lag?: Record<string, number> };
        const lag = Object.values(parsed.lag ?? {}).reduce((n, l) => n + l, 0);
        return { status: r.status, lag, body };
      } catch (err) {
        return { status: 0, lag: -1, body: (err as Error).message };
      }
    },
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
    output: () => out,
  };
  await until('the consumer to be ready', 90_000, async () => {
    if (child.exitCode !== null) throw new Error(`consumer exited ${child.exitCode}: ${out.slice(-2000)}`);
    return (await proc.ready()).status === 200;
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- consumer output ---\n${out.slice(-3000)}`);
  });
  return proc;
}

/** Reads the whole topic once (a fresh group, from the start, up to the high watermarks). */
async function readBack(brokers: string[], topic: string, onMessage: (value: string) => void): Promise<number> {
  const consumer = new Consumer({
    clientId: 'aurea-failover-readback',
    groupId: `aurea-readback-${randomBytes(4).toString('hex')}`,
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
    maxWaitTime: 100,
    maxBytes: 8 * 1024 * 1024,
  });
  try {
    const offsets = await consumer.listOffsets({ topics: [topic] });
    const total = (offsets.get(topic) ?? []).reduce((n, o) => n + Number(o), 0);
    if (total === 0) return 0;
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    let n = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read back ${n} of ${total} messages`)), 120_000);
      stream.on('data', (m) => {
        onMessage(m.value);
        if (++n >= total) {
          clearTimeout(timer);
          resolve();
        }
      });
      stream.once('error', (err: Error) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    await stream.close();
    return n;
  } finally {
    await consumer.close(true);
  }
}

/** A decimal string (ClickHouse's toString of a Decimal(18, 9) sum) in nano-dollars. */
function decimalToNanos(s: string): bigint {
  const [whole, frac = ''] = s.split('.');
  return BigInt(whole!) * 1_000_000_000n + BigInt((frac + '000000000').slice(0, 9));
}

export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const { cluster } = o;
  const rate = o.rate ?? 2_000;
  const kills = o.kills ?? 3;
  const downMs = o.downMs ?? 20_000;
  const log = (msg: string) => (o.log ?? (() => undefined))(`${new Date().toISOString()} ${msg}`);
  const topic = `failover-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const dlq = `${topic}-dlq`;
  const prefix = `${topic}:`;
  await cluster.createTopic(topic, 6);
  await cluster.createTopic(dlq, 1);
  await until('topic leaders', 30_000, async () =>
    (await cluster.partitions(topic)).every((p) => p.leader >= 0 && p.isr.length === Math.min(3, cluster.nodes)),
  );
  const dataDir = await mkdtemp(join(tmpdir(), 'aurea-failover-clickhouse-'));
  let consumer: ConsumerProcess | undefined;
  try {
    consumer = await startConsumerProcess(
      cluster.brokers,
      topic,
      dlq,
      dataDir,
      process.env.AUREA_FAILOVER_LOG_DIR ?? tmpdir(),
    );
    return await scenario(o, consumer, { cluster, rate, kills, downMs, log, topic, prefix, dataDir });
  } catch (err) {
    if (consumer) (err as Error).message += `\n--- consumer output ---\n${consumer.output().slice(-3000)}`;
    throw err;
  } finally {
    await consumer?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Run {
  cluster: LocalCluster;
  rate: number;
  kills: number;
  downMs: number;
  log: (msg: string) => void;
  topic: string;
  prefix: string;
  dataDir: string;
}

async function scenario(o: FailoverOptions, consumer: ConsumerProcess, r: Run): Promise<FailoverResult> {
  const { cluster, rate, kills, downMs, log, topic, prefix } = r;
  const capacity = Math.ceil((rate * ((o.warmupMs ?? 5_000) + kills * (downMs + 60_000) + 10_000)) / 1000);
  const durations = new Float64Array(capacity);

  // The consumer's /ready, sampled every 250 ms: [time, status, lag in messages].
  const readySamples: [number, number, number][] = [];
  let sampling = true;
  // Each change between "behind" (not ready, or a second's traffic of lag) and not is logged with
  // the consumer's own reason, so a slow catch-up can be read from the log.
  const readyLoop = (async () => {
    let wasBehind = false;
    while (sampling) {
      const t = Date.now();
      const { status, lag, body } = await consumer.ready();
      readySamples.push([t, status, lag]);
      const behind = status !== 200 || lag >= rate;
      if (behind !== wasBehind)
        log(`consumer ${behind ? 'behind' : 'caught up'}: /ready ${status} ${body.slice(0, 300)}`);
      wasBehind = behind;
      await sleep(250);
    }
  })();

  let sdkWarnings = 0;
  const quiet = { warn: () => void sdkWarnings++, error: () => void sdkWarnings++ };
  const aurea = await init({
    serviceName: 'aurea-failover',
    otlp: false,
    kafka: { brokers: cluster.brokers, topic },
    publisher: o.publisher?.(cluster.brokers, topic),
    logger: quiet,
  });

  // The load: monitorTask around an LLM-shaped call, paced to `rate` per second.
  let tasks = 0;
  let throws = 0;
  let loading = true;
  const started = Date.now();
  const load = (async () => {
    while (loading && tasks < capacity) {
      const due = Math.min(capacity, Math.floor(((Date.now() - started) * rate) / 1000));
      while (tasks < due) {
        const i = tasks++;
        const t0 = performance.now();
        try {
          await aurea.monitorTask(
            {
              jobId: `job-${i % 500}`,
              taskId: `${prefix}${i}`,
              taskName: 'summarize',
              model: 'gpt-4o-mini',
              provider: 'openai',
            },
            () => Promise.resolve({ usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 } }),
          );
        } catch {
          throws++;
        }
        durations[i] = performance.now() - t0;
      }
      await sleep(5);
    }
  })();

  const killResults: { node: number; ledPartitions: number; at: number }[] = [];
  // The SDK's buffer, sampled every 100 ms: [time, events, bytes].
  const samples: [number, number, number][] = [];
  const sampler = setInterval(() => {
    const st = aurea.publisher!.stats();
    samples.push([Date.now(), st.buffered, st.bufferedBytes ?? 0]);
  }, 100);
  let failure: Error | undefined;
  try {
    await sleep(o.warmupMs ?? 5_000);
    for (let k = 0; k < kills; k++) {
      const parts = await cluster.partitions(topic);
      const led = new Map<number, number>();
      for (const p of parts) led.set(p.leader, (led.get(p.leader) ?? 0) + 1);
      const [node, ledPartitions] = [...led.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
      const at = Date.now();
      await cluster.kill(node);
      killResults.push({ node, ledPartitions, at });
      log(`kill ${k + 1}/${kills}: node ${node} (led ${ledPartitions}/6 partitions), down ${downMs} ms`);
      await sleep(downMs);
      await cluster.startNode(node);
      await until(`node ${node} back in sync`, 120_000, async () =>
        (await cluster.partitions(topic)).every((p) => p.isr.length === Math.min(3, cluster.nodes)),
      );
      log(`node ${node} back in sync ${((Date.now() - at) / 1000).toFixed(1)} s after the kill`);
      await sleep(o.settleMs ?? 5_000);
    }
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err));
  }
  loading = false;
  await load;
  const loadEnd = Date.now();
  clearInterval(sampler);
  await aurea.shutdown({ deadlineMs: 60_000 });
  const stats = aurea.publisher!.stats();
  if (failure !== undefined) {
    sampling = false;
    await readyLoop;
    throw failure;
  }
  // Everything Kafka acknowledged is written by the consumer: ready, nothing behind.
  let last = '';
  await until('the consumer to catch up', 180_000, async () => {
    const x = await consumer.ready();
    last = `${x.status} ${x.body}`;
    return x.status === 200 && x.lag === 0;
  }).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}; last /ready: ${last}`);
  });
  log(`consumer caught up ${((Date.now() - loadEnd) / 1000).toFixed(1)} s after the load stopped`);
  sampling = false;
  await readyLoop;

  const outage = o.outage === false ? null : await wholeClusterOutage(cluster, consumer, log);
  const consumerExitCode = await consumer.stop();

  // What Kafka holds: every message of the topic, the distinct events of this run.
  const seen = new Uint8Array(tasks);
  let distinctInKafka = 0;
  let kafkaInputTokens = 0;
  let kafkaOutputTokens = 0;
  let kafkaCostNanos = 0n;
  const messagesInKafka = await readBack(cluster.brokers, topic, (value) => {
    const e = JSON.parse(value) as {
      task_id: string;
      cost_usd: number | string | null;
      usage: { input_tokens?: number; output_tokens?: number };
    };
    if (!e.task_id.startsWith(prefix)) return;
    const i = Number(e.task_id.slice(prefix.length));
    if (!(i >= 0 && i < tasks) || seen[i] === 1) return;
    seen[i] = 1;
    distinctInKafka++;
    kafkaInputTokens += e.usage.input_tokens ?? 0;
    kafkaOutputTokens += e.usage.output_tokens ?? 0;
    // An event's cost has at most 9 decimals (its JSON number or string); scaled and rounded exactly.
    if (e.cost_usd !== null) kafkaCostNanos += BigInt(Math.round(Number(e.cost_usd) * 1e9));
  });

  const ch = await createClickHouse({ database: 'failover', dataDir: r.dataDir });
  let stored: StoredTotals;
  try {
    const rs = await ch.client.query({
      query: `SELECT count() AS rows, toString(sum(input_tokens)) AS input, toString(sum(output_tokens)) AS output,
                     toString(sum(cost_usd)) AS cost
              FROM task_events FINAL`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ rows: string; input: string; output: string; cost: string }>();
    stored = {
      rows: Number(row!.rows),
      inputTokens: Number(row!.input),
      outputTokens: Number(row!.output),
      costNanos: decimalToNanos(row!.cost),
      kafkaRows: distinctInKafka,
      kafkaInputTokens,
      kafkaOutputTokens,
      kafkaCostNanos,
    };
  } finally {
    await ch.close();
  }

  const kResults: KillResult[] = killResults.map(({ node, ledPartitions, at }, k) => {
    const until = killResults[k + 1]?.at ?? loadEnd;
    const window = samples.filter(([t]) => t >= at && t <= until);
    const readyWindow = readySamples.filter(([t]) => t >= at && t <= until);
    let drained = at;
    for (const [t, events] of window) if (events >= rate) drained = t;
    // A second or more behind: not ready, lag of a second's traffic, or a second's traffic buffered.
    // Lag counts when two samples in a row show it: undisturbed, a cycle being written alone can
    // put one 250 ms sample just over a second (seen: 2,525 events at 2,000/s before any kill).
    let lastBehind = -1;
    const lagging = readyWindow.map(([, status, lag]) => status !== 200 || lag >= rate);
    readyWindow.forEach(([t, status], i) => {
      if (status !== 200 || (lagging[i] && (lagging[i - 1] === true || lagging[i + 1] === true)))
        lastBehind = Math.max(lastBehind, t);
    });
    for (const [t, events] of window) if (events >= rate) lastBehind = Math.max(lastBehind, t);
    let longest = 0;
    let since = -1;
    for (const [t, status] of readyWindow) {
      if (status !== 200) {
        if (since < 0) since = t;
        longest = Math.max(longest, t - since + 250);
      } else since = -1;
    }
    return {
      node,
      ledPartitions,
      peakBufferedEvents: Math.max(0, ...window.map((w) => w[1])),
      peakBufferedBytes: Math.max(0, ...window.map((w) => w[2])),
      secondsToDrain: (drained - at) / 1000,
      secondsToCatchUp: lastBehind < 0 ? 0 : (lastBehind + 250 - at) / 1000,
      secondsNotReady: longest / 1000,
    };
  });

  const sorted = Array.from(durations.subarray(0, tasks)).sort((a, b) => a - b);
  const dropped = Object.fromEntries(stats.dropped.entries());
  return {
    topic,
    tasks,
    published: stats.published,
    dropped,
    distinctInKafka,
    messagesInKafka,
    acknowledgedLost: Math.max(0, stats.published - distinctInKafka),
    monitorTask: {
      throws,
      maxMs: sorted[sorted.length - 1] ?? 0,
      p99Ms: sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0,
    },
    kills: kResults,
    secondsToCatchUp: Math.max(0, ...kResults.map((k) => k.secondsToCatchUp)),
    outage,
    stored,
    consumerExitCode,
    sdkWarnings,
  };
}

/** Every broker SIGKILLed for `downMs` while the consumer runs, then started again. */
async function wholeClusterOutage(
  cluster: LocalCluster,
  consumer: ConsumerProcess,
  log: (msg: string) => void,
  downMs = 15_000,
): Promise<OutageResult> {
  for (let n = 1; n <= cluster.nodes; n++) await cluster.kill(n);
  const stoppedAt = Date.now();
  log(`every broker killed; the consumer cannot make progress`);
  let notReadyAt = 0;
  const deadline = stoppedAt + 60_000;
  while (notReadyAt === 0 && Date.now() < deadline) {
    if ((await consumer.ready()).status !== 200) notReadyAt = Date.now();
    else await sleep(250);
  }
  if (notReadyAt === 0) throw new Error('/ready stayed 200 for 60 s with every broker down');
  let samplesWhileDown = 0;
  let readyWhileDown = 0;
  while (Date.now() < notReadyAt + downMs) {
    samplesWhileDown++;
    if ((await consumer.ready()).status === 200) readyWhileDown++;
    await sleep(250);
  }
  const restartAt = Date.now();
  for (let n = 1; n <= cluster.nodes; n++) await cluster.startNode(n);
  await until('/ready 200 with the brokers back', 180_000, async () => (await consumer.ready()).status === 200);
  const readyAt = Date.now();
  log(`brokers back; the consumer ready ${((readyAt - restartAt) / 1000).toFixed(1)} s after the restart`);
  return {
    secondsToNotReady: (notReadyAt - stoppedAt) / 1000,
    samplesWhileDown,
    readyWhileDown,
    secondsToReadyAgain: (readyAt - restartAt) / 1000,
  };
}

/** A result as JSON (nano-dollar sums are bigints). */
export function failoverJson(r: FailoverResult): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
