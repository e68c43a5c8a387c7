// Kafka's default partitioner for keyed records (the Java client's BuiltInPartitioner, kafkajs'
// DefaultPartitioner, librdkafka's murmur2_random): toPositive(murmur2(utf8 key)) % partitions.
// The SDK places events itself (one batch per partition, docs/sdk.md), so it must agree with what
// every other producer of the topic picks for the same job_id. @platformatic/kafka ships a murmur2
// too, but computes it with BigInt (several µs per key); this is the same function in 32-bit
// integer arithmetic. partitioner.test.ts checks both agree.
const SEED = 0x9747b28c;
const M = 0x5bd1e995;

export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M);
    h ^= k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= data[length4 + 2]! << 16;
  if (rest >= 2) h ^= data[length4 + 1]! << 8;
  if (rest >= 1) {
    h ^= data[length4]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const encoder = new TextEncoder();

/** The partition Kafka's default partitioner picks for a (non-empty) key. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(encoder.encode(key)) & 0x7fffffff) % partitions;
}
