import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, cutDeadLetter } from './topics.js';

describe('cutDeadLetter', () => {
  const headers: Record<string, string> = { [DLQ_HEADERS.reason]: 'invalid_utf8' };

  it('keeps the first 64 KiB of a larger value and records the original length', () => {
    const value = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
    const cut = cutDeadLetter({ topic: 'dlq', value, headers })!;
    expect(cut.value.length).toBe(65_536);
    expect(cut.value.equals(value.subarray(0, 65_536))).toBe(true);
    expect(cut.headers).toEqual({ ...headers, [DLQ_HEADERS.valueBytes]: '200000' });
    expect(cut.topic).toBe('dlq');
  });

  it('then to nothing, still with the original length; then there is nothing left to cut', () => {
    const first = cutDeadLetter({ value: Buffer.alloc(200_000), headers })!;
    const second = cutDeadLetter(first)!;
    expect(second.value.length).toBe(0);
    expect(second.headers[DLQ_HEADERS.valueBytes]).toBe('200000');
    expect(cutDeadLetter(second)).toBeUndefined();
    expect(cutDeadLetter({ value: Buffer.alloc(1_000) })!.value.length).toBe(0);
  });
});
