// Kafka → ClickHouse consumer (docs/consumer.md). One group member reads every partition it owns
// as one message stream; messages are collected into fetch cycles (by count and time), each cycle
// is written as one insert per month it touches (plan.ts states the invariants), then the
// cycle's offsets are committed. While a cycle is written the next one is collected and decoded.
//  - Bad content never stops ingest: invalid messages and rows the engine refuses go to the
//    dead-letter topic with their reason; only an unavailable dependency (ClickHouse, Kafka)
//    makes the consumer wait, retrying with backoff while the stream stops fetching.
//  - A stream that fails (broker failure, rebalance trouble) is closed and consumed again from
//    the committed offsets; readiness reports it, and the process exits non-zero when it cannot
//    consume for `giveUpMs`, so an orchestrator restarts it — never a live process consuming
//    nothing.
//  - Lag comes from the brokers' high watermarks on a timer, not from the last batch.
import type { Meter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { Consumer, Message, MessagesStream, Producer } from '@platformatic/kafka';
import { createBytesProducer, createConsumer, retryUntilDone, type KafkaConfig, type RetryPolicy } from '@aurea/common';
import { classifyError, insertRows, type AureaClickHouse } from '@aurea/clickhouse';
import { TOPICS, deadLetterHeaders } from '@aurea/events';
import { ConsumerMetrics } from './metrics.js';
import { CycleBuilder, splitInsert, type Accept, type DlqItem, type InMessage, type MonthInsert } from './plan.js';

export interface ConsumerOptions {
  /** The process's one ClickHouse client (shared with the analytics API in embedded mode). */
  ch: AureaClickHouse;
  kafka: KafkaConfig;
  groupId: string;
  logger: Logger;
  topic?: string;
  dlqTopic?: string;
  meter?: Meter;
  /** Source policy applied to every valid event before it is stored (plan.ts, Accept). */
  accept?: Accept;
  /** A cycle is written when it holds this many messages … */
  maxCycleMessages?: number;
  /** … or this long after its first message arrived. */
  cycleMs?: number;
  /** Fetch sizing. */
  maxBytes?: number;
  maxWaitMs?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** stop(): stop fetching, write and commit the cycle in hand, within this deadline. */
  shutdownDeadlineMs?: number;
  /** A partition with lag and no cycle written for this long makes the consumer not ready. */
  stallMs?: number;
  /** How often the brokers' high watermarks are read for lag. */
  lagIntervalMs?: number;
  /** Unable to consume for this long (stream failing, brokers unreachable): onFatal is called. */
  giveUpMs?: number;
  /** Called once when the consumer gives up (main.ts exits non-zero). */
  onFatal?: (err: Error) => void;
  /** Start of a new group: oldest retained message (default) or only new ones. */
  fromBeginning?: boolean;
}

export interface ConsumerStats {
  inserted: number;
  deadLettered: number;
  cycles: number;
  /** Successful inserts (one per month touched per cycle, plus halves when isolating refused rows). */
  inserts: number;
  insertRetries: number;
  streamRestarts: number;
  /** Writes are failing and being retried: the stream does not fetch meanwhile. */
  paused: boolean;
  /** A stream is open and consuming. */
  consuming: boolean;
  /** Per owned partition: messages behind the high watermark (from the brokers). */
  lag: Record<number, number>;
  /** When lag was last read from the brokers (ms since epoch; 0: never). */
  lagReadAt: number;
  /** When a cycle was last written (ms since epoch; 0: never). */
  lastWriteAt: number;
}

export interface Readiness {
  ready: boolean;
  reason?: string;
}

export interface ConsumerHandle {
  stop(): Promise<void>;
  stats(): ConsumerStats;
  /** Ready = consuming, writes succeed, lag known, no partition stalled behind its high watermark. */
  readiness(): Readiness;
}

export const DEFAULT_MAX_CYCLE_MESSAGES = 50_000;
export const DEFAULT_CYCLE_MS = 250;

type KafkaMessage = Message<Buffer, Buffer, string, string>;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Start consuming (in the background: Kafka or ClickHouse being down does not fail the start). */
export function startConsumer(opts: ConsumerOptions): Promise<ConsumerHandle> {
  const c = new TaskEventConsumer(opts);
  c.start();
  return Promise.resolve({ stop: () => c.stop(), stats: () => c.stats(), readiness: () => c.readiness() });
}

class TaskEventConsumer {
  private readonly topic: string;
  private readonly dlqTopic: string;
  private readonly log: Logger;
  private readonly metrics: ConsumerMetrics;
  private readonly consumer: Consumer<Buffer, Buffer, string, string>;
  private readonly producer: Producer<Buffer, Buffer, string, string>;
  private readonly maxCycle: number;
  private readonly cycleMs: number;
  private stream: MessagesStream<Buffer, Buffer, string, string> | undefined;
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private stopDeadline = Infinity;
  private lagTimer: NodeJS.Timeout | undefined;
  /** Next offset to read per partition, as far as this process has written (for lag). */
  private readonly written = new Map<number, bigint>();
  /** Since when the consumer has been unable to consume (0: it is consuming). */
  private failingSince = 0;
  /** Since when the current stream has been consuming. */
  private consumingSince = 0;
  /** Set while a stream is pumped: write what is in hand and finish (stop()). */
  private finishPump: (() => void) | undefined;
  private lastError: string | undefined;
  private s: ConsumerStats = {
    inserted: 0,
    deadLettered: 0,
    cycles: 0,
    inserts: 0,
    insertRetries: 0,
    streamRestarts: 0,
    paused: false,
    consuming: false,
    lag: {},
    lagReadAt: 0,
    lastWriteAt: 0,
  };

  constructor(private readonly o: ConsumerOptions) {
    this.topic = o.topic ?? TOPICS.taskEvents;
    this.dlqTopic = o.dlqTopic ?? TOPICS.deadLetter;
    this.log = o.logger;
    this.metrics = new ConsumerMetrics(o.meter);
    this.maxCycle = o.maxCycleMessages ?? DEFAULT_MAX_CYCLE_MESSAGES;
    this.cycleMs = o.cycleMs ?? DEFAULT_CYCLE_MS;
    this.consumer = createConsumer(o.kafka, {
      groupId: o.groupId,
      groupInstanceId: o.kafka.groupInstanceId,
      maxWaitMs: o.maxWaitMs ?? 100,
      maxBytes: o.maxBytes ?? 16 * 1024 * 1024,
    });
    this.producer = createBytesProducer(o.kafka);
  }

  stats(): ConsumerStats {
    return { ...this.s, lag: { ...this.s.lag } };
  }

  readiness(): Readiness {
    const now = Date.now();
    if (!this.s.consuming) return { ready: false, reason: `not consuming: ${this.lastError ?? 'starting'}` };
    if (this.s.paused) return { ready: false, reason: 'writes to ClickHouse are failing and being retried' };
    const lagAge = now - this.s.lagReadAt;
    const interval = this.o.lagIntervalMs ?? 5_000;
    if (this.s.lagReadAt === 0 || lagAge > 3 * interval + 5_000)
      return { ready: false, reason: 'cannot read the partitions’ high watermarks from the brokers' };
    const stallMs = this.o.stallMs ?? 30_000;
    const behind = Object.entries(this.s.lag).filter(([, l]) => l > 0);
    if (behind.length > 0 && now - Math.max(this.s.lastWriteAt, this.consumingSince) > stallMs)
      return {
        ready: false,
        reason: `stalled: partitions ${behind.map(([p]) => p).join(', ')} behind, nothing written`,
      };
    return { ready: true };
  }

  start(): void {
    this.loop = this.run();
    this.lagTimer = setInterval(() => void this.readLag(), this.o.lagIntervalMs ?? 5_000);
    this.lagTimer.unref();
    this.log.info(
      { topic: this.topic, groupId: this.o.groupId, member: this.o.kafka.groupInstanceId },
      'consumer started',
    );
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      const deadlineMs = this.o.shutdownDeadlineMs ?? 10_000;
      this.stopping = true;
      this.stopDeadline = Date.now() + deadlineMs;
      clearInterval(this.lagTimer);
      this.log.info({ deadlineMs }, 'consumer stopping: writing the cycle in hand');
      this.stream?.pause();
      this.finishPump?.();
      const race = <T>(p: Promise<T>, ms: number) =>
        Promise.race([p, sleep(Math.max(ms, 100)).then(() => Promise.reject(new Error('deadline exceeded')))]);
      try {
        await race(this.loop ?? Promise.resolve(), this.stopDeadline - Date.now());
      } catch (err) {
        this.log.warn({ err }, 'the cycle in hand was not written before the deadline; it will be consumed again');
      }
      await race(this.consumer.close(true), 2_000).catch((err: unknown) => this.log.warn({ err }, 'consumer close'));
      await race(this.producer.close(), 2_000).catch((err: unknown) => this.log.warn({ err }, 'producer close'));
      this.log.info(this.stats(), 'consumer stopped');
    })();
    return this.stopped;
  }

  /** Consume until stopped; a failed stream is closed and consumed again from the committed offsets. */
  private async run(): Promise<void> {
    while (!this.stopping) {
      const again = await retryUntilDone(
        () => this.consumeOnce(),
        (err) => {
          if (this.stopping) return false;
          this.s.streamRestarts++;
          this.failingSince ||= Date.now();
          this.lastError = (err as Error).message;
          this.log.warn({ err }, 'consumer stream failed: consuming again from the committed offsets');
          const giveUp = this.o.giveUpMs ?? 300_000;
          if (Date.now() - this.failingSince <= giveUp) return true;
          const fatal = new Error(`unable to consume for ${giveUp} ms: ${this.lastError}`, { cause: err });
          this.log.fatal({ err: fatal }, 'consumer gives up');
          this.o.onFatal?.(fatal);
          return false;
        },
        { initialMs: 500, maxMs: 10_000 },
      ).catch(() => false);
      if (!again) return;
    }
  }

  /**
   * One stream, until it fails or the consumer stops. Resolves true when a stream that had been
   * healthy for a minute failed (consume again with a fresh backoff), false when stopping;
   * rejects when the stream failed sooner.
   */
  private async consumeOnce(): Promise<boolean> {
    let since = 0;
    try {
      this.stream = await this.consumer.consume({
        topics: [this.topic],
        mode: 'committed',
        fallbackMode: this.o.fromBeginning === false ? 'latest' : 'earliest',
        autocommit: false,
      });
      since = Date.now();
      this.s.consuming = true;
      this.consumingSince = since;
      this.failingSince = 0;
      this.lastError = undefined;
      await this.pump(this.stream);
      return false;
    } catch (err) {
      if (this.stopping) return false;
      if (since !== 0 && Date.now() - since > 60_000) {
        this.s.streamRestarts++;
        this.log.warn({ err }, 'consumer stream failed: consuming again from the committed offsets');
        return true;
      }
      throw err;
    } finally {
      const stream = this.stream;
      this.stream = undefined;
      this.s.consuming = false;
      if (stream && !stream.closed) await stream.close().catch(() => undefined);
    }
  }

  /**
   * Collect cycles from the stream and write them one at a time. Resolves when stopped (after the
   * cycle in hand is written), rejects when the stream fails or a write gives up.
   */
  private pump(stream: MessagesStream<Buffer, Buffer, string, string>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let cycle = new CycleBuilder(this.topic, this.o.accept);
      let last = new Map<number, KafkaMessage>();
      let timer: NodeJS.Timeout | undefined;
      let writing = false;
      let failed = false;
      let afterWrite = () => {};
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      const finishIfStopping = () => {
        if (this.stopping && !writing && cycle.size === 0) {
          clearTimeout(timer);
          this.finishPump = undefined;
          resolve();
        }
      };
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (writing || cycle.size === 0 || failed) return finishIfStopping();
        const full = cycle;
        const commits = last;
        cycle = new CycleBuilder(this.topic, this.o.accept);
        last = new Map();
        writing = true;
        this.writeCycle(full, commits).then(
          () => {
            writing = false;
            afterWrite();
            if (stream.isPaused() && !this.stopping) stream.resume();
            if (cycle.size >= this.maxCycle || (this.stopping && cycle.size > 0)) flush();
            else if (cycle.size > 0) timer ??= setTimeout(flush, this.cycleMs);
            finishIfStopping();
          },
          (err: unknown) => {
            writing = false;
            fail(err);
          },
        );
      };
      stream.on('data', (m: KafkaMessage) => {
        cycle.add(toInMessage(m));
        last.set(m.partition, m);
        if (cycle.size >= this.maxCycle) {
          if (writing)
            stream.pause(); // backpressure: one cycle in hand, one being written
          else flush();
        } else timer ??= setTimeout(flush, this.cycleMs);
      });
      stream.once('error', fail);
      let closed = false;
      stream.once('close', () => {
        closed = true;
        if (this.stopping) flush();
        else if (!writing) fail(new Error('the message stream closed'));
      });
      this.finishPump = flush;
      afterWrite = () => {
        if (closed && !this.stopping) fail(new Error('the message stream closed'));
      };
    });
  }

  /** Write one cycle: dead letters, one insert per month, then the offsets. */
  private async writeCycle(cycle: CycleBuilder, last: Map<number, KafkaMessage>): Promise<void> {
    const plan = cycle.build();
    const rejected: DlqItem[] = [];
    for (const ins of plan.inserts) rejected.push(...(await this.insert(ins)));
    const dlq = [...plan.dlq, ...rejected];
    if (dlq.length > 0) await this.deadLetter(dlq);
    await this.retry('commit offsets', () => this.commit(last), {});
    for (const [p, next] of plan.commits) this.written.set(p, next);
    this.s.cycles++;
    this.s.lastWriteAt = Date.now();
  }

  /** Insert one month's rows; rows the engine refuses for their content are found by halving and returned. */
  private async insert(ins: MonthInsert): Promise<DlqItem[]> {
    const refused = await this.retry(
      'insert',
      async () => {
        const t0 = performance.now();
        try {
          await insertRows(
            this.o.ch,
            ins.rows.map((r) => r.row),
            { insert_deduplicate: 1, insert_deduplication_token: ins.token, async_insert: 0 },
          );
        } catch (err) {
          const cls = classifyError(err);
          this.metrics.insertFailed(cls.type, cls.kind !== 'data');
          if (cls.kind === 'data') return err as Error; // not retried: the content is refused
          this.s.insertRetries++;
          throw err;
        }
        this.metrics.inserted(ins.rows.length, (performance.now() - t0) / 1000);
        this.s.inserted += ins.rows.length;
        this.s.inserts++;
        return null;
      },
      { rows: ins.rows.length, month: ins.month },
    );
    if (refused === null) return [];
    if (ins.rows.length === 1) {
      const { message } = ins.rows[0]!;
      this.log.error(
        { err: refused, partition: message.partition, offset: String(message.offset) },
        'ClickHouse refused an event: dead-lettering it',
      );
      return [{ message, reason: 'insert_rejected', errors: [{ field: '/', message: refused.message }] }];
    }
    const [a, b] = splitInsert(ins);
    return [...(await this.insert(a)), ...(await this.insert(b))];
  }

  private async deadLetter(items: DlqItem[]): Promise<void> {
    const failedAt = new Date();
    await this.retry(
      'dead-letter',
      () =>
        this.producer.send({
          messages: items.map((d) => ({
            topic: this.dlqTopic,
            key: d.message.key ?? undefined,
            value: d.message.value ?? Buffer.alloc(0),
            headers: deadLetterHeaders(
              d.reason,
              d.errors,
              { topic: this.topic, partition: d.message.partition, offset: d.message.offset },
              failedAt,
            ),
          })),
        }),
      { count: items.length },
    );
    for (const d of items) this.metrics.counted('dead_lettered', 1, d.reason);
    this.s.deadLettered += items.length;
    this.log.warn({ count: items.length, reasons: [...new Set(items.map((d) => d.reason))] }, 'events dead-lettered');
  }

  /** Commit the next offset of every partition of the cycle (the last message of each, + 1). */
  private async commit(last: Map<number, KafkaMessage>): Promise<void> {
    try {
      await Promise.all(
        [...last.values()].map(
          (m) =>
            new Promise<void>((ok, fail) => {
              void m.commit((e) => (e ? fail(e) : ok()));
            }),
        ),
      );
    } catch (err) {
      // A rebalance took the partition away: its new owner consumes it again from the last
      // committed offset, and rows written twice collapse under FINAL (plan.ts, invariant 3).
      if (!this.consumer.isActive()) {
        this.log.warn({ err }, 'offsets not committed (group rebalancing): the new owner will re-read them');
        return;
      }
      throw err;
    }
  }

  private async readLag(): Promise<void> {
    const assigned = this.consumer.assignments?.find((a) => a.topic === this.topic)?.partitions ?? [];
    try {
      const hw = (await this.consumer.listOffsets({ topics: [this.topic] })).get(this.topic) ?? [];
      const unknown = assigned.filter((p) => !this.written.has(p));
      if (unknown.length > 0) {
        const committed = await this.consumer.listCommittedOffsets({
          topics: [{ topic: this.topic, partitions: unknown }],
        });
        const offsets = committed.get(this.topic) ?? [];
        for (const p of unknown) {
          const c = offsets[p];
          if (c !== undefined && c >= 0n) this.written.set(p, c);
        }
      }
      const lag: Record<number, number> = {};
      for (const p of assigned) {
        const high = hw[p];
        if (high === undefined) continue;
        const next = this.written.get(p) ?? 0n;
        lag[p] = Math.max(0, Number(high - next));
        this.metrics.setLag(p, lag[p]);
      }
      this.s.lag = lag;
      this.s.lagReadAt = Date.now();
    } catch (err) {
      this.log.warn({ err }, 'cannot read high watermarks for lag');
    }
  }

  /**
   * Retry a write until it succeeds; the stream stops fetching while writes fail (backpressure),
   * and a stop past its deadline gives up (the cycle is consumed again after a restart).
   */
  private async retry<T>(what: string, fn: () => Promise<T>, fields: Record<string, unknown>): Promise<T> {
    const r = await retryUntilDone(
      fn,
      (err, attempt) => {
        if (this.stopping && Date.now() >= this.stopDeadline - 500) return false;
        if (!this.s.paused) {
          this.s.paused = true;
          this.stream?.pause();
          this.log.warn({ err, what, ...fields }, 'write failing: fetching paused, retrying with backoff');
        } else if (attempt % 10 === 0) this.log.warn({ err, attempt, what, ...fields }, 'still failing, retrying');
        return true;
      },
      this.policy,
    );
    this.recovered();
    return r;
  }

  private get policy(): RetryPolicy {
    return { initialMs: this.o.retryInitialMs ?? 200, maxMs: this.o.retryMaxMs ?? 10_000 };
  }

  private recovered(): void {
    if (!this.s.paused) return;
    this.s.paused = false;
    if (this.stream?.isPaused() && !this.stopping) this.stream.resume();
    this.log.info('writes succeed again');
  }
}

function toInMessage(m: KafkaMessage): InMessage {
  return { partition: m.partition, offset: m.offset, key: m.key.length > 0 ? m.key : null, value: m.value };
}
