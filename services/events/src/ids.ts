// Time-ordered event ids (UUIDv7, RFC 9562): 48-bit Unix ms timestamp, then random bits,
// with a monotonic counter so ids made in the same millisecond still sort in creation order.
import { createHash, randomFillSync } from 'node:crypto';

const rnd = Buffer.alloc(4096);
let rndPos = rnd.length;
let lastMs = -1;
let seq = 0;

function randomBytes(n: number): Buffer {
  if (rndPos + n > rnd.length) {
    randomFillSync(rnd);
    rndPos = 0;
  }
  const out = rnd.subarray(rndPos, rndPos + n);
  rndPos += n;
  return out;
}

function format(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function uuidv7(nowMs: number = Date.now()): string {
  let ms = Math.floor(nowMs);
  if (ms <= lastMs) {
    ms = lastMs;
    seq = (seq + 1) & 0xfff;
    if (seq === 0) ms = ++lastMs; // 4096 ids in one ms: borrow the next millisecond
  } else {
    seq = randomBytes(2).readUInt16BE(0) & 0x3ff; // random start leaves room to count up
  }
  lastMs = ms;
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(ms, 0, 6);
  b.writeUInt16BE(0x7000 | seq, 6);
  randomBytes(8).copy(b, 8);
  b[8] = (b[8]! & 0x3f) | 0x80;
  return format(b);
}

/** Milliseconds since the epoch encoded in a UUIDv7. */
export function uuidv7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

/**
 * Deterministic id for an event derived from external identity (e.g. OTLP trace id + span id):
 * UUIDv8 whose first 48 bits are the event time, so it still sorts by time, and whose rest is a
 * hash of the key, so the same span always maps to the same event id.
 */
export function deterministicEventId(key: string, timeMs: number): string {
  const h = createHash('sha256').update(key).digest();
  const b = Buffer.allocUnsafe(16);
  b.writeUIntBE(Math.floor(timeMs), 0, 6);
  h.copy(b, 6, 0, 10);
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  return format(b);
}
