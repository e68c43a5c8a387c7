// Publishing ingested task events to Kafka: one idempotent producer (acks=all), messages keyed
// by job_id so one job's events stay in order on one partition. A request's events go out in
// one send and the request is answered 202 only after every partition acknowledged them; on
// failure the answer is 503 and the client retries the same batch — event_id is the
// idempotency key downstream (ReplacingMergeTree), so a retry never double-counts.
import { Kafka, logLevel, type Producer, type Admin } from 'kafkajs';
import type { Logger } from '@aurea/common';
import { UnavailableError } from './errors.js';

export interface PublishableEvent {
  event_id: string;
  job_id: string;
}

export interface EventPublisher {
  publish(events: readonly PublishableEvent[]): Promise<void>;
  /** Broker reachable (metadata answered) within the timeout. */
  ready(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export interface KafkaPublisherOptions {
  brokers: string[];
  clientId?: string | undefined;
  topic: string;
  logger: Logger;
  /** Per-send deadline; a slower broker is reported as unavailable (503). */
  sendTimeoutMs?: number;
}

export function createKafkaPublisher(o: KafkaPublisherOptions): EventPublisher {
  const log = o.logger.child({ component: 'kafka-publisher' });
  const kafka = new Kafka({
    clientId: o.clientId ?? 'aurea-analytics-api',
    brokers: o.brokers,
    connectionTimeout: 3000,
    requestTimeout: o.sendTimeoutMs ?? 10_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log;
      log.warn({ ...extra, namespace: entry.namespace }, message);
    },
  });
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  const admin: Admin = kafka.admin();
  let connected: Promise<void> | undefined;
  const connect = () => {
    connected ??= producer.connect().catch((err: unknown) => {
      connected = undefined; // try again on the next request
      throw err;
    });
    return connected;
  };
  let adminConnected: Promise<void> | undefined;
  const connectAdmin = () => {
    adminConnected ??= admin.connect().catch((err: unknown) => {
      adminConnected = undefined;
      throw err;
    });
    return adminConnected;
  };
  // Connect in the background; a broker that is down now must not stop the API from starting.
  connect().catch((err: unknown) => log.warn({ err }, 'Kafka not reachable yet; will retry on first ingest'));

  return {
    async publish(events) {
      if (events.length === 0) return;
      try {
        await connect();
        await producer.send({
          topic: o.topic,
          acks: -1,
          timeout: o.sendTimeoutMs ?? 10_000,
          messages: events.map((e) => ({
            key: e.job_id,
            value: JSON.stringify(e),
            headers: { 'aurea-schema-version': '1' },
          })),
        });
      } catch (err) {
        throw new UnavailableError(
          'kafka',
          `Kafka is unavailable; none of the ${events.length} event(s) is acknowledged — retry the request`,
          { cause: err },
        );
      }
    },
    async ready(timeoutMs = 2000) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          (async () => {
            await connectAdmin();
            const md = await admin.fetchTopicMetadata({ topics: [o.topic] });
            if (!md.topics.some((t) => t.name === o.topic && t.partitions.length > 0))
              throw new Error(`topic ${o.topic} missing`);
          })(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
          }),
        ]);
        return true;
      } catch (err) {
        log.debug({ err }, 'Kafka not ready');
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
