// Publishing ingested task events to Kafka: one idempotent producer (acks=all, @aurea/common's
// producer on @platformatic/kafka), messages keyed by job_id so one job's events stay in order on
// one partition. A request's events go out in one send and the request is answered 202 only
// after every partition acknowledged them; on failure the answer is 503 and the client retries
// the same batch — event_id is the idempotency key downstream (ReplacingMergeTree), so a retry
// never double-counts.
import { MAX_REQUEST_BYTES, chunkByBytes, createProducer, isTooLarge, type Logger } from '@aurea/common';
import { UnavailableError } from './errors.js';

export interface PublishableEvent {
  event_id: string;
  job_id: string;
}

/** Where POST /v1/events puts accepted events (the SDK's EventPublisher is a different thing). */
export interface IngestPublisher {
  publish(events: readonly PublishableEvent[]): Promise<void>;
  /** Broker reachable and the topic known (metadata answered) within the timeout. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface IngestPublisherOptions {
  brokers: string[];
  clientId?: string | undefined;
  topic: string;
  logger: Logger;
  /** Per-request deadline; a slower broker is reported as unavailable (503). */
  sendTimeoutMs?: number;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export function createIngestPublisher(o: IngestPublisherOptions): IngestPublisher {
  const log = o.logger.child({ component: 'ingest-publisher' });
  const timeoutMs = o.sendTimeoutMs ?? 10_000;
  const producer = createProducer({
    brokers: o.brokers,
    clientId: o.clientId ?? 'aurea-analytics-api',
    requestTimeoutMs: timeoutMs,
  });
  return {
    async publish(events) {
      if (events.length === 0) return;
      const messages = events.map((e) => ({
        topic: o.topic,
        key: e.job_id,
        value: JSON.stringify(e),
        headers: { 'aurea-schema-version': '1' },
      }));
      try {
        // In requests a broker accepts (docs/api.md, "Ingest: whose figures count"); every one acknowledged
        // before the 202, and a retry of the whole request is safe (event_id is the key).
        const deadline = Date.now() + timeoutMs;
        for (const chunk of chunkByBytes(messages, MAX_REQUEST_BYTES))
          await within(producer.send({ messages: chunk }), Math.max(1, deadline - Date.now()), 'produce');
      } catch (err) {
        if (isTooLarge(err))
          throw Object.assign(
            new Error(
              `the events are larger than the Kafka topic ${o.topic} accepts (its max.message.bytes); send them in smaller requests`,
            ),
            { statusCode: 413 },
          );
        log.warn({ err, events: events.length }, 'ingest publish failed');
        throw new UnavailableError(
          'kafka',
          `Kafka is unavailable; none of the ${events.length} event(s) is acknowledged — retry the request`,
          { cause: err },
        );
      }
    },
    async ready(ms = 2000) {
      try {
        const md = await within(producer.metadata({ topics: [o.topic] }), ms, 'metadata');
        const t = md.topics.get(o.topic);
        if (!t || t.partitionsCount === 0) throw new Error(`topic ${o.topic} missing`);
        return true;
      } catch (err) {
        log.debug({ err }, 'Kafka not ready');
        return false;
      }
    },
    async close() {
      await producer.close().catch((err: unknown) => log.warn({ err }, 'ingest producer close'));
    },
  };
}
