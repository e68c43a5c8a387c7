// Task events to Kafka without ever blocking or throwing at the caller (docs/sdk.md, "Kafka delivery").
//
// publish() appends to a bounded in-memory buffer and returns. On a short timer (lingerMs) the
// events are serialised once, off the caller's path, and queued per Kafka partition (the key's
// partition, as Kafka's default partitioner picks it). Each partition has at most one batch in
// flight, in a request of its own, through a Transport that resolves only when Kafka acknowledged
// every message of it with acks=all. A failed batch stays at the head of its partition and is
// resent with that partition's backoff, so a dead leader stalls only the partitions it leads. An
// event counts as published only after that acknowledgement. The buffer is bounded in bytes (and optionally in
// events), in flight included; events arriving past the bound are dropped and counted by reason,
// with one rate-limited log line. close() delivers what is buffered within a deadline; what is
// left is counted as dropped (reason `shutdown`). Duplicates after an ambiguous failure are
// possible (at-least-once); event_id is the consumer's idempotency key.
import type { TaskEventV1 } from '@aurea/events';
import { TOPICS } from '@aurea/events';
import { RateLimitedLogger, stderrLogger, type SdkLogger } from './log.js';
import { createKafkaTransport } from './kafka/transport.js';

/** An event whose JSON is built only when it is sent (keeps the caller's path cheap). */
export interface DeferredTaskEvent {
  readonly job_id: string;
  toEvent(): TaskEventV1;
}
export type PublishableEvent = TaskEventV1 | DeferredTaskEvent;

export type DropReason = 'buffer_full' | 'shutdown' | 'too_large' | 'serialize_error';

export interface PublisherStats {
  /** Events acknowledged by the broker (acks=all). */
  published: number;
  /** Events waiting (in flight included). */
  buffered: number;
  /** Bytes of serialised events waiting (in flight included; the last few ms of events estimated). */
  bufferedBytes?: number;
  dropped: Map<DropReason, number>;
}

export interface FlushResult {
  /** Events still buffered when the deadline passed. */
  pending: number;
}

/** What the SDK needs from an event sink. The Kafka publisher implements it; tests may too. */
export interface EventPublisher {
  /** Enqueue; never throws, never blocks. Returns false when the event was dropped. */
  publish(event: PublishableEvent): boolean;
  /** Wait until everything buffered now is delivered, or the deadline passes. */
  flush(deadlineMs?: number): Promise<FlushResult>;
  /** Flush within the deadline, count the rest as dropped, disconnect. Idempotent. */
  close(deadlineMs?: number): Promise<FlushResult>;
  stats(): PublisherStats;
}

/**
 * A publisher that keeps the task events in memory, in order, as they would go to Kafka: for
 * tests, and for runs whose events are read back in-process. Never drops.
 */
export class MemoryPublisher implements EventPublisher {
  readonly events: TaskEventV1[] = [];
  publish(event: PublishableEvent): boolean {
    this.events.push('toEvent' in event ? event.toEvent() : event);
    return true;
  }
  flush(): Promise<FlushResult> {
    return Promise.resolve({ pending: 0 });
  }
  close(): Promise<FlushResult> {
    return this.flush();
  }
  stats(): PublisherStats {
    return { published: this.events.length, buffered: 0, dropped: new Map() };
  }
}

export interface OutgoingMessage {
  key: string;
  value: string;
}

/**
 * The wire: swap the Kafka client by implementing this. `send` carries one partition's batch and
 * must resolve only when Kafka acknowledged every message of it with acks=all (reject otherwise:
 * the publisher resends the batch).
 */
export interface Transport {
  /** Reach the cluster and learn the topic's partitions; rejects when that is not possible now. */
  connect(): Promise<void>;
  /** The partition a key goes to (valid after connect()). */
  partitionFor(key: string): number;
  send(partition: number, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * The default bound: 64 MiB of serialised events. At the documented rate of 2,000 events/s of
 * ~1 KiB each that holds 32 s of every partition stalled; a broker failover with Kafka's default
 * failure detection stalls the dead broker's partitions for less than that (docs/kafka.md), and
 * only those partitions wait.
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

export interface BufferedPublisherOptions {
  /** Bound on buffered serialised bytes, in flight included (default DEFAULT_MAX_BUFFERED_BYTES). */
  maxBufferedBytes?: number;
  /** Optional bound on buffered events, in flight included (default: none). */
  maxBufferedEvents?: number;
  /** Events per batch (one partition per batch; default 500). */
  batchSize?: number;
  /** Serialised bytes per batch, before compression (default 1 MiB; a larger single event goes alone). */
  maxBatchBytes?: number;
  lingerMs?: number;
  maxMessageBytes?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
  logger?: SdkLogger;
}

function isDeferred(e: PublishableEvent): e is DeferredTaskEvent {
  return typeof (e as DeferredTaskEvent).toEvent === 'function';
}

interface Queued {
  key: string;
  value: string;
  bytes: number;
}

/** A FIFO with an index head (no O(n) shift per batch). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(v: T): void {
    this.items.push(v);
  }
  peek(n: number): T[] {
    return this.items.slice(this.head, this.head + n);
  }
  at(i: number): T {
    return this.items[this.head + i]!;
  }
  drop(n: number): void {
    for (let i = this.head; i < this.head + n; i++) this.items[i] = undefined as unknown as T;
    this.head += n;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
  drain(): T[] {
    const out = this.items.slice(this.head);
    this.clear();
    return out;
  }
}

export class BufferedPublisher implements EventPublisher {
  /** Published since the last tick, not serialised yet (bytes estimated). */
  private fresh: PublishableEvent[] = [];
  /** Serialised, waiting for the transport to connect (partition unknown). */
  private readonly unplaced = new Fifo<Queued>();
  private readonly queues: Fifo<Queued>[] = [];
  /** Per partition: a batch in flight, and when a failed one may be resent (epoch ms). */
  private readonly sending: boolean[] = [];
  private readonly retryAt: number[] = [];
  private readonly backoff: number[] = [];
  private retryTimer: NodeJS.Timeout | null = null;
  /** Bumped when close() gives up on what is left: answers to older requests are ignored. */
  private generation = 0;
  private count = 0;
  private bytes = 0;
  private freshBytes = 0;
  /** Running mean of serialised sizes, used for events not serialised yet. */
  private meanBytes = 1024;
  private published = 0;
  private readonly dropped = new Map<DropReason, number>();
  private nextDropLog = 0;
  private timer: NodeJS.Timeout | null = null;
  private connected = false;
  private connecting = false;
  private closing = false;
  private closed: Promise<FlushResult> | null = null;
  private readonly wakers = new Set<() => void>();
  private waiters: (() => void)[] = [];
  private deadlineAt = Infinity;
  private readonly maxBytes: number;
  private readonly maxEvents: number;
  private readonly batchSize: number;
  private readonly maxBatchBytes: number;
  private readonly lingerMs: number;
  private readonly maxMessageBytes: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly log: RateLimitedLogger;

  constructor(
    private readonly transport: Transport,
    opts: BufferedPublisherOptions = {},
  ) {
    this.maxBytes = opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.maxEvents = opts.maxBufferedEvents ?? Infinity;
    this.batchSize = opts.batchSize ?? 500;
    this.maxBatchBytes = opts.maxBatchBytes ?? 1024 * 1024;
    this.lingerMs = opts.lingerMs ?? 5;
    this.maxMessageBytes = opts.maxMessageBytes ?? 900_000;
    this.retryMinMs = opts.retryMinMs ?? 200;
    // A short cap: a partition whose leader moved resumes within ~1 s of the move (docs/sdk.md).
    this.retryMaxMs = opts.retryMaxMs ?? 1_000;
    this.log = new RateLimitedLogger(opts.logger ?? stderrLogger);
  }

  get buffered(): number {
    return this.count;
  }

  stats(): PublisherStats {
    return {
      published: this.published,
      buffered: this.count,
      bufferedBytes: this.bytes + this.freshBytes,
      dropped: this.dropped,
    };
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
      { reason, dropped_total: total, buffered: this.count, buffered_bytes: this.bytes + this.freshBytes },
      'aurea: task events dropped',
    );
  }

  publish(event: PublishableEvent): boolean {
    if (this.closing || this.count >= this.maxEvents) {
      this.drop(this.closing ? 'shutdown' : 'buffer_full');
      return false;
    }
    if (this.bytes + 2 * (this.freshBytes + this.meanBytes) <= this.maxBytes) {
      // Far from the bound: serialised later, off the caller's path (counted at the mean size).
      this.fresh.push(event);
      this.freshBytes += this.meanBytes;
    } else {
      // Near the bound: exact sizes decide, so the bound holds.
      this.serializeFresh();
      const m = this.serialize(event);
      if (m === undefined) return false;
      if (this.bytes + m.bytes > this.maxBytes) {
        this.drop('buffer_full');
        return false;
      }
      this.bytes += m.bytes;
      this.unplaced.push(m);
    }
    this.count++;
    if (this.timer === null) {
      this.timer = setTimeout(this.onTimer, this.lingerMs);
      this.timer.unref();
    }
    return true;
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.tick();
  };

  /** One event to its wire form; undefined when it cannot go (counted as a drop). */
  private serialize(e: PublishableEvent): Queued | undefined {
    let key: string;
    let value: string;
    try {
      const ev = isDeferred(e) ? e.toEvent() : e;
      key = ev.job_id;
      value = JSON.stringify(ev);
    } catch (err) {
      this.drop('serialize_error');
      this.log.log('error', 'serialize', { err: (err as Error).message }, 'aurea: task event could not be serialised');
      return undefined;
    }
    const bytes = Buffer.byteLength(value) + Buffer.byteLength(key);
    if (bytes > this.maxMessageBytes) {
      this.drop('too_large');
      return undefined;
    }
    this.meanBytes += (bytes - this.meanBytes) / 64;
    return { key, value, bytes };
  }

  /** Serialise what was published since the last tick (sizes become exact). */
  private serializeFresh(): void {
    const fresh = this.fresh;
    this.fresh = [];
    this.freshBytes = 0;
    for (const e of fresh) {
      const m = this.serialize(e);
      if (m === undefined) {
        this.count--;
        continue;
      }
      this.bytes += m.bytes;
      this.unplaced.push(m);
    }
  }

  /** Serialise, place by partition, start the idle senders (or connect first). */
  private tick(): void {
    this.serializeFresh();
    if (!this.connected) {
      void this.connect();
      return;
    }
    this.place();
  }

  private place(): void {
    if (this.unplaced.length > 0) {
      for (const m of this.unplaced.drain()) {
        const p = this.transport.partitionFor(m.key);
        while (this.queues.length <= p) {
          this.queues.push(new Fifo<Queued>());
          this.sending.push(false);
          this.retryAt.push(0);
          this.backoff.push(this.retryMinMs);
        }
        this.queues[p]!.push(m);
      }
    }
    this.dispatch();
  }

  /**
   * Send what waits: one request per partition (docs/kafka.md says why not one per leader);
   * partitions with a batch in flight or waiting out a backoff are left for later.
   */
  private dispatch(): void {
    if (!this.connected || (this.closing && this.deadlinePassed())) return;
    const now = Date.now();
    let nextRetry = Infinity;
    for (let p = 0; p < this.queues.length; p++) {
      if (this.sending[p] || this.queues[p]!.length === 0) continue;
      if (this.retryAt[p]! > now) nextRetry = Math.min(nextRetry, this.retryAt[p]!);
      else void this.send(p);
    }
    if (nextRetry < Infinity && this.retryTimer === null) {
      this.retryTimer = setTimeout(
        () => {
          this.retryTimer = null;
          this.dispatch();
        },
        Math.max(1, nextRetry - now),
      );
      this.retryTimer.unref();
    }
  }

  /** One partition's head batch: acknowledged, or kept at the head and resent after its backoff. */
  private async send(p: number): Promise<void> {
    const generation = this.generation;
    const queue = this.queues[p]!;
    let n = 0;
    let size = 0;
    while (n < queue.length && n < this.batchSize && (n === 0 || size + queue.at(n).bytes <= this.maxBatchBytes))
      size += queue.at(n++).bytes;
    this.sending[p] = true;
    try {
      await this.transport.send(
        p,
        queue.peek(n).map((m) => ({ key: m.key, value: m.value })),
      );
      if (generation !== this.generation) return; // close() gave up on it meanwhile: counted as shutdown drops
      queue.drop(n);
      this.count -= n;
      this.bytes -= size;
      this.published += n;
      this.backoff[p] = this.retryMinMs;
    } catch (err) {
      if (generation !== this.generation) return;
      this.log.log(
        'warn',
        `send:${p}`,
        { err: (err as Error).message, partition: p, buffered: this.count },
        'aurea: Kafka unavailable, task events buffered and retried',
      );
      this.retryAt[p] = Date.now() + this.backoff[p]!;
      this.backoff[p] = Math.min(this.retryMaxMs, this.backoff[p]! * 2);
    } finally {
      if (generation === this.generation) this.sending[p] = false;
      this.notify();
      this.dispatch();
    }
  }

  private async connect(): Promise<void> {
    if (this.connecting || this.connected) return;
    this.connecting = true;
    let backoff = this.retryMinMs;
    try {
      while (!this.connected && this.count > 0 && !this.closing) {
        try {
          await this.transport.connect();
          this.connected = true;
        } catch (err) {
          this.log.log(
            'warn',
            'connect',
            { err: (err as Error).message, buffered: this.count },
            'aurea: Kafka unavailable, task events buffered and retried',
          );
          await this.sleep(backoff);
          backoff = Math.min(this.retryMaxMs, backoff * 2);
        }
      }
    } finally {
      this.connecting = false;
    }
    if (this.connected) this.place();
    this.notify();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.wakers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      t.unref();
      this.wakers.add(wake);
    });
  }

  /** Retry now: wake the connect loop, end every partition's backoff. */
  private wakeAll(): void {
    for (const w of [...this.wakers]) w();
    this.retryAt.fill(0);
    this.dispatch();
  }

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
    this.tick();
    this.wakeAll();
    while (this.count > 0 && Date.now() < until) {
      await new Promise<void>((resolve) => {
        // Not unref'd: whoever awaits flush()/close() (a script's final shutdown, say) must keep the
        // process alive until the deadline, or Node exits with the await unsettled.
        const t = setTimeout(resolve, Math.max(1, Math.min(50, until - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      if (this.fresh.length > 0) this.tick();
      else if (!this.connected) void this.connect();
      else this.place();
    }
    return { pending: this.count };
  }

  close(deadlineMs = 5_000): Promise<FlushResult> {
    this.closed ??= (async () => {
      this.deadlineAt = Date.now() + deadlineMs;
      const res = await this.flush(deadlineMs);
      this.closing = true;
      this.wakeAll();
      if (this.count > 0) {
        this.drop('shutdown', this.count);
        this.fresh = [];
        this.freshBytes = 0;
        this.unplaced.clear();
        for (const q of this.queues) q.clear();
        this.sending.fill(false);
        this.generation++;
        this.count = 0;
        this.bytes = 0;
      }
      if (this.retryTimer !== null) clearTimeout(this.retryTimer);
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

/** A buffered, never-blocking Kafka publisher of task events (default topic aurea.task-events.v1). */
export function createKafkaPublisher(opts: KafkaPublisherOptions): BufferedPublisher {
  const transport = createKafkaTransport({
    brokers: opts.brokers,
    topic: opts.topic ?? TOPICS.taskEvents,
    clientId: opts.clientId ?? 'aurea-sdk',
    requestTimeoutMs: opts.requestTimeoutMs,
  });
  return new BufferedPublisher(transport, opts);
}
