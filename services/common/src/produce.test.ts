import { describe, expect, it } from 'vitest';
import { chunkByBytes, isTooLarge, messageBytes, type OutMessage } from './produce.js';

const msg = (valueBytes: number, headers?: Record<string, string>): OutMessage => ({
  topic: 't',
  value: Buffer.alloc(valueBytes),
  ...(headers ? { headers } : {}),
});

describe('produce in bounds', () => {
  it('a message counts its key, value, headers and 64 bytes of record overhead', () => {
    // 64 + key 3 + value 10 + ("ab" 2 + "é" 2 bytes + 8)
    expect(messageBytes({ key: Buffer.from('key'), value: Buffer.alloc(10), headers: { ab: 'é' } })).toBe(89);
  });

  it('runs stay within the bound, keep the order, and a larger message is a run of its own', () => {
    // Each message is 64 + 100 = 164 bytes: three fit in 500, a fourth does not.
    const small = Array.from({ length: 7 }, () => msg(100));
    const big = msg(1_000);
    const runs = chunkByBytes([...small.slice(0, 4), big, ...small.slice(4)], 500);
    expect(runs.map((r) => r.length)).toEqual([3, 1, 1, 3]);
    expect(runs[2]![0]).toBe(big);
    expect(runs.flat()).toEqual([...small.slice(0, 4), big, ...small.slice(4)]);
    expect(chunkByBytes([], 500)).toEqual([]);
  });

  it('MESSAGE_TOO_LARGE (10) and RECORD_LIST_TOO_LARGE (18) are found inside the client’s aggregate errors', () => {
    const response = (apiCode: number) => ({ errors: [{ errors: [{ apiCode, message: 'x' }] }] });
    expect(isTooLarge(response(10))).toBe(true);
    expect(isTooLarge(response(18))).toBe(true);
    expect(isTooLarge(response(6))).toBe(false); // NOT_LEADER_OR_FOLLOWER: retried as it is
    expect(isTooLarge(new Error('boom'))).toBe(false);
    expect(isTooLarge(undefined)).toBe(false);
  });
});
