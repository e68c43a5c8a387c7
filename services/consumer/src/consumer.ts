// Kafka → ClickHouse consumer (docs/consumer.md): a CycleConsumer (@aurea/common; the fetch
// loop, commits after the write, retries with backpressure, restarts, lag, readiness) whose
// cycles are task events: each message is decoded and validated as it arrives (plan.ts), and a
// cycle is written as one insert per month it touches, then its dead letters (the invalid
// messages and any rows the engine refused), before the offsets are committed.
//  - Bad content never stops ingest: invalid messages and rows the engine refuses go to the
//    dead-letter topic with their reason; only an unavailable dependency (ClickHouse, Kafka)
//    makes the consumer wait, retrying with backoff while fetching pauses.
import type { Meter } from '@opentelemetry/api';
import type { Logger } from 'pino';
import {
  CycleConsumer,
  produceBounded,
  type CycleConsumerState,
  type KafkaConfig,
  type KafkaMessage,
  type Readiness,
  type WriteContext,
} from '@aurea/common';
import { classifyError, insertRows, type AureaClickHouse } from '@aurea/clickhouse';
import { TOPICS, cutDeadLetter, deadLetterHeaders } from '@aurea/events';
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

export interface ConsumerStats extends CycleConsumerState {
  inserted: number;
  deadLettered: number;
  /** Successful inserts (one per month touched per cycle, plus halves when isolating refused rows). */
  inserts: number;
  insertRetries: number;
}

export type { Readiness };

export interface ConsumerHandle {
  stop(): Promise<void>;
  stats(): ConsumerStats;
  /** Ready = consuming, writes succeed, lag known, no partition stalled behind its high watermark. */
  readiness(): Readiness;
}

export const DEFAULT_MAX_CYCLE_MESSAGES = 50_000;
export const DEFAULT_CYCLE_MS = 250;

/** Start consuming (in the background: Kafka or ClickHouse being down does not fail the start). */
export function startConsumer(opts: ConsumerOptions): Promise<ConsumerHandle> {
  const c = new TaskEventConsumer(opts);
  c.member.start();
  return Promise.resolve({
    stop: () => c.member.stop(opts.shutdownDeadlineMs ?? 10_000).then(() => c.stopped()),
    stats: () => c.stats(),
    readiness: () => c.member.readiness(),
  });
}

class TaskEventConsumer {
  readonly member: CycleConsumer<CycleBuilder>;
  private readonly topic: string;
  private readonly dlqTopic: string;
  private readonly log: Logger;
  private readonly metrics: ConsumerMetrics;
  private readonly counts = { inserted: 0, deadLettered: 0, inserts: 0, insertRetries: 0 };

  constructor(private readonly o: ConsumerOptions) {
    this.topic = o.topic ?? TOPICS.taskEvents;
    this.dlqTopic = o.dlqTopic ?? TOPICS.deadLetter;
    this.log = o.logger;
    this.metrics = new ConsumerMetrics(o.meter);
    this.member = new CycleConsumer<CycleBuilder>({
      kafka: o.kafka,
      groupId: o.groupId,
      topic: this.topic,
      logger: o.logger,
      maxCycleMessages: o.maxCycleMessages ?? DEFAULT_MAX_CYCLE_MESSAGES,
      cycleMs: o.cycleMs ?? DEFAULT_CYCLE_MS,
      maxWaitMs: o.maxWaitMs ?? 100,
      maxBytes: o.maxBytes ?? 16 * 1024 * 1024,
      retry: { initialMs: o.retryInitialMs ?? 200, maxMs: o.retryMaxMs ?? 10_000 },
      ...(o.fromBeginning === undefined ? {} : { fromBeginning: o.fromBeginning }),
      ...(o.stallMs === undefined ? {} : { stallMs: o.stallMs }),
      ...(o.lagIntervalMs === undefined ? {} : { lagIntervalMs: o.lagIntervalMs }),
      ...(o.giveUpMs === undefined ? {} : { giveUpMs: o.giveUpMs }),
      ...(o.onFatal === undefined ? {} : { onFatal: o.onFatal }),
      onLag: (p, lag) => this.metrics.setLag(p, lag),
      writeFailureReason: 'writes to ClickHouse or the dead-letter topic are failing and being retried',
      hooks: {
        newCycle: () => new CycleBuilder(this.topic, o.accept),
        add: (cycle, m) => cycle.add(toInMessage(m)),
        write: (cycle, ctx) => this.writeCycle(cycle, ctx),
      },
    });
  }

  stats(): ConsumerStats {
    return { ...this.member.state(), ...this.counts };
  }

  stopped(): void {
    this.log.info(this.stats(), 'consumer stopped');
  }

  /** Write one cycle: one insert per month, then the dead letters (the commit follows). */
  private async writeCycle(cycle: CycleBuilder, ctx: WriteContext): Promise<void> {
    const plan = cycle.build();
    const rejected: DlqItem[] = [];
    for (const ins of plan.inserts) rejected.push(...(await this.insert(ins, ctx)));
    const dlq = [...plan.dlq, ...rejected];
    if (dlq.length > 0) await this.deadLetter(dlq, ctx);
  }

  /** Insert one month's rows; rows the engine refuses for their content are found by halving and returned. */
  private async insert(ins: MonthInsert, ctx: WriteContext): Promise<DlqItem[]> {
    const refused = await ctx.retry(
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
          this.counts.insertRetries++;
          throw err;
        }
        this.metrics.inserted(ins.rows.length, (performance.now() - t0) / 1000);
        this.counts.inserted += ins.rows.length;
        this.counts.inserts++;
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
    return [...(await this.insert(a, ctx)), ...(await this.insert(b, ctx))];
  }

  private async deadLetter(items: DlqItem[], ctx: WriteContext): Promise<void> {
    const failedAt = new Date();
    await produceBounded(
      ctx,
      'dead-letter',
      items.map((d) => ({
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
      { shrink: cutDeadLetter },
    );
    for (const d of items) this.metrics.counted('dead_lettered', 1, d.reason);
    this.counts.deadLettered += items.length;
    this.log.warn({ count: items.length, reasons: [...new Set(items.map((d) => d.reason))] }, 'events dead-lettered');
  }
}

function toInMessage(m: KafkaMessage): InMessage {
  return { partition: m.partition, offset: m.offset, key: m.key.length > 0 ? m.key : null, value: m.value };
}
