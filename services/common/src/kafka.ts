// Kafka clients for the services, on @platformatic/kafka (docs/kafka.md says why this client and
// what the consumer needs from it). One construction from the environment; the project's producer
// defaults (idempotent, acks=all, gzip); consumers with static group membership, so a restarted
// pod takes its partitions back at once instead of waiting out its previous member's session.
// Every codec a producer of ours or of a user's may pick (gzip, snappy, lz4, zstd) is decoded by
// the client itself, without plug-ins.
import { hostname } from 'node:os';
import {
  Admin,
  Consumer,
  Producer,
  compatibilityPartitioner,
  stringDeserializers,
  stringSerializers,
  type CompressionAlgorithmValue,
} from '@platformatic/kafka';
import { z } from 'zod';
import { commonEnv, env, parseConfig } from './config.js';

export const kafkaEnv = {
  KAFKA_BROKERS: commonEnv.KAFKA_BROKERS,
  KAFKA_CLIENT_ID: commonEnv.KAFKA_CLIENT_ID,
  /** Static membership id of this process; default `<service>-<POD_NAME or HOSTNAME or host name>`. */
  KAFKA_GROUP_INSTANCE_ID: z.string().min(1).optional(),
  POD_NAME: z.string().min(1).optional(),
  HOSTNAME: z.string().min(1).optional(),
  /** How long a member that stopped heartbeating keeps its partitions (also a static member's). */
  KAFKA_SESSION_TIMEOUT_MS: env.int(30_000, 6_000),
  KAFKA_HEARTBEAT_INTERVAL_MS: env.int(3_000, 100),
  KAFKA_REQUEST_TIMEOUT_MS: env.int(10_000, 100),
};

export interface KafkaConfig {
  brokers: string[];
  clientId: string;
  /** Static group membership id (stable across restarts of the same pod or host). */
  groupInstanceId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  requestTimeoutMs: number;
}

const kafkaEnvSchema = z.object(kafkaEnv);
export type KafkaEnv = z.infer<typeof kafkaEnvSchema>;

/** The Kafka settings of a service from its parsed configuration (which includes kafkaEnv). */
export function kafkaConfigOf(service: string, e: KafkaEnv): KafkaConfig {
  return {
    brokers: e.KAFKA_BROKERS,
    clientId: e.KAFKA_CLIENT_ID ?? service,
    groupInstanceId: e.KAFKA_GROUP_INSTANCE_ID ?? `${service}-${e.POD_NAME ?? e.HOSTNAME ?? hostname()}`,
    sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: e.KAFKA_HEARTBEAT_INTERVAL_MS,
    requestTimeoutMs: e.KAFKA_REQUEST_TIMEOUT_MS,
  };
}

export function kafkaConfigFromEnv(service: string, source: NodeJS.ProcessEnv = process.env): KafkaConfig {
  return kafkaConfigOf(service, parseConfig(kafkaEnvSchema, source));
}

type Base = Pick<KafkaConfig, 'brokers' | 'clientId'> & Partial<Pick<KafkaConfig, 'requestTimeoutMs'>>;

function baseOptions(c: Base) {
  return {
    clientId: c.clientId,
    bootstrapBrokers: c.brokers,
    connectTimeout: 3_000,
    requestTimeout: c.requestTimeoutMs ?? 10_000,
    retries: 5,
    retryDelay: 250,
    metadataMaxAge: 5_000,
  };
}

type ProducerOptions = Base & { compression?: CompressionAlgorithmValue };

function producerOptions(c: ProducerOptions) {
  return {
    ...baseOptions(c),
    idempotent: true,
    compression: c.compression ?? 'gzip',
    autocreateTopics: false,
    // Kafka's own (Java) partitioner, as the SDK and every other producer of the topic use: a job's
    // events land on one partition whoever produced them (the client's default differs).
    partitioner: compatibilityPartitioner,
  };
}

/** Idempotent producer (acks=all), gzip unless told otherwise, string keys and values. */
export function createProducer(c: ProducerOptions): Producer<string, string, string, string> {
  return new Producer({ ...producerOptions(c), serializers: stringSerializers });
}

/**
 * The same producer for bytes: keys and values are sent as given (dead letters carry the
 * original message's bytes unchanged, whatever they are); string headers.
 */
export function createBytesProducer(c: ProducerOptions): Producer<Buffer, Buffer, string, string> {
  return new Producer<Buffer, Buffer, string, string>({
    ...producerOptions(c),
    serializers: { headerKey: stringSerializers.headerKey, headerValue: stringSerializers.headerValue },
  });
}

/**
 * A group consumer with Buffer keys and values (the consumer decodes and validates the bytes
 * itself, and dead-letters them unchanged) and string headers. Static membership unless
 * groupInstanceId is null.
 */
export function createConsumer(
  c: Base & Partial<Pick<KafkaConfig, 'sessionTimeoutMs' | 'heartbeatIntervalMs'>>,
  o: { groupId: string; groupInstanceId: string | null; maxWaitMs?: number; maxBytes?: number },
): Consumer<Buffer, Buffer, string, string> {
  return new Consumer({
    ...baseOptions(c),
    groupId: o.groupId,
    ...(o.groupInstanceId === null ? {} : { groupInstanceId: o.groupInstanceId }),
    sessionTimeout: c.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: c.heartbeatIntervalMs ?? 3_000,
    maxWaitTime: o.maxWaitMs ?? 200,
    maxBytes: o.maxBytes ?? 4 * 1024 * 1024,
    deserializers: {
      key: (data?: Buffer) => data ?? Buffer.alloc(0),
      value: (data?: Buffer) => data ?? Buffer.alloc(0),
      headerKey: stringDeserializers.headerKey,
      headerValue: stringDeserializers.headerValue,
    },
  });
}

export function createAdmin(c: Base): Admin {
  return new Admin(baseOptions(c));
}
