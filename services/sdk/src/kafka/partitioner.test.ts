import { randomUUID } from 'node:crypto';
import { murmur2 as clientMurmur2 } from '@platformatic/kafka';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './partitioner.js';

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'job-1',
  'ä€😀 unicode job',
  ...Array.from({ length: 2000 }, (_, i) => (i % 2 ? randomUUID() : `job-${i}-${'x'.repeat(i % 7)}`)),
];

describe('partitionForKey', () => {
  it('computes the same murmur2 as the Kafka client', () => {
    for (const k of keys) expect(murmur2(Buffer.from(k)), k).toBe(clientMurmur2(Buffer.from(k)) | 0);
  });

  it('picks the partition kafkajs (Java-compatible) picks', () => {
    const partitioner = kafkajs.Partitioners.DefaultPartitioner();
    for (const n of [1, 3, 6, 7]) {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1 }));
      for (const k of keys.filter(Boolean))
        expect(partitionForKey(k, n), k).toBe(
          partitioner({ topic: 't', partitionMetadata: partitionMetadata as never, message: { key: k, value: '' } }),
        );
    }
  });
});
