// A Kafka group member that processes its partitions in fetch cycles: the loop shared by the
// task-event consumer and the span bridge (docs/consumer.md, "Fetch cycles").
//  - Messages are collected into a cycle (by count and by time since its first message) and
//    handed to the service's `add` as they arrive, so the next cycle is decoded while the
//    previous one is written; one cycle is written at a time, and a full cycle waiting for the
//    write pauses fetching (backpressure).
//  - After `write` resolves, the next offset of every partition of the cycle is committed:
//    offsets never move past unwritten messages.
//  - Writes retry through `retry` until they succeed: fetching pauses meanwhile, readiness says
//    why, and a stop past its deadline gives up (the cycle is consumed again after a restart).
//  - A stream that fails (broker failure, group trouble) is closed and consumed again from the
//    committed offsets with backoff; unable to consume for `giveUpMs`, `onFatal` is called (the
//    service exits non-zero and its orchestrator restarts it) — never a live process consuming
//    nothing.
//  - Lag comes from the brokers' high watermarks on a timer, not from the last cycle.
import type { Logger } from 'pino';
import type { Consumer, Message, MessagesStream, Producer } from '@platformatic/kafka';
import { createBytesProducer, createConsumer, type KafkaConfig } from './kafka.js';
import type { Readiness } from './probes.js';
import { retryUntilDone, type RetryPolicy } from './retry.js';

export type KafkaMessage = Message<Buffer, Buffer, string, string>;

export interface CycleHooks<C> {
  /** An empty cycle. */
  newCycle(): C;
  /** Take one message into the cycle (decode it now: this runs while the previous cycle is written). */
  add(cycle: C, message: KafkaMessage): void;
  /** Write the cycle; use `retry` for every write that may fail for a while. */
  write(cycle: C, ctx: WriteContext): Promise<void>;
}

export interface WriteContext {
  /** A bytes producer for dead letters and outputs (acks=all, idempotent). */
  producer: Producer<Buffer, Buffer, string, string>;
  /** Retry until it succeeds; fetching pauses while it fails. */
  retry<T>(what: string, fn: () => Promise<T>, fields?: Record<string, unknown>): Promise<T>;
}

export interface CycleConsumerOptions<C> {
  kafka: KafkaConfig;
  groupId: string;
  topic: string;
  logger: Logger;
  hooks: CycleHooks<C>;
  /** A cycle is written when it holds this many messages … */
  maxCycleMessages: number;
  /** … or this long after its first message arrived. */
  cycleMs: number;
  maxWaitMs?: number;
  maxBytes?: number;
  retry?: RetryPolicy;
  /** A new group starts at the oldest retained message (default) or at new ones. */
  fromBeginning?: boolean;
  /** A partition with lag and no cycle written for this long makes the member not ready. */
  stallMs?: number;
  /**
   * Lag behind the high watermarks, nothing being written, and no message from the stream for this
   * long: the stream is closed and consumed again from the committed offsets (default 10 s). A
   * client's fetch loop can stop without an error after brokers die (docs/kafka.md).
   */
  idleRestartMs?: number;
  lagIntervalMs?: number;
  /** Unable to consume for this long: onFatal is called once. */
  giveUpMs?: number;
  onFatal?: (err: Error) => void;
  /** Lag per partition after each read from the brokers (metrics). */
  onLag?: (partition: number, lag: number) => void;
  /** What failing writes mean, for readiness (e.g. "writes to ClickHouse are failing"). */
  writeFailureReason?: string;
}

export interface CycleConsumerState {
  cycles: number;
  streamRestarts: number;
  /** Streams re-opened because they delivered nothing while partitions had lag (idleRestartMs). */
  idleRestarts: number;
  /** Group members replaced after their stream failed (including an unanswered commit or an idle stream). */
  consumerReplacements: number;
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

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A commit unanswered for this long ends the stream (see writeCycle). */
const COMMIT_TIMEOUT_MS = 10_000;
/** Closing a stream waits at most this long for its fetches in flight. */
const CLOSE_TIMEOUT_MS = 5_000;

class CommitStuckError extends Error {
  constructor(ms: number) {
    super(`offset commit unanswered for ${ms} ms`);
  }
}

class IdleStreamError extends Error {
  constructor(ms: number) {
    super(`no message for ${Math.round(ms / 1000)} s while partitions have lag`);
  }
}

export class CycleConsumer<C extends { readonly size: number }> {
  private readonly log: Logger;
  private consumer: Consumer<Buffer, Buffer, string, string>;
  readonly producer: Producer<Buffer, Buffer, string, string>;
  private stream: MessagesStream<Buffer, Buffer, string, string> | undefined;
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private stopping = false;
  private stopDeadline = Infinity;
  private lagTimer: NodeJS.Timeout | undefined;
  /** Next offset per partition, as far as this process has written (for lag). */
  private readonly written = new Map<number, bigint>();
  /** Since when the member has been unable to consume (0: it is consuming). */
  private failingSince = 0;
  /** Since when the current stream has been consuming. */
  private consumingSince = 0;
  /** Set while a stream is pumped: write what is in hand and finish (stop()). */
  private finishPump: (() => void) | undefined;
  /** Set while a stream is pumped: end it with an error unless a cycle is being written; true if ended. */
  private abortPump: ((err: Error) => boolean) | undefined;
  /** Set while a stream is pumped: true when no message is in hand, being written or buffered. */
  private pumpIdle: (() => boolean) | undefined;
  /** When the current stream last delivered a message. */
  private lastMessageAt = 0;
  /** When the cycle being written started writing (0: none). */
  private writingSince = 0;
  private lastError: string | undefined;
  private readonly st: CycleConsumerState = {
    cycles: 0,
    streamRestarts: 0,
    idleRestarts: 0,
    consumerReplacements: 0,
    paused: false,
    consuming: false,
    lag: {},
    lagReadAt: 0,
    lastWriteAt: 0,
  };

  constructor(private readonly o: CycleConsumerOptions<C>) {
    this.log = o.logger;
    this.consumer = this.newConsumer();
    this.producer = createBytesProducer(o.kafka);
  }

  private newConsumer(): Consumer<Buffer, Buffer, string, string> {
    return createConsumer(this.o.kafka, {
      groupId: this.o.groupId,
      groupInstanceId: this.o.kafka.groupInstanceId,
      maxWaitMs: this.o.maxWaitMs ?? 100,
      maxBytes: this.o.maxBytes ?? 16 * 1024 * 1024,
    });
  }

  /**
   * A new group member in place of one whose stream failed (the client's state may not recover: a
   * commit it never answers, a stream that delivers nothing): the old one is closed (bounded), the
   * new one joins with the same static instance id and takes the partitions over without waiting
   * out a session.
   */
  private async replaceConsumer(err: Error): Promise<void> {
    const old = this.consumer;
    this.consumer = this.newConsumer();
    this.st.consumerReplacements++;
    this.log.info({ err: err.message }, 'a new group member replaces the failed one');
    await Promise.race([old.close(true).catch(() => undefined), sleep(CLOSE_TIMEOUT_MS)]);
  }

  state(): CycleConsumerState {
    return { ...this.st, lag: { ...this.st.lag } };
  }

  /** Ready = consuming, writes succeed, lag known, no partition stalled behind its high watermark. */
  readiness(): Readiness {
    const now = Date.now();
    const s = this.st;
    if (!s.consuming) return { ready: false, reason: `not consuming: ${this.lastError ?? 'starting'}` };
    if (s.paused) return { ready: false, reason: this.o.writeFailureReason ?? 'writes are failing and being retried' };
    const interval = this.o.lagIntervalMs ?? 5_000;
    if (s.lagReadAt === 0 || now - s.lagReadAt > 3 * interval + 5_000)
      return { ready: false, reason: 'cannot read the partitions’ high watermarks from the brokers' };
    const behind = Object.entries(s.lag).filter(([, l]) => l > 0);
    if (behind.length > 0 && now - Math.max(s.lastWriteAt, this.consumingSince) > (this.o.stallMs ?? 30_000))
      return {
        ready: false,
        reason:
          `stalled: partitions ${behind.map(([p]) => p).join(', ')} behind, nothing written` +
          (this.writingSince ? `; a cycle has been writing for ${Math.round((now - this.writingSince) / 1000)} s` : ''),
      };
    return { ready: true };
  }

  start(): void {
    this.loop = this.run();
    this.lagTimer = setInterval(() => void this.readLag(), this.o.lagIntervalMs ?? 5_000);
    this.lagTimer.unref();
    this.log.info({ topic: this.o.topic, groupId: this.o.groupId, member: this.o.kafka.groupInstanceId }, 'consuming');
  }

  /** Stop fetching, write and commit the cycle in hand within the deadline, close the clients. */
  stop(deadlineMs: number): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.stopDeadline = Date.now() + deadlineMs;
      clearInterval(this.lagTimer);
      this.log.info({ deadlineMs }, 'stopping: writing the cycle in hand');
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
          this.st.streamRestarts++;
          this.failingSince ||= Date.now();
          this.lastError = (err as Error).message;
          this.log.warn({ err }, 'stream failed: consuming again from the committed offsets');
          const giveUp = this.o.giveUpMs ?? 300_000;
          if (Date.now() - this.failingSince <= giveUp) return true;
          const fatal = new Error(`unable to consume for ${giveUp} ms: ${this.lastError}`, { cause: err });
          this.log.fatal({ err: fatal }, 'giving up');
          this.o.onFatal?.(fatal);
          return false;
        },
        { initialMs: 500, maxMs: 2_000 },
      ).catch(() => false);
      if (!again) return;
    }
  }

  /**
   * One stream, until it fails or the member stops. Resolves true when a stream that had been
   * healthy for a minute failed (consume again with a fresh backoff), false when stopping;
   * rejects when the stream failed sooner.
   */
  private async consumeOnce(): Promise<boolean> {
    let since = 0;
    try {
      this.stream = await this.consumer.consume({
        topics: [this.o.topic],
        mode: 'committed',
        fallbackMode: this.o.fromBeginning === false ? 'latest' : 'earliest',
        autocommit: false,
      });
      since = Date.now();
      this.st.consuming = true;
      this.consumingSince = since;
      this.failingSince = 0;
      this.lastError = undefined;
      await this.pump(this.stream);
      return false;
    } catch (err) {
      if (this.stopping) return false;
      // A failed stream's member is not reused: after brokers die the client's group state can
      // stay stuck (commits queued behind a rejoin that never completes); a new member with the
      // same static instance id takes the partitions back in a second or two.
      await this.closeStream();
      await this.replaceConsumer(err as Error);
      if (since !== 0 && Date.now() - since > 60_000) {
        this.st.streamRestarts++;
        this.lastError = (err as Error).message;
        this.log.warn({ err }, 'stream failed: consuming again from the committed offsets');
        return true;
      }
      throw err;
    } finally {
      await this.closeStream();
    }
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    this.st.consuming = false;
    // Bounded: closing waits for fetches in flight, which a dead broker may never answer.
    if (stream && !stream.closed) await Promise.race([stream.close().catch(() => undefined), sleep(CLOSE_TIMEOUT_MS)]);
  }

  /**
   * Collect cycles from the stream and write them one at a time. Resolves when stopped (after the
   * cycle in hand is written), rejects when the stream fails or a write gives up.
   */
  private pump(stream: MessagesStream<Buffer, Buffer, string, string>): Promise<void> {
    const { hooks } = this.o;
    return new Promise<void>((resolve, reject) => {
      let cycle = hooks.newCycle();
      let last = new Map<number, KafkaMessage>();
      let timer: NodeJS.Timeout | undefined;
      // When the cycle in hand received its first message: it is written cycleMs after that, or as
      // soon as the write before it ends if that took longer (never a full cycleMs after the write).
      let openedAt = 0;
      let writing = false;
      let failed = false;
      let closed = false;
      const fail = (err: unknown) => {
        if (failed) return;
        failed = true;
        clearTimeout(timer);
        this.finishPump = undefined;
        this.abortPump = undefined;
        this.pumpIdle = undefined;
        reject(err instanceof Error ? err : new Error(String(err)));
      };
      this.abortPump = (err) => {
        if (writing || failed) return false;
        fail(err);
        return true;
      };
      this.pumpIdle = () => !writing && !failed && cycle.size === 0 && stream.readableLength === 0;
      const finishIfStopping = () => {
        if (this.stopping && !writing && cycle.size === 0) {
          clearTimeout(timer);
          this.finishPump = undefined;
          this.abortPump = undefined;
          this.pumpIdle = undefined;
          resolve();
        }
      };
      const flush = () => {
        clearTimeout(timer);
        timer = undefined;
        if (writing || cycle.size === 0 || failed) return finishIfStopping();
        const full = cycle;
        const commits = last;
        cycle = hooks.newCycle();
        last = new Map();
        writing = true;
        this.writingSince = Date.now();
        this.writeCycle(full, commits).then(
          () => {
            writing = false;
            this.writingSince = 0;
            if (closed && !this.stopping) return fail(new Error('the message stream closed'));
            if (stream.isPaused() && !this.stopping && !this.st.paused) stream.resume();
            const due = openedAt + this.o.cycleMs - Date.now();
            if (cycle.size >= this.o.maxCycleMessages || (this.stopping && cycle.size > 0)) flush();
            else if (cycle.size > 0 && due <= 0) flush();
            else if (cycle.size > 0) timer ??= setTimeout(flush, due);
            finishIfStopping();
          },
          (err: unknown) => {
            writing = false;
            this.writingSince = 0;
            fail(err);
          },
        );
      };
      stream.on('data', (m: KafkaMessage) => {
        this.lastMessageAt = Date.now();
        if (cycle.size === 0) openedAt = this.lastMessageAt;
        hooks.add(cycle, m);
        last.set(m.partition, m);
        if (cycle.size >= this.o.maxCycleMessages) {
          if (writing)
            stream.pause(); // backpressure: one cycle in hand, one being written
          else flush();
        } else timer ??= setTimeout(flush, this.o.cycleMs);
      });
      stream.once('error', fail);
      stream.once('close', () => {
        closed = true;
        if (this.stopping) flush();
        else if (!writing) fail(new Error('the message stream closed'));
      });
      this.finishPump = flush;
    });
  }

  private async writeCycle(cycle: C, last: Map<number, KafkaMessage>): Promise<void> {
    await this.o.hooks.write(cycle, { producer: this.producer, retry: (w, fn, f) => this.retry(w, fn, f) });
    let stuck: Error | undefined;
    await this.retry('commit offsets', async () => {
      try {
        await this.commit(last);
      } catch (err) {
        if (!(err instanceof CommitStuckError)) throw err;
        stuck = err;
      }
    });
    // A commit the client never answers (it queues commits during a group rejoin that may never
    // complete): the stream is consumed again from the committed offsets; the cycle, already
    // written, is read again and its rows collapse (docs/consumer.md).
    if (stuck) throw stuck;
    for (const [p, m] of last) this.written.set(p, m.offset + 1n);
    this.st.cycles++;
    this.st.lastWriteAt = Date.now();
  }

  /** Commit the next offset of every partition of the cycle (its last message, + 1). */
  private async commit(last: Map<number, KafkaMessage>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all(
          [...last.values()].map(
            (m) =>
              new Promise<void>((ok, fail) => {
                void m.commit((e) => (e ? fail(e) : ok()));
              }),
          ),
        ),
        new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new CommitStuckError(COMMIT_TIMEOUT_MS)), COMMIT_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      if (err instanceof CommitStuckError) throw err;
      // A rebalance took the partition away: its new owner consumes it again from the last
      // committed offset (the services' writes are idempotent for that: docs/consumer.md).
      if (!this.consumer.isActive()) {
        this.log.warn({ err }, 'offsets not committed (group rebalancing): the new owner will re-read them');
        return;
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private async readLag(): Promise<void> {
    const topic = this.o.topic;
    const assigned = this.consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? [];
    try {
      const hw = (await this.consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
      const unknown = assigned.filter((p) => !this.written.has(p));
      if (unknown.length > 0) {
        const committed = await this.consumer.listCommittedOffsets({ topics: [{ topic, partitions: unknown }] });
        const offsets = committed.get(topic) ?? [];
        for (const p of unknown) {
          const c = offsets[p];
          if (c !== undefined && c >= 0n) this.written.set(p, c);
        }
      }
      // With nothing in hand, every message the stream fetched is written: its fetch position is
      // this process's position too. It can be past the last message written — transaction
      // markers and aborted transactions' records are never delivered (read_committed) — and
      // the high watermark counts them (docs/consumer.md, "Readiness and lag").
      if (this.pumpIdle?.() === true && this.stream) {
        for (const p of assigned) {
          const fetched = this.stream.offsetsToFetch.get(`${topic}:${p}`);
          if (fetched !== undefined && fetched > (this.written.get(p) ?? -1n)) this.written.set(p, fetched);
        }
      }
      const lag: Record<number, number> = {};
      for (const p of assigned) {
        const high = hw[p];
        if (high === undefined) continue;
        lag[p] = Math.max(0, Number(high - (this.written.get(p) ?? 0n)));
        this.o.onLag?.(p, lag[p]);
      }
      this.st.lag = lag;
      this.st.lagReadAt = Date.now();
      this.restartIfIdle(lag);
    } catch (err) {
      this.log.warn({ err }, 'cannot read high watermarks for lag');
    }
  }

  /** See idleRestartMs: a stream that delivers nothing while its partitions have lag is re-opened. */
  private restartIfIdle(lag: Record<number, number>): void {
    if (this.stopping || this.st.paused || !this.st.consuming) return;
    if (!Object.values(lag).some((l) => l > 0)) return;
    const idleMs = Date.now() - Math.max(this.lastMessageAt, this.consumingSince);
    const limit = this.o.idleRestartMs ?? 10_000;
    if (idleMs < limit) return;
    if (this.abortPump?.(new IdleStreamError(idleMs))) {
      this.st.idleRestarts++;
      this.log.warn({ idleMs, lag }, 'the stream delivers nothing while partitions have lag: consuming again');
    }
  }

  /**
   * Retry a write until it succeeds; fetching pauses while it fails (backpressure), and a stop
   * past its deadline gives up (the cycle is consumed again after a restart).
   */
  private async retry<T>(what: string, fn: () => Promise<T>, fields: Record<string, unknown> = {}): Promise<T> {
    const r = await retryUntilDone(
      fn,
      (err, attempt) => {
        if (this.stopping && Date.now() >= this.stopDeadline - 500) return false;
        if (!this.st.paused) {
          this.st.paused = true;
          this.stream?.pause();
          this.log.warn({ err, what, ...fields }, 'write failing: fetching paused, retrying with backoff');
        } else if (attempt % 10 === 0) this.log.warn({ err, attempt, what, ...fields }, 'still failing, retrying');
        return true;
      },
      this.o.retry,
    );
    if (this.st.paused) {
      this.st.paused = false;
      if (this.stream?.isPaused() && !this.stopping) this.stream.resume();
      this.log.info({ what }, 'writes succeed again');
    }
    return r;
  }
}
