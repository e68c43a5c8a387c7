// Unit tests of the batching plan: skips below the watermark, dead-letters bad messages with
// reasons, splits inserts by size and by month, and rebuilds the half-applied block after a
// crash exactly (same rows, same token).
import { describe, expect, it } from 'vitest';
import { PartitionPlanner, insertToken, splitInsert, type KafkaMessageLike } from './plan.js';
import { makeEvent } from './testing.js';
import { rowObject } from '@aurea/clickhouse/rows';

function msgs(from: number, values: (string | object)[]): KafkaMessageLike[] {
  return values.map((v, i) => ({
    offset: String(from + i),
    key: Buffer.from('k'),
    value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
  }));
}
const ev = (endedAt?: string) =>
  makeEvent({ jobId: 'j1', costNanos: 1, inputTokens: 1, outputTokens: 1, ...(endedAt ? { endedAt } : {}) });

describe('PartitionPlanner', () => {
  it('skips offsets at or below the watermark and batches the rest by size', () => {
    const p = new PartitionPlanner('t', 3, { lo: 4, hi: 4 }, 3);
    const plan = p.plan(
      msgs(
        0,
        Array.from({ length: 12 }, () => ev()),
      ),
    );
    expect(plan.skipped).toBe(5);
    expect(plan.inserts.map((i) => [i.firstOffset, i.lastOffset, i.rows.length])).toEqual([
      [5, 7, 3],
      [8, 10, 3],
      [11, 11, 1],
    ]);
    expect(plan.inserts[0]!.token).toBe(insertToken('t', 3, 5, 7));
    expect(rowObject(plan.inserts[0]!.rows[0]!.row)).toMatchObject({
      kafka_partition: 3,
      kafka_offset: 5,
      job_id: 'j1',
    });
  });

  it('dead-letters invalid JSON, schema violations and unknown versions with reasons; good events still flow', () => {
    const p = new PartitionPlanner('t', 0, { lo: -1, hi: -1 }, 100);
    const bad = { ...ev(), usage: { input_tokens: -1 } };
    const plan = p.plan(msgs(0, [ev(), '{not json', bad, { ...ev(), schema_version: 2 }, ev()]));
    expect(plan.dlq.map((d) => [d.message.offset, d.reason])).toEqual([
      ['1', 'invalid_json'],
      ['2', 'schema_violation'],
      ['3', 'unknown_schema_version'],
    ]);
    expect(plan.dlq[1]!.errors[0]!.field).toBe('/usage/input_tokens');
    expect(plan.inserts).toHaveLength(1);
    expect(plan.inserts[0]!.rows.map((r) => r.offset)).toEqual([0, 4]);
  });

  it('never lets one insert span two months (one part per table per insert)', () => {
    const p = new PartitionPlanner('t', 0, { lo: -1, hi: -1 }, 100);
    const plan = p.plan(
      msgs(0, [
        ev('2026-01-31T23:59:59Z'),
        ev('2026-01-31T23:59:59.5Z'),
        ev('2026-02-01T00:00:00Z'),
        ev('2026-01-30T10:00:00Z'),
      ]),
    );
    expect(plan.inserts.map((i) => [i.firstOffset, i.lastOffset])).toEqual([
      [0, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('after a crash, replays (lo, hi] as one insert with the original token, even across fetches', () => {
    const all = msgs(
      0,
      Array.from({ length: 10 }, () => ev()),
    );
    // original run: the insert of offsets 3..7 reached some tables only (lo=2, hi=7)
    const p = new PartitionPlanner('t', 1, { lo: 2, hi: 7 }, 2);
    expect(p.needsSeekBack(5)).toBe(true);
    expect(p.needsSeekBack(3)).toBe(false);
    const first = p.plan(all.slice(0, 5)); // fetch ends inside the block: hold the rows
    expect(first.skipped).toBe(3);
    expect(first.inserts).toEqual([]);
    expect(p.repairPending).toBe(true);
    const second = p.plan(all.slice(3, 10)); // redelivered 3,4 + the rest
    expect(second.skipped).toBe(2);
    expect(second.inserts[0]).toMatchObject({
      repair: true,
      firstOffset: 3,
      lastOffset: 7,
      token: insertToken('t', 1, 3, 7),
    });
    expect(second.inserts[0]!.rows).toHaveLength(5); // larger than maxInsertRows: the block is replayed whole
    expect(second.inserts.slice(1).map((i) => [i.firstOffset, i.lastOffset, i.repair])).toEqual([[8, 9, false]]);
    for (const i of second.inserts) p.acknowledged(i);
    expect([p.lo, p.hi, p.repairPending]).toEqual([9, 9, false]);
  });

  it('splits a refused insert into halves with their own tokens', () => {
    const p = new PartitionPlanner('t', 0, { lo: -1, hi: -1 }, 100);
    const [ins] = p.plan(msgs(0, [ev(), ev(), ev()])).inserts;
    const [a, b] = splitInsert(ins!, 't', 0);
    expect([a.firstOffset, a.lastOffset, b.firstOffset, b.lastOffset]).toEqual([0, 1, 2, 2]);
    expect(a.token).toBe(insertToken('t', 0, 0, 1));
  });
});

describe('PartitionPlanner.abandonRepair', () => {
  it('gives up a replay block that Kafka no longer has and continues after the highest stored offset', () => {
    const p = new PartitionPlanner('t', 0, { lo: 10, hi: 20 }, 100);
    expect(p.repairPending).toBe(true);
    expect(p.needsSeekBack(50)).toBe(true);
    expect(p.abandonRepair()).toEqual({ lo: 10, hi: 20 });
    expect(p.repairPending).toBe(false);
    expect(p.needsSeekBack(50)).toBe(false);
  });
});
