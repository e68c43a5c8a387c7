// Task events to Kafka without ever blocking or throwing at the caller.
//
// publish() appends to a bounded in-memory buffer and returns. A single background pump takes
// batches from the head, serialises them once, and sends them through a Transport (kafkajs:
// keyed by job_id, gzip, idempotent, acks=all). A failed batch stays at the head and is retried
// with backoff, so events wait while Kafka is slow or down. Events arriving while the buffer
// holds `maxBufferedEvents` (in flight included) are dropped and counted by reason, with one
// rate-limited log line. close() delivers what is buffered within a deadline; what is left is
// counted as dropped (reason `shutdown`). Duplicates after an ambiguous failure are possible
// (at-least-once); event_id is the consumer's idempotency key.
import kafkajs from 'kafkajs';
import type { TaskEventV1 } from '@aurea/events';
import { TOPICS } from '@aurea/events';
import { RateLimitedLogger, stderrLogger, type SdkLogger } from './log.js';

const { Kafka, CompressionTypes, logLevel: KafkaLogLevel } = kafkajs;

/** An event whose JSON is built only when it is sent (keeps the caller's path cheap). */
export interface DeferredTaskEvent {
  readonly job_id: string;
  toEvent(): TaskEventV1;
}
export type PublishableEvent = TaskEventV1 | DeferredTaskEvent;

export type DropReason = 'buffer_full' | 'shutdown' | 'too_large' | 'serialize_error';

export interface PublisherStats {
  /** Events acknowledged by the broker. */
  published: number;
  /** Events waiting (in flight included). */
  buffered: number;
  dropped: Map<DropReason, number>;
}

export interface FlushResult {
  /** Events still buffered when the deadline passed. */
  pending: number;
}

/** What the SDK needs from an event sink. The kafkajs publisher implements it; tests may too. */
export interface EventPublisher {
  /** Enqueue; never throws, never blocks. Returns false when the event was dropped. */
  publish(event: PublishableEvent): boolean;
  /** Wait until everything buffered now is delivered, or the deadline passes. */
  flush(deadlineMs?: number): Promise<FlushResult>;
  /** Flush within the deadline, count the rest as dropped, disconnect. Idempotent. */
  close(deadlineMs?: number): Promise<FlushResult>;
  stats(): PublisherStats;
}

export interface OutgoingMessage {
  key: string;
  value: string;
}

/** The wire: swap kafkajs for another client by implementing this. */
export interface Transport {
  connect(): Promise<void>;
  send(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface BufferedPublisherOptions {
  maxBufferedEvents?: number;
  batchSize?: number;
  lingerMs?: number;
  maxMessageBytes?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  logger?: SdkLogger;
}

function isDeferred(e: PublishableEvent): e is DeferredTaskEvent {
  return typeof (e as DeferredTaskEvent).toEvent === 'function';
}

export class BufferedPublisher implements EventPublisher {
  private items: PublishableEvent[] = [];
  private head = 0;
  private inflight: { messages: OutgoingMessage[]; count: number } | null = null;
  private published = 0;
  private readonly dropped = new Map<DropReason, number>();
  private nextDropLog = 0;
  private pumping = false;
  private timer: NodeJS.Timeout | null = null;
  private connected = false;
  private closing = false;
  private closed: Promise<FlushResult> | null = null;
  private wake: (() => void) | null = null;
  private waiters: (() => void)[] = [];
  private readonly max: number;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly maxMessageBytes: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: RateLimitedLogger;

  constructor(
    private readonly transport: Transport,
    opts: BufferedPublisherOptions = {},
  ) {
    this.max = opts.maxBufferedEvents ?? 10_000;
    this.batchSize = opts.batchSize ?? 500;
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxMessageBytes = opts.maxMessageBytes ?? 900_000;
    this.retryMinMs = opts.retryMinMs ?? 200;
    this.retryMaxMs = opts.retryMaxMs ?? 5_000;
    this.log = new RateLimitedLogger(opts.logger ?? stderrLogger);
  }

  get buffered(): number {
    return this.items.length - this.head;
  }

  stats(): PublisherStats {
    return { published: this.published, buffered: this.buffered, dropped: this.dropped };
  }

  private drop(reason: DropReason, n = 1): void {
    const total = (this.dropped.get(reason) ?? 0) + n;
    this.dropped.set(reason, total);
    const now = Date.now();
    if (now < this.nextDropLog) return; // rate-limited: build nothing on the hot path
    this.nextDropLog = now + 10_000;
    this.log.log(
      'warn',
      `drop:${reason}`,
      { reason, dropped_total: total, buffered: this.buffered, max: this.max },
      'aurea: task events dropped',
    );
  }

  publish(event: PublishableEvent): boolean {
    if (this.closing || this.buffered >= this.max) {
      this.drop(this.closing ? 'shutdown' : 'buffer_full');
      return false;
    }
    this.items.push(event);
    if (!this.pumping && this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.lingerMs);
      this.timer.unref();
    }
    return true;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    void this.pump();
  };

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      t.unref();
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private takeBatch(): { messages: OutgoingMessage[]; count: number } {
    const end = Math.min(this.items.length, this.head + this.batchSize);
    const messages: OutgoingMessage[] = [];
    for (let i = this.head; i < end; i++) {
      const e = this.items[i]!;
      let value: string;
      let key: string;
      try {
        const ev = isDeferred(e) ? e.toEvent() : e;
        key = ev.job_id;
        value = JSON.stringify(ev);
      } catch (err) {
        this.drop('serialize_error');
        this.log.log(
          'error',
          'serialize',
          { err: (err as Error).message },
          'aurea: task event could not be serialised',
        );
        continue;
      }
      if (Buffer.byteLength(value) > this.maxMessageBytes) {
        this.drop('too_large');
        continue;
      }
      messages.push({ key, value });
    }
    return { messages, count: end - this.head };
  }

  private advance(count: number): void {
    for (let i = this.head; i < this.head + count; i++) this.items[i] = undefined as unknown as PublishableEvent;
    this.head += count;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let backoff = this.retryMinMs;
    try {
      while (this.buffered > 0 || this.inflight !== null) {
        try {
          if (!this.connected) {
            await this.transport.connect();
            this.connected = true;
          }
          this.inflight ??= this.takeBatch();
          const { messages, count } = this.inflight;
          if (messages.length > 0) await this.transport.send(messages);
          this.inflight = null;
          this.published += messages.length;
          this.advance(count);
          backoff = this.retryMinMs;
          this.notify();
        } catch (err) {
          this.log.log(
            'warn',
            'send',
            { err: (err as Error).message, buffered: this.buffered },
            'aurea: Kafka unavailable, task events buffered and retried',
          );
          if (this.connected) {
            this.connected = false;
            await this.transport.disconnect().catch(() => undefined);
          }
          if (this.closing && this.closed !== null && this.deadlinePassed()) break;
          await this.sleep(backoff);
          backoff = Math.min(this.retryMaxMs, backoff * 2);
        }
      }
    } finally {
      this.pumping = false;
      this.notify();
    }
  }

  private deadlineAt = Infinity;
  private deadlinePassed(): boolean {
    return Date.now() >= this.deadlineAt;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  async flush(deadlineMs = 5_000): Promise<FlushResult> {
    const until = Date.now() + deadlineMs;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.wake?.();
    void this.pump();
    while (this.buffered > 0 && Date.now() < until) {
      await new Promise<void>((resolve) => {
        // Not unref'd: whoever awaits flush()/close() (a script's final shutdown, say) must keep the
        // process alive until the deadline, or Node exits with the await unsettled.
        const t = setTimeout(resolve, Math.max(1, Math.min(50, until - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      if (!this.pumping && this.buffered > 0) void this.pump();
    }
    return { pending: this.buffered };
  }

  close(deadlineMs = 5_000): Promise<FlushResult> {
    this.closed ??= (async () => {
      this.deadlineAt = Date.now() + deadlineMs;
      const res = await this.flush(deadlineMs);
      this.closing = true;
      this.wake?.();
      const left = this.buffered;
      if (left > 0) {
        this.drop('shutdown', left);
        this.items = [];
        this.head = 0;
        this.inflight = null;
      }
      const remaining = Math.max(100, this.deadlineAt - Date.now());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.transport.disconnect().catch(() => undefined),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
      return res;
    })();
    return this.closed;
  }
}

export interface KafkaPublisherOptions extends BufferedPublisherOptions {
  brokers: string[];
  topic?: string;
  clientId?: string;
  /** Per-request timeout towards the broker (ms). */
  requestTimeoutMs?: number;
}

/** The kafkajs Transport: idempotent producer, acks=all, gzip, keyed by job_id. */
export function createKafkaTransport(opts: {
  brokers: string[];
  topic: string;
  clientId: string;
  requestTimeoutMs?: number;
  logger: RateLimitedLogger;
}): Transport {
  const kafka = new Kafka({
    clientId: opts.clientId,
    brokers: opts.brokers,
    connectionTimeout: 3_000,
    requestTimeout: opts.requestTimeoutMs ?? 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }) => {
        // Route kafkajs' own lines through the rate limiter: one line per namespace per interval.
        const lvl = level === KafkaLogLevel.ERROR ? 'error' : 'warn';
        const { message, ...rest } = log;
        if (/Limiting retries for the idempotent producer/.test(message)) return; // deliberate, see below
        opts.logger.log(lvl, `kafkajs:${namespace}`, { namespace, ...rest }, `kafkajs: ${message}`);
      },
  });
  // Finite retries inside kafkajs (the buffer above retries forever, with backoff), so a send
  // against a dead broker fails in seconds instead of hanging and close() stays bounded.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: async (messages) => {
      await producer.send({ topic: opts.topic, messages, acks: -1, compression: CompressionTypes.GZIP });
    },
  };
}

/** A buffered, never-blocking kafkajs publisher of task events (default topic aurea.task-events.v1). */
export function createKafkaPublisher(opts: KafkaPublisherOptions): BufferedPublisher {
  const logger = new RateLimitedLogger(opts.logger ?? stderrLogger);
  const transport = createKafkaTransport({
    brokers: opts.brokers,
    topic: opts.topic ?? TOPICS.taskEvents,
    clientId: opts.clientId ?? 'aurea-sdk',
    requestTimeoutMs: opts.requestTimeoutMs,
    logger,
  });
  return new BufferedPublisher(transport, opts);
}
