import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { registerZstdCodec } from './kafka-zstd.js';

interface Codec {
  compress(e: { buffer: Buffer }): Promise<Buffer>;
  decompress(b: Buffer): Promise<Buffer>;
}

describe('registerZstdCodec', () => {
  it('makes kafkajs look up a working zstd codec', async () => {
    registerZstdCodec();
    const lookup = kafkajs.CompressionCodecs[kafkajs.CompressionTypes.ZSTD] as () => Codec;
    const codec = lookup();
    const data = Buffer.from('aurea '.repeat(1000));
    const packed = await codec.compress({ buffer: data });
    expect(packed.length).toBeLessThan(data.length / 10);
    expect(packed.readUInt32LE(0)).toBe(0xfd2fb528); // zstd frame magic
    expect(await codec.decompress(packed)).toEqual(data);
  });
});
