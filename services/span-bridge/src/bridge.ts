// The span bridge: Kafka topic of OTLP protobuf traces (written by the Collector's Kafka
// exporter, GenAI spans only) → task events v1 on the task-events topic (keyed by job_id), so
// the one ClickHouse writer (services/consumer) stores them like SDK events.
//
// A CycleConsumer (@aurea/common): messages are decoded and their spans converted as they arrive;
// a cycle's events and dead letters are produced (idempotent producer, acks=all) and only after
// the broker acknowledged them are the span offsets committed. A crash in between redelivers the
// spans; they convert to the same event ids (trace id + span id), which is what downstream
// dedupes on. Every codec the Collector's exporter may use (zstd by default) is decoded by the
// Kafka client itself.
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
import {
  TOPICS,
  cutDeadLetter,
  deadLetterHeaders,
  normalizeEvent,
  type FieldError,
  type NormalizedTaskEvent,
} from '@aurea/events';
import type { PriceTable } from '@aurea/sdk/pricing';
import { convertSpan, type SpanRejectReason } from './convert.js';
import type { SpanMetrics } from './metrics.js';
import { decodeTraceRequest, spanToRequest } from './otlp-proto.js';

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
  /** A cycle is produced when it holds this many Kafka messages … (default 200) */
  maxCycleMessages?: number;
  /** … or this long after its first message (default 100 ms). */
  cycleMs?: number;
  /** Most events in one produce request; larger cycles are sent in several (default 5000). */
  maxEventsPerProduce?: number;
  /** Deadline for stop(): finish the cycle in hand, commit, disconnect (default 10 s). */
  shutdownDeadlineMs?: number;
  /** Record each produced event's metrics for its service (real-time cost of span-only services). */
  metrics?: SpanMetrics;
  lagIntervalMs?: number;
  stallMs?: number;
  giveUpMs?: number;
  onFatal?: (err: Error) => void;
}

export interface SpanBridgeStats extends CycleConsumerState {
  messages: number;
  spans: number;
  events: number;
  /** Spans without gen_ai.operation.name (the Collector normally filters them out). */
  skipped: number;
  /** Dead-lettered spans (or whole messages that did not decode). */
  deadLettered: number;
}

export interface SpanBridgeHandle {
  stats(): SpanBridgeStats;
  readiness(): Readiness;
  stop(): Promise<void>;
}

export type DeadLetterReason = SpanRejectReason | 'invalid_protobuf';

interface Out {
  key: Buffer;
  value: Buffer;
  headers?: Record<string, string>;
}

/** One cycle: the events and dead letters its messages converted to. */
class SpanCycle {
  readonly events: Out[] = [];
  /** The events again, normalized, for their metrics once produced. */
  readonly normalized: NormalizedTaskEvent[] = [];
  readonly dead: Out[] = [];
  size = 0;
}

class SpanBridge {
  readonly member: CycleConsumer<SpanCycle>;
  private readonly input: string;
  private readonly output: string;
  private readonly dlq: string;
  private readonly log: Logger;
  private readonly maxEvents: number;
  private readonly counts = { messages: 0, spans: 0, events: 0, skipped: 0, deadLettered: 0 };

  constructor(private readonly o: SpanBridgeOptions) {
    this.input = o.inputTopic ?? TOPICS.otlpSpans;
    this.output = o.outputTopic ?? TOPICS.taskEvents;
    this.dlq = o.dlqTopic ?? TOPICS.deadLetter;
    this.log = o.logger;
    this.maxEvents = o.maxEventsPerProduce ?? 5000;
    this.member = new CycleConsumer<SpanCycle>({
      kafka: o.kafka,
      groupId: o.groupId ?? 'aurea-span-bridge',
      topic: this.input,
      logger: o.logger,
      // OTLP messages are up to a few MB (2048 spans per Collector batch).
      maxCycleMessages: o.maxCycleMessages ?? 200,
      cycleMs: o.cycleMs ?? 100,
      maxBytes: 32 * 1024 * 1024,
      ...(o.fromBeginning === undefined ? {} : { fromBeginning: o.fromBeginning }),
      ...(o.lagIntervalMs === undefined ? {} : { lagIntervalMs: o.lagIntervalMs }),
      ...(o.stallMs === undefined ? {} : { stallMs: o.stallMs }),
      ...(o.giveUpMs === undefined ? {} : { giveUpMs: o.giveUpMs }),
      ...(o.onFatal === undefined ? {} : { onFatal: o.onFatal }),
      writeFailureReason: 'producing task events or dead letters is failing and being retried',
      hooks: {
        newCycle: () => new SpanCycle(),
        add: (cycle, m) => this.add(cycle, m),
        write: (cycle, ctx) => this.write(cycle, ctx),
      },
    });
  }

  stats(): SpanBridgeStats {
    return { ...this.member.state(), ...this.counts };
  }

  private deadLetter(
    value: Buffer,
    key: Buffer | null,
    reason: DeadLetterReason,
    errors: FieldError[],
    m: KafkaMessage,
    extra: Record<string, string> = {},
  ): Out {
    return {
      key: key ?? Buffer.alloc(0),
      value,
      headers: {
        ...deadLetterHeaders(reason, errors, { topic: this.input, partition: m.partition, offset: m.offset }),
        'content-type': 'application/x-protobuf',
        ...extra,
      },
    };
  }

  /** Decode one OTLP message and convert its spans (runs while the previous cycle is produced). */
  private add(cycle: SpanCycle, m: KafkaMessage): void {
    cycle.size++;
    this.counts.messages++;
    const bytes = m.value;
    if (bytes.length === 0) {
      cycle.dead.push(this.deadLetter(bytes, null, 'invalid_protobuf', [{ field: '/', message: 'empty message' }], m));
      return;
    }
    let req;
    try {
      req = decodeTraceRequest(bytes);
    } catch (err) {
      this.log.warn(
        { err, partition: m.partition, offset: String(m.offset) },
        'undecodable OTLP message dead-lettered',
      );
      const key = m.key.length > 0 ? m.key : null;
      cycle.dead.push(
        this.deadLetter(bytes, key, 'invalid_protobuf', [{ field: '/', message: (err as Error).message }], m),
      );
      return;
    }
    for (const rs of req.resourceSpans) {
      for (const ss of rs.scopeSpans) {
        for (const span of ss.spans) {
          this.counts.spans++;
          const r = convertSpan(span, {
            resourceAttributes: rs.resource.attributes,
            scopeName: ss.scope.name,
            ...(this.o.priceTable ? { priceTable: this.o.priceTable } : {}),
          });
          if (r.kind === 'event') {
            cycle.events.push({ key: Buffer.from(r.event.job_id), value: Buffer.from(JSON.stringify(r.event)) });
            if (this.o.metrics) cycle.normalized.push(normalizeEvent(r.event));
          } else if (r.kind === 'skipped') {
            this.counts.skipped++;
          } else {
            this.log.warn(
              { reason: r.reason, errors: r.errors, traceId: span.traceId, spanId: span.spanId },
              'span dead-lettered',
            );
            cycle.dead.push(
              this.deadLetter(
                spanToRequest(bytes, rs, ss, span),
                span.traceId ? Buffer.from(span.traceId) : null,
                r.reason,
                r.errors,
                m,
                { 'aurea-dlq-span': `${span.traceId}:${span.spanId}` },
              ),
            );
          }
        }
      }
    }
  }

  /** Produce the cycle's events and dead letters; the span offsets commit after (CycleConsumer). */
  private async write(cycle: SpanCycle, ctx: WriteContext): Promise<void> {
    for (let i = 0; i < cycle.events.length; i += this.maxEvents) {
      const events = cycle.events.slice(i, i + this.maxEvents).map((x) => ({ topic: this.output, ...x }));
      await produceBounded(ctx, 'produce', events, { fields: { topic: this.output } });
    }
    const dead = cycle.dead.map((x) => ({ topic: this.dlq, ...x }));
    await produceBounded(ctx, 'produce', dead, { shrink: cutDeadLetter, fields: { topic: this.dlq } });
    // Metrics after the broker acknowledged the events: a cycle consumed again after a crash is
    // counted again (docs/otlp-spans.md, "Real-time metrics").
    for (const e of cycle.normalized) this.o.metrics?.record(e);
    this.counts.events += cycle.events.length;
    this.counts.deadLettered += cycle.dead.length;
  }
}

/** Start the span bridge (in the background: Kafka being down does not fail the start). */
export function startSpanBridge(opts: SpanBridgeOptions): Promise<SpanBridgeHandle> {
  const b = new SpanBridge(opts);
  b.member.start();
  return Promise.resolve({
    stats: () => b.stats(),
    readiness: () => b.member.readiness(),
    stop: () =>
      b.member.stop(opts.shutdownDeadlineMs ?? 10_000).then(() => opts.logger.info(b.stats(), 'span bridge stopped')),
  });
}
