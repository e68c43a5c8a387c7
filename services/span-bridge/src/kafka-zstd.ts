// zstd for kafkajs, from Node's own zlib (Node ≥ 22.15 / 24). The Collector's Kafka exporter
// compresses the spans topic with zstd (collector/config.yaml: producer.compression), which
// kafkajs 2.2.4 cannot read without a codec: its fetch fails with "ZSTD compression not
// implemented". Registering the codec is process-wide and only adds support.
import { promisify } from 'node:util';
import { zstdCompress, zstdDecompress } from 'node:zlib';
import kafkajs from 'kafkajs';

// kafkajs is CommonJS; Node's ESM loader cannot see these two as named exports (plain
// `import { CompressionCodecs }` fails at run time under tsx/node, though Vitest accepts it).
const { CompressionCodecs, CompressionTypes } = kafkajs;

const compress = promisify(zstdCompress);
const decompress = promisify(zstdDecompress);

/** The codec in kafkajs' shape: compress(encoder) / decompress(buffer). */
export const zstdCodec = {
  async compress(encoder: { buffer: Buffer }): Promise<Buffer> {
    return compress(encoder.buffer);
  },
  async decompress(buffer: Buffer): Promise<Buffer> {
    return decompress(buffer);
  },
};

/** Make kafkajs read (and write) zstd-compressed record batches. Idempotent. */
export function registerZstdCodec(): void {
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
