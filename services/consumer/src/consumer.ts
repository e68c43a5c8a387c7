// Kafka → ClickHouse consumer. kafkajs consumer group, eachBatch per partition:
// validate → dead-letter the bad → insert the good (one partition, one month, offset order, a
// deterministic dedup token) → commit offsets only after ClickHouse acknowledged.
// ClickHouse holds the truth about what is stored (kafka_partition/kafka_offset in every table),
// so a restart resumes exactly after it, whatever Kafka's committed offset says. See plan.ts and
// docs/consumer.md.
import { Kafka, type Consumer, type EachBatchPayload, type KafkaConfig, type Producer, type IHeaders } from 'kafkajs';
import type { Meter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { kafkaLogCreator } from '@aurea/common';
import { classifyError, type AureaClickHouse } from '@aurea/clickhouse';
import { DLQ_HEADERS, TOPICS } from '@aurea/events';
import { backoffMs } from './errors.js';
import { ConsumerMetrics } from './metrics.js';
import { PartitionPlanner, splitInsert, type DlqItem, type InsertPlan, type Watermarks } from './plan.js';
import { ROW_COLUMNS } from '@aurea/clickhouse/rows';

export interface ConsumerOptions {
  /** The process's one ClickHouse client (shared with the analytics API in embedded mode). */
  ch: AureaClickHouse;
  kafka: KafkaConfig;
  groupId: string;
  logger: Logger;
  topic?: string;
  dlqTopic?: string;
  meter?: Meter;
  /** Events table and the rollup tables fed from it by materialized views (watermarks are read from all). */
  table?: string;
  rollupTables?: string[];
  /** Most rows in one insert. */
  maxInsertRows?: number;
  /** Fetch sizing = batching by size and time: a fetch returns at minBytes or after maxWaitMs. */
  minBytes?: number;
  maxWaitMs?: number;
  maxBytesPerPartition?: number;
  maxBytes?: number;
  partitionsConcurrently?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Deadline for stop(): stop fetching, finish the batch in hand, commit, disconnect. */
  shutdownDeadlineMs?: number;
  fromBeginning?: boolean;
  /** Group session timeout: how long a dead member (e.g. a killed process) holds its partitions. */
  sessionTimeoutMs?: number;
}

export interface ConsumerStats {
  inserted: number;
  deadLettered: number;
  skippedDuplicate: number;
  insertRetries: number;
  pauses: number;
  paused: boolean;
  lag: Record<number, number>;
}

export interface ConsumerHandle {
  stop(): Promise<void>;
  stats(): ConsumerStats;
}

export const DEFAULT_MAX_BYTES_PER_PARTITION = 8 * 1024 * 1024;
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class StoppingError extends Error {}

export async function startConsumer(opts: ConsumerOptions): Promise<ConsumerHandle> {
  const c = new TaskEventConsumer(opts);
  await c.start();
  return { stop: () => c.stop(), stats: () => c.stats() };
}

class TaskEventConsumer {
  private readonly topic: string;
  private readonly dlqTopic: string;
  private readonly table: string;
  private readonly rollups: string[];
  private readonly log: Logger;
  private readonly metrics: ConsumerMetrics;
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly planners = new Map<number, PartitionPlanner>();
  /**
   * Watermarks of every partition, read in one query (each per-partition read scans the
   * kafka_partition column of every table: with 6 partitions that was 6 scans after each
   * rebalance). Used once per partition per assignment, for its first planner; any later read
   * (after a failed batch) goes to ClickHouse for that partition again.
   */
  private allMarks: Promise<Map<number, Watermarks>> | undefined;
  private readonly marksUsed = new Set<number>();
  /** Partitions already sent back to their replay block once (see PartitionPlanner.abandonRepair). */
  private readonly soughtBack = new Set<number>();
  private stopping = false;
  private stopDeadline = Infinity;
  private stopped: Promise<void> | undefined;
  private s: ConsumerStats = {
    inserted: 0,
    deadLettered: 0,
    skippedDuplicate: 0,
    insertRetries: 0,
    pauses: 0,
    paused: false,
    lag: {},
  };

  constructor(private readonly o: ConsumerOptions) {
    this.topic = o.topic ?? TOPICS.taskEvents;
    this.dlqTopic = o.dlqTopic ?? TOPICS.deadLetter;
    this.table = o.table ?? 'task_events';
    this.rollups = o.rollupTables ?? ['job_costs', 'daily_costs'];
    this.log = o.logger;
    this.metrics = new ConsumerMetrics(o.meter);
    this.kafka = new Kafka({ logCreator: kafkaLogCreator(o.logger), ...o.kafka });
    this.consumer = this.kafka.consumer({
      groupId: o.groupId,
      minBytes: o.minBytes ?? 256 * 1024,
      maxWaitTimeInMs: o.maxWaitMs ?? 200,
      // A partition's fetch holds about one full insert (maxInsertRows events of ~450 B): fewer,
      // larger inserts — the engine's cost per insert is fixed (~40–60 ms CPU for task_events and
      // its two views), so 6k-row inserts ran ~1.6× slower per row than 14k-row ones.
      maxBytesPerPartition: o.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
      maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
      sessionTimeout: o.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((o.sessionTimeoutMs ?? 30_000) / 3)),
    });
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }

  stats(): ConsumerStats {
    return { ...this.s, lag: { ...this.s.lag } };
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    // A new assignment: forget what we knew, read the watermarks again before the first batch.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.planners.clear();
      this.allMarks = undefined;
      this.marksUsed.clear();
    });
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: this.o.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConcurrently ?? 2,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.log.info({ topic: this.topic, groupId: this.o.groupId, table: this.table }, 'consumer started');
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const deadlineMs = this.o.shutdownDeadlineMs ?? 10_000;
      this.stopping = true;
      this.stopDeadline = Date.now() + deadlineMs;
      this.log.info({ deadlineMs }, 'consumer stopping: finishing the batch in hand');
      // kafkajs stops fetching and waits for running eachBatch calls (which flush and commit).
      const race = <T>(p: Promise<T>, ms: number) =>
        Promise.race([p, sleep(Math.max(ms, 100)).then(() => Promise.reject(new Error('deadline exceeded')))]);
      try {
        await race(this.consumer.disconnect(), this.stopDeadline - Date.now());
      } catch (err) {
        this.log.warn(
          { err },
          'consumer did not disconnect before the deadline; uncommitted messages will be redelivered',
        );
      }
      await race(this.producer.disconnect(), 2_000).catch((err: unknown) =>
        this.log.warn({ err }, 'dlq producer disconnect failed'),
      );
      this.log.info(this.stats(), 'consumer stopped');
    })();
    return this.stopped;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat();
    if (this.stopping || !payload.isRunning() || payload.isStale()) return;
    const partition = batch.partition;
    try {
      let planner = this.planners.get(partition);
      if (!planner) {
        const marks = await this.watermarksFor(partition, heartbeat);
        planner = new PartitionPlanner(this.topic, partition, marks, this.o.maxInsertRows ?? 20_000);
        this.planners.set(partition, planner);
        if (planner.repairPending)
          this.log.warn({ partition, ...marks }, 'a crash left one block in some tables only: replaying it');
      }
      if (batch.messages.length === 0) return;
      if (planner.needsSeekBack(Number(batch.firstOffset()))) {
        if (!this.soughtBack.has(partition)) {
          this.soughtBack.add(partition);
          this.consumer.seek({ topic: this.topic, partition, offset: String(planner.lo + 1) });
          return;
        }
        // Sought back once and Kafka still starts later: the block is gone from the topic.
        const gap = planner.abandonRepair();
        this.log.error(
          { partition, ...gap, firstOffset: batch.firstOffset() },
          'the block a crash left half-applied is no longer in Kafka; some rollup rows for it cannot be replayed',
        );
      }
      this.soughtBack.delete(partition);
      const plan = planner.plan(batch.messages);
      this.s.skippedDuplicate += plan.skipped;
      this.metrics.counted('skipped_duplicate', plan.skipped);

      if (plan.dlq.length > 0) await this.deadLetter(plan.dlq, partition, heartbeat);
      for (const ins of plan.inserts) {
        const rejected = await this.insert(ins, partition, heartbeat);
        if (rejected.length > 0) await this.deadLetter(rejected, partition, heartbeat);
        planner.acknowledged(ins);
      }

      const last = batch.lastOffset();
      payload.resolveOffset(last);
      // While a replay block is still being collected, Kafka's offset stays where it was.
      if (!planner.repairPending) {
        await payload.commitOffsetsIfNecessary({
          topics: [{ topic: this.topic, partitions: [{ partition, offset: String(Number(last) + 1) }] }],
        });
      }
      const lag = Math.max(0, Number(batch.highWatermark) - Number(last) - 1);
      this.s.lag[partition] = lag;
      this.metrics.setLag(partition, lag);
      await heartbeat();
    } catch (err) {
      if (err instanceof StoppingError) {
        this.log.warn({ partition }, 'stopping mid-batch: the uncommitted part will be redelivered and deduplicated');
        return;
      }
      // Forget this partition's state: the batch is redelivered and the watermarks re-read.
      this.planners.delete(partition);
      throw err;
    }
  }

  /** The partition's watermarks: from the all-partitions read the first time after a join, else read now. */
  private async watermarksFor(partition: number, heartbeat: () => Promise<void>): Promise<Watermarks> {
    if (!this.marksUsed.has(partition)) {
      this.marksUsed.add(partition);
      this.allMarks ??= this.retry('read watermarks', () => this.readAllWatermarks(), heartbeat);
      const all = this.allMarks;
      try {
        return (await all).get(partition) ?? { lo: -1, hi: -1 };
      } catch (err) {
        if (this.allMarks === all) this.allMarks = undefined;
        throw err;
      }
    }
    return this.retry('read watermarks', () => this.readWatermarks(partition), heartbeat);
  }

  /** readWatermarks for every partition in one query: per table, max offset GROUP BY partition. */
  private async readAllWatermarks(): Promise<Map<number, Watermarks>> {
    const tables = [this.table, ...this.rollups];
    const parts = tables.map(
      (t, i) =>
        `SELECT ${i} AS t, kafka_partition AS p, max(${i === 0 ? 'kafka_offset' : 'max_offset'}) AS w FROM ${t} GROUP BY kafka_partition`,
    );
    const rs = await this.o.ch.client.query({ query: parts.join(' UNION ALL '), format: 'JSONEachRow' });
    const perTable = new Map<number, number[]>();
    for (const r of await rs.json<{ t: string | number; p: string | number; w: string | number }>()) {
      const p = Number(r.p);
      let marks = perTable.get(p);
      if (!marks) perTable.set(p, (marks = tables.map(() => -1)));
      marks[Number(r.t)] = Number(r.w);
    }
    // A table without rows of the partition holds nothing of it: -1, as in readWatermarks.
    return new Map([...perTable].map(([p, marks]) => [p, { lo: Math.min(...marks), hi: Math.max(...marks) }]));
  }

  /** Highest offset of this partition stored in each table; lo/hi over the tables. */
  private async readWatermarks(partition: number): Promise<Watermarks> {
    const parts = [
      `SELECT max(kafka_offset) AS w, count() AS n FROM ${this.table} WHERE kafka_partition = {p:Int32}`,
      ...this.rollups.map(
        (t) => `SELECT max(max_offset) AS w, count() AS n FROM ${t} WHERE kafka_partition = {p:Int32}`,
      ),
    ];
    const rs = await this.o.ch.client.query({
      query: parts.join(' UNION ALL '),
      query_params: { p: partition },
      format: 'JSONEachRow',
    });
    const marks = (await rs.json<{ w: string | number; n: string | number }>()).map((r) =>
      Number(r.n) === 0 ? -1 : Number(r.w),
    );
    return { lo: Math.min(...marks), hi: Math.max(...marks) };
  }

  /** Insert one block; on a data error split it until the refused rows are found (returned for the DLQ). */
  private async insert(ins: InsertPlan, partition: number, heartbeat: () => Promise<void>): Promise<DlqItem[]> {
    for (let attempt = 0; ; attempt++) {
      const t0 = performance.now();
      try {
        await this.o.ch.client.insert({
          table: this.table,
          columns: [...ROW_COLUMNS] as [string, ...string[]],
          values: ins.rows.map((r) => r.row),
          format: 'JSONCompactEachRow',
          clickhouse_settings: {
            insert_deduplicate: 1,
            insert_deduplication_token: ins.token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
          },
        });
        this.metrics.inserted(ins.rows.length, (performance.now() - t0) / 1000);
        this.s.inserted += ins.rows.length;
        this.recovered();
        return [];
      } catch (err) {
        const cls = classifyError(err);
        this.metrics.insertFailed(cls.type, cls.kind !== 'data');
        if (cls.kind === 'data') {
          if (ins.rows.length === 1) {
            this.log.error(
              { err, partition, offset: ins.firstOffset },
              'ClickHouse refused an event: dead-lettering it',
            );
            return [
              {
                message: ins.rows[0]!.message,
                reason: 'insert_rejected',
                errors: [{ field: '/', message: (err as Error).message.slice(0, 500) }],
              },
            ];
          }
          const [a, b] = splitInsert(ins, this.topic, partition);
          return [...(await this.insert(a, partition, heartbeat)), ...(await this.insert(b, partition, heartbeat))];
        }
        this.s.insertRetries++;
        await this.backoff(
          attempt,
          err,
          { partition, rows: ins.rows.length, token: ins.token, errorType: cls.type },
          heartbeat,
        );
      }
    }
  }

  private async deadLetter(items: DlqItem[], partition: number, heartbeat: () => Promise<void>): Promise<void> {
    const failedAt = new Date().toISOString();
    await this.retry(
      'dead-letter',
      () =>
        this.producer.send({
          topic: this.dlqTopic,
          acks: -1,
          messages: items.map((d) => {
            const headers: IHeaders = {
              [DLQ_HEADERS.reason]: d.reason,
              [DLQ_HEADERS.errors]: JSON.stringify(d.errors.slice(0, 50)),
              [DLQ_HEADERS.sourceTopic]: this.topic,
              [DLQ_HEADERS.sourcePartition]: String(partition),
              [DLQ_HEADERS.sourceOffset]: d.message.offset,
              [DLQ_HEADERS.failedAt]: failedAt,
            };
            return { key: d.message.key, value: d.message.value, headers };
          }),
        }),
      heartbeat,
    );
    for (const d of items) this.metrics.counted('dead_lettered', 1, d.reason);
    this.s.deadLettered += items.length;
    this.log.warn(
      { partition, count: items.length, reasons: [...new Set(items.map((d) => d.reason))] },
      'events dead-lettered',
    );
  }

  private async retry<T>(what: string, fn: () => Promise<T>, heartbeat: () => Promise<void>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await fn();
        this.recovered();
        return r;
      } catch (err) {
        await this.backoff(attempt, err, { what }, heartbeat);
      }
    }
  }

  /** Wait before the next attempt; pause fetching (backpressure) while ClickHouse/Kafka fails. */
  private async backoff(
    attempt: number,
    err: unknown,
    fields: Record<string, unknown>,
    heartbeat: () => Promise<void>,
  ): Promise<void> {
    if (this.stopping && Date.now() >= this.stopDeadline - 500) throw new StoppingError('stopping');
    if (attempt === 0) {
      if (!this.s.paused) {
        this.s.paused = true;
        this.s.pauses++;
        this.consumer.pause([{ topic: this.topic }]);
        this.log.warn({ err, ...fields }, 'write failing: partitions paused, retrying with backoff');
      }
    } else if (attempt % 10 === 0) {
      this.log.warn({ err, attempt, ...fields }, 'still failing, retrying');
    }
    const wait = backoffMs(attempt, this.o.retryInitialMs ?? 200, this.o.retryMaxMs ?? 10_000);
    await sleep(this.stopping ? Math.min(wait, Math.max(0, this.stopDeadline - Date.now() - 500)) : wait);
    // Keep the group membership while waiting; a failed heartbeat (rebalance) is not our error.
    await heartbeat().catch(() => undefined);
  }

  private recovered(): void {
    if (!this.s.paused) return;
    this.s.paused = false;
    this.consumer.resume([{ topic: this.topic }]);
    this.log.info('writes succeed again: partitions resumed');
  }
}
