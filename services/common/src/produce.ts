// Producing a cycle's outputs (dead letters, the span bridge's task events) in requests a broker
// accepts. Kafka refuses a record batch larger than the topic's max.message.bytes (1 MiB by
// default) with MESSAGE_TOO_LARGE, and retrying the same request can never succeed: a burst of
// poison written as one request would hold every later event back for good. So outputs go out
// in requests of at most maxRequestBytes (before compression); a request still refused is split
// in halves; a single message still refused is passed to `shrink` (docs/consumer.md, "Dead
// letters larger than the topic accepts").
import type { WriteContext } from './cycles.js';

export interface OutMessage {
  topic: string;
  key?: Buffer | undefined;
  value: Buffer;
  headers?: Record<string, string> | undefined;
}

/** Bytes of messages per produce request, before compression: half of Kafka's default 1 MiB. */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** Kafka error codes for a batch or record the broker will never accept at its size. */
const TOO_LARGE = new Set([10 /* MESSAGE_TOO_LARGE */, 18 /* RECORD_LIST_TOO_LARGE */]);

/** True when a client error (or one it aggregates) is the broker refusing a request's size. */
export function isTooLarge(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { apiCode?: unknown; errors?: unknown };
  if (typeof e.apiCode === 'number' && TOO_LARGE.has(e.apiCode)) return true;
  return Array.isArray(e.errors) && e.errors.some((x) => isTooLarge(x, depth + 1));
}

/** What messageBytes needs of a message (bytes or strings). */
export interface SizedMessage {
  key?: Buffer | string | undefined;
  value: Buffer | string;
  headers?: Record<string, string> | undefined;
}

const byteLength = (v: Buffer | string | undefined) =>
  v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

/** A message's size in a request, roughly: key, value, header names and values, record overhead. */
export function messageBytes(m: SizedMessage): number {
  let n = 64 + byteLength(m.key) + byteLength(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 8;
  return n;
}

/** Consecutive runs of messages of at most maxBytes each (a larger message is a run of its own). */
export function chunkByBytes<M extends SizedMessage>(messages: readonly M[], maxBytes: number): M[][] {
  const out: M[][] = [];
  let run: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = messageBytes(m);
    if (run.length > 0 && bytes + b > maxBytes) {
      out.push(run);
      run = [];
      bytes = 0;
    }
    run.push(m);
    bytes += b;
  }
  if (run.length > 0) out.push(run);
  return out;
}

export interface ProduceBoundedOptions {
  /** Default MAX_REQUEST_BYTES. */
  maxRequestBytes?: number;
  /**
   * A smaller replacement for a single message the broker refuses as too large, or undefined to
   * fail (the cycle is then retried and never passes: only for outputs bounded by construction).
   */
  shrink?: (m: OutMessage) => OutMessage | undefined;
  /** Log fields of the retries. */
  fields?: Record<string, unknown>;
}

/** Produce every message, in order, in requests the broker accepts (see the header). */
export async function produceBounded(
  ctx: WriteContext,
  what: string,
  messages: readonly OutMessage[],
  o: ProduceBoundedOptions = {},
): Promise<void> {
  const send = async (chunk: readonly OutMessage[]): Promise<void> => {
    const refused = await ctx.retry(
      what,
      async () => {
        try {
          await ctx.producer.send({ messages: [...chunk] });
          return false;
        } catch (err) {
          if (isTooLarge(err)) return true;
          throw err;
        }
      },
      { ...o.fields, count: chunk.length },
    );
    if (!refused) return;
    if (chunk.length > 1) {
      const half = Math.ceil(chunk.length / 2);
      await send(chunk.slice(0, half));
      await send(chunk.slice(half));
      return;
    }
    const smaller = o.shrink?.(chunk[0]!);
    if (!smaller || messageBytes(smaller) >= messageBytes(chunk[0]!))
      throw new Error(`${what}: the broker refuses a message of ~${messageBytes(chunk[0]!)} bytes as too large`);
    await send([smaller]);
  };
  for (const chunk of chunkByBytes(messages, o.maxRequestBytes ?? MAX_REQUEST_BYTES)) await send(chunk);
}
