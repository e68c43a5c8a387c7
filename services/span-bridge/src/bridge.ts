// The span bridge: Kafka topic of OTLP protobuf traces (written by the Collector's Kafka
// exporter, GenAI spans only) → task events v1 on the task-events topic (keyed by job_id), so
// the one ClickHouse writer (services/consumer) stores them like SDK events.
//
// Per fetched batch (one partition): decode each message, convert each span, produce the events
// (idempotent producer, acks=all) and the dead letters, and only after the broker acknowledged
// them commit the span offsets. A crash in between redelivers the spans; they convert to the
// same event ids (trace id + span id), which is what downstream dedupes on.
import { Kafka, type Consumer, type EachBatchPayload, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { kafkaLogCreator } from '@aurea/common';
import { DLQ_HEADERS, TOPICS } from '@aurea/events';
import type { PriceTable } from '@aurea/sdk/pricing';
import { convertSpan, type SpanRejectReason } from './convert.js';
import { registerZstdCodec } from './kafka-zstd.js';
import { decodeTraceRequest, spanToRequest } from './otlp-proto.js';

// The Collector writes the spans topic zstd-compressed.
registerZstdCodec();

export interface SpanBridgeOptions {
  kafka: KafkaConfig;
  logger: Logger;
  /** Consumer group (default aurea-span-bridge). */
  groupId?: string;
  /** OTLP spans in (default TOPICS.otlpSpans). */
  inputTopic?: string;
  /** Task events out (default TOPICS.taskEvents). */
  outputTopic?: string;
  /** Spans that cannot be converted (default TOPICS.deadLetter). */
  dlqTopic?: string;
  /** Price table for cost_usd (default: the built-in one). */
  priceTable?: PriceTable;
  /** A new group starts at the oldest retained span (default true: cost needs every span). */
  fromBeginning?: boolean;
  /** Most events in one produce request; larger batches are split (default 5000). */
  maxEventsPerProduce?: number;
  partitionsConcurrently?: number;
  /** Deadline for stop(): finish the batch in hand, commit, disconnect (default 10 s). */
  shutdownDeadlineMs?: number;
}

export interface SpanBridgeStats {
  messages: number;
  spans: number;
  events: number;
  /** Spans without gen_ai.operation.name (the Collector normally filters them out). */
  skipped: number;
  /** Dead-lettered spans (or whole messages that did not decode). */
  deadLettered: number;
  /** Kafka messages whose offsets were committed. */
  committed: number;
  lag: Record<number, number>;
}

export interface SpanBridgeHandle {
  /** Resolves when the consumer has joined its group and has partitions assigned. */
  readonly joined: Promise<void>;
  stats(): SpanBridgeStats;
  stop(): Promise<void>;
}

export type DeadLetterReason = SpanRejectReason | 'invalid_protobuf';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

class SpanBridge {
  private readonly input: string;
  private readonly output: string;
  private readonly dlq: string;
  private readonly log: Logger;
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly maxEvents: number;
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private readonly s: SpanBridgeStats = {
    messages: 0,
    spans: 0,
    events: 0,
    skipped: 0,
    deadLettered: 0,
    committed: 0,
    lag: {},
  };
  readonly joined: Promise<void>;
  private markJoined!: () => void;

  constructor(private readonly o: SpanBridgeOptions) {
    this.input = o.inputTopic ?? TOPICS.otlpSpans;
    this.output = o.outputTopic ?? TOPICS.taskEvents;
    this.dlq = o.dlqTopic ?? TOPICS.deadLetter;
    this.log = o.logger;
    this.maxEvents = o.maxEventsPerProduce ?? 5000;
    const kafka = new Kafka({ logCreator: kafkaLogCreator(o.logger), ...o.kafka });
    this.consumer = kafka.consumer({
      groupId: o.groupId ?? 'aurea-span-bridge',
      // OTLP messages are up to a few MB (2048 spans per Collector batch).
      maxBytesPerPartition: 8 * 1024 * 1024,
      maxBytes: 32 * 1024 * 1024,
      minBytes: 1,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
    });
    // Idempotent: the broker drops a retried duplicate of a produce; acks=all is implied.
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.joined = new Promise<void>((resolve) => (this.markJoined = resolve));
  }

  stats(): SpanBridgeStats {
    return { ...this.s, lag: { ...this.s.lag } };
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.log.info({ memberAssignment: e.payload.memberAssignment }, 'span bridge joined its group');
      this.markJoined();
    });
    await this.consumer.subscribe({ topic: this.input, fromBeginning: this.o.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionsConcurrently ?? 2,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.log.info(
      { input: this.input, output: this.output, dlq: this.dlq, groupId: this.o.groupId ?? 'aurea-span-bridge' },
      'span bridge started',
    );
  }

  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      const deadline = this.o.shutdownDeadlineMs ?? 10_000;
      const race = <T>(p: Promise<T>, ms: number) =>
        Promise.race([p, sleep(Math.max(ms, 100)).then(() => Promise.reject(new Error('deadline exceeded')))]);
      const end = Date.now() + deadline;
      try {
        // Stops fetching and waits for the batch in hand (which produces and commits).
        await race(this.consumer.disconnect(), end - Date.now());
      } catch (err) {
        this.log.warn(
          { err },
          'span bridge consumer did not disconnect in time; uncommitted spans will be redelivered (same event ids)',
        );
      }
      await race(this.producer.disconnect(), Math.max(end - Date.now(), 2_000)).catch((err: unknown) =>
        this.log.warn({ err }, 'span bridge producer disconnect failed'),
      );
      this.log.info(this.stats(), 'span bridge stopped');
    })();
    return this.stopped;
  }

  private deadLetter(
    value: Buffer,
    reason: DeadLetterReason,
    errors: unknown,
    partition: number,
    offset: string,
    key: Buffer | string | null,
  ): Message {
    return {
      key,
      value,
      headers: {
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.errors]: JSON.stringify(errors).slice(0, 4096),
        [DLQ_HEADERS.sourceTopic]: this.input,
        [DLQ_HEADERS.sourcePartition]: String(partition),
        [DLQ_HEADERS.sourceOffset]: offset,
        [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        'content-type': 'application/x-protobuf',
      },
    };
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = batch.partition;
    let events: Message[] = [];
    let dead: Message[] = [];
    let pendingLast: string | null = null;
    let pendingMessages = 0;

    const flush = async () => {
      if (pendingLast === null) return;
      const topicMessages = [];
      if (events.length > 0) topicMessages.push({ topic: this.output, messages: events });
      if (dead.length > 0) topicMessages.push({ topic: this.dlq, messages: dead });
      if (topicMessages.length > 0) await this.producer.sendBatch({ topicMessages, acks: -1 });
      // Only now, with every event and dead letter acknowledged, may the span offsets move.
      payload.resolveOffset(pendingLast);
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic: this.input, partitions: [{ partition, offset: String(BigInt(pendingLast) + 1n) }] }],
      });
      this.s.events += events.length;
      this.s.deadLettered += dead.length;
      this.s.committed += pendingMessages;
      pendingMessages = 0;
      events = [];
      dead = [];
      pendingLast = null;
      await payload.heartbeat();
    };

    for (const m of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      this.s.messages++;
      const bytes = m.value;
      if (bytes === null || bytes.length === 0) {
        dead.push(
          this.deadLetter(
            Buffer.alloc(0),
            'invalid_protobuf',
            [{ field: '/', message: 'empty message' }],
            partition,
            m.offset,
            null,
          ),
        );
      } else {
        let req;
        try {
          req = decodeTraceRequest(bytes);
        } catch (err) {
          this.log.warn({ err, partition, offset: m.offset }, 'undecodable OTLP message dead-lettered');
          req = null;
          dead.push(
            this.deadLetter(
              bytes,
              'invalid_protobuf',
              [{ field: '/', message: (err as Error).message }],
              partition,
              m.offset,
              m.key,
            ),
          );
        }
        for (const rs of req?.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              this.s.spans++;
              const r = convertSpan(span, {
                resourceAttributes: rs.resource.attributes,
                scopeName: ss.scope.name,
                priceTable: this.o.priceTable,
              });
              if (r.kind === 'event') {
                events.push({ key: r.event.job_id, value: JSON.stringify(r.event) });
              } else if (r.kind === 'skipped') {
                this.s.skipped++;
              } else {
                this.log.warn(
                  { reason: r.reason, errors: r.errors, traceId: span.traceId, spanId: span.spanId },
                  'span dead-lettered',
                );
                const value = spanToRequest(bytes, rs, ss, span);
                const msg = this.deadLetter(value, r.reason, r.errors, partition, m.offset, span.traceId || null);
                msg.headers!['aurea-dlq-span'] = `${span.traceId}:${span.spanId}`;
                dead.push(msg);
              }
            }
          }
        }
      }
      pendingLast = m.offset;
      pendingMessages++;
      // Spans of one message are produced together; the offset commits after the message's last span.
      if (events.length + dead.length >= this.maxEvents) await flush();
    }
    await flush();
    const last = batch.lastOffset();
    this.s.lag[partition] = Math.max(0, Number(batch.highWatermark) - Number(last) - 1);
    if (this.stopping) this.log.debug({ partition }, 'batch finished while stopping');
  }
}

/** Start the span bridge (consumer group + producer). `stop()` finishes the batch in hand. */
export async function startSpanBridge(opts: SpanBridgeOptions): Promise<SpanBridgeHandle> {
  const b = new SpanBridge(opts);
  await b.start();
  return { joined: b.joined, stats: () => b.stats(), stop: () => b.stop() };
}
