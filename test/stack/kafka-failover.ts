// The broker-failure scenario, one definition for test/stack/kafka-failover.integration.test.ts
// and bench/failover.bench.ts (docs/kafka.md): the SDK's public API (init with every broker,
// monitorTask around an LLM-shaped call) produces at a fixed rate into a 6-partition topic
// (replication 3, min.insync.replicas 2); the broker leading most partitions is SIGKILLed, left
// down, restarted, and the next kill waits until every replica is back in sync. A plain consumer
// group reads the topic meanwhile (for the catch-up time); at the end the SDK shuts down, and the
// topic is read back in full to count what Kafka holds against what the SDK counted as published.
import { randomBytes } from 'node:crypto';
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { createConsumer } from '@aurea/common';
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
  /** From the kill until every event published ≥ 1 s earlier has been read by the consumer group. */
  secondsToCatchUp: number;
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
  /** Errors the consumer group's stream reported (it is re-created after each). */
  consumerErrors: number;
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

/**
 * A consumer group reading the topic from the start, built like the services' consumers
 * (@aurea/common createConsumer: static membership); its stream is re-opened after an error.
 */
function startReader(
  brokers: string[],
  topic: string,
  onMessage: (value: string) => void,
  onError: (err: Error) => void,
): { stop(): Promise<void> } {
  const consumer = createConsumer(
    { brokers, clientId: 'aurea-failover-reader' },
    { groupId: `aurea-failover-${topic}`, groupInstanceId: `aurea-failover-reader-${topic}`, maxWaitMs: 100 },
  );
  let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
  let stopped = false;
  const open = async (): Promise<void> => {
    while (!stopped) {
      try {
        const s = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: 500 });
        stream = s;
        s.on('data', (m) => onMessage(m.value.toString()));
        await new Promise<void>((resolve) => {
          s.once('error', (err: Error) => {
            onError(err);
            resolve();
          });
          s.once('close', () => resolve());
        });
        if (!stopped) await s.close().catch(() => undefined);
      } catch (err) {
        onError(err as Error);
      }
      if (!stopped) await sleep(250);
    }
  };
  const running = open();
  return {
    stop: async () => {
      stopped = true;
      await stream?.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
      await running;
    },
  };
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

export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const { cluster } = o;
  const rate = o.rate ?? 2_000;
  const kills = o.kills ?? 3;
  const downMs = o.downMs ?? 20_000;
  const log = o.log ?? (() => undefined);
  const topic = `failover-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const prefix = `${topic}:`;
  await cluster.createTopic(topic, 6);
  await until('topic leaders', 30_000, async () =>
    (await cluster.partitions(topic)).every((p) => p.leader >= 0 && p.isr.length === Math.min(3, cluster.nodes)),
  );

  // Sized for the whole run: publish and read times per task, indexed by task number.
  const capacity = Math.ceil((rate * ((o.warmupMs ?? 5_000) + kills * (downMs + 60_000) + 10_000)) / 1000);
  const publishedAt = new Float64Array(capacity);
  const readAt = new Float64Array(capacity);
  const durations = new Float64Array(capacity);
  const indexOf = (value: string): number => {
    const m = /"task_id":"([^"]+)"/.exec(value);
    if (!m?.[1]?.startsWith(prefix)) return -1;
    return Number(m[1].slice(prefix.length));
  };

  let consumerErrors = 0;
  const reader = startReader(
    cluster.brokers,
    topic,
    (value) => {
      const i = indexOf(value);
      if (i >= 0 && readAt[i] === 0) readAt[i] = Date.now();
    },
    (err) => {
      consumerErrors++;
      log(`consumer stream error: ${err.message}`);
    },
  );

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
        publishedAt[i] = Date.now();
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
  clearInterval(sampler);
  await aurea.shutdown({ deadlineMs: 60_000 });
  const stats = aurea.publisher!.stats();
  // Let the group read the tail, then stop it.
  if (failure === undefined) await sleep(2_000);
  await reader.stop();
  if (failure !== undefined) throw failure;

  const seen = new Uint8Array(tasks);
  let distinctInKafka = 0;
  const messagesInKafka = await readBack(cluster.brokers, topic, (value) => {
    const i = indexOf(value);
    if (i >= 0 && i < tasks && seen[i] === 0) {
      seen[i] = 1;
      distinctInKafka++;
    }
  });

  // Catch-up per kill: the consumer group lags by more than 1 s at instant T when an event
  // published (monitorTask returned) at or before T - 1 s had not been read by T — whether it waited
  // in the SDK's buffer or in Kafka. secondsToCatchUp: from the kill to the end of the last such
  // instant before the next kill (0 when the lag never exceeded 1 s).
  const order = Array.from({ length: tasks }, (_, i) => i)
    .filter((i) => seen[i] === 1)
    .sort((a, b) => publishedAt[a]! - publishedAt[b]!);
  const pub = order.map((i) => publishedAt[i]!);
  const maxRead: number[] = [];
  let m = 0;
  for (const i of order) maxRead.push((m = Math.max(m, readAt[i] === 0 ? Infinity : readAt[i]!)));
  const lastAtOrBefore = (t: number): number => {
    let lo = 0;
    let hi = pub.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pub[mid]! <= t) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  };
  const end = pub[pub.length - 1] ?? Date.now();
  const kResults: KillResult[] = killResults.map(({ node, ledPartitions, at }, k) => {
    const until = killResults[k + 1]?.at ?? end;
    let lastLagging = -1;
    for (let t = at; t <= until; t += 100) {
      const j = lastAtOrBefore(t - 1_000);
      if (j >= 0 && maxRead[j]! > t) lastLagging = t;
    }
    const window = samples.filter(([t]) => t >= at && t <= until);
    let drained = at;
    for (const [t, events] of window) if (events >= rate) drained = t;
    return {
      node,
      ledPartitions,
      peakBufferedEvents: Math.max(0, ...window.map((w) => w[1])),
      peakBufferedBytes: Math.max(0, ...window.map((w) => w[2])),
      secondsToDrain: (drained - at) / 1000,
      secondsToCatchUp: lastLagging < 0 ? 0 : (lastLagging + 100 - at) / 1000,
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
    consumerErrors,
    sdkWarnings,
  };
}
