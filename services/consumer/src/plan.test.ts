// Unit tests of the cycle plan: dead letters with reasons, one insert per month touched whatever
// the order of months in the partitions, rows in (partition, offset) order, deterministic tokens,
// commits per partition, and the halving that isolates rows the engine refuses.
import { describe, expect, it } from 'vitest';
import { rowObject } from '@aurea/clickhouse/rows';
import { CycleBuilder, cycleId, planCycle, splitInsert, type InMessage } from './plan.js';
import { makeEvent } from './testing.js';

const ev = (jobId: string, endedAt: string) =>
  JSON.stringify(makeEvent({ jobId, costNanos: 1, inputTokens: 1, outputTokens: 1, endedAt }));
const msg = (partition: number, offset: number, value: string | Buffer | null): InMessage => ({
  partition,
  offset: BigInt(offset),
  key: Buffer.from('k'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
});
const JAN = '2026-01-31T23:59:00.000Z';
const FEB = '2026-02-01T00:01:00.000Z';

describe('planCycle', () => {
  it('one insert per month touched, rows in (partition, offset) order, commits = last offset + 1 per partition', () => {
    // Months interleaved within each partition, partitions interleaved in arrival order.
    const messages = [
      msg(1, 10, ev('a', JAN)),
      msg(0, 5, ev('b', FEB)),
      msg(1, 11, ev('c', FEB)),
      msg(0, 6, ev('d', JAN)),
      msg(1, 12, ev('e', JAN)),
      msg(0, 7, ev('f', FEB)),
    ];
    const plan = planCycle('t', messages);
    expect(plan.inserts.map((i) => i.month)).toEqual([202601, 202602]);
    const where = (i: number) => plan.inserts[i]!.rows.map((r) => [r.message.partition, Number(r.message.offset)]);
    expect(where(0)).toEqual([
      [0, 6],
      [1, 10],
      [1, 12],
    ]);
    expect(where(1)).toEqual([
      [0, 5],
      [0, 7],
      [1, 11],
    ]);
    expect(rowObject(plan.inserts[0]!.rows[1]!.row)).toMatchObject({
      job_id: 'a',
      kafka_partition: 1,
      kafka_offset: 10,
    });
    expect(plan.commits).toEqual(
      new Map([
        [1, 13n],
        [0, 8n],
      ]),
    );
    expect(plan.inserts.map((i) => i.token)).toEqual(['t|0:5-7,1:10-12|202601', 't|0:5-7,1:10-12|202602']);
    // The same cycle in another arrival order plans the same inserts (retries are deduplicated).
    const again = planCycle('t', [...messages].reverse());
    expect(again.inserts.map((i) => [i.token, i.rows.map((r) => r.message.offset)])).toEqual(
      plan.inserts.map((i) => [i.token, i.rows.map((r) => r.message.offset)]),
    );
  });

  it('dead-letters what does not decode or validate, with reasons; commits still cover it', () => {
    const plan = planCycle('t', [
      msg(0, 0, ev('a', JAN)),
      msg(0, 1, '{"schema_version":1, trunc'),
      msg(0, 2, null),
      msg(0, 3, Buffer.from([0x7b, 0xff, 0x7d])),
      msg(0, 4, JSON.stringify({ ...JSON.parse(ev('b', JAN)), schema_version: 9 })),
      msg(0, 5, ev('c', JAN)),
    ]);
    expect(plan.dlq.map((d) => [Number(d.message.offset), d.reason])).toEqual([
      [1, 'invalid_json'],
      [2, 'invalid_json'],
      [3, 'invalid_utf8'],
      [4, 'unknown_schema_version'],
    ]);
    expect(plan.inserts[0]!.rows.map((r) => Number(r.message.offset))).toEqual([0, 5]);
    expect(plan.commits.get(0)).toBe(6n);
    expect(plan.messages).toBe(6);
  });

  it('applies the source policy to every valid event before it becomes a row', () => {
    const b = new CycleBuilder('t', (e) => ({ ...e, cost_usd: null, pricing_status: 'unknown_model' as const }));
    b.add(msg(0, 0, ev('a', JAN)));
    expect(rowObject(b.build().inserts[0]!.rows[0]!.row)).toMatchObject({
      cost_usd: null,
      pricing_status: 'unknown_model',
    });
  });

  it('names a cycle by every partition’s offset range', () => {
    expect(cycleId('t', [msg(3, 9, null), msg(0, 2, null), msg(3, 4, null)])).toBe('t|0:2-2,3:4-9');
  });
});

describe('splitInsert', () => {
  it('halves an insert, each half with its own token derived from the whole', () => {
    const plan = planCycle(
      't',
      [0, 1, 2, 3, 4].map((o) => msg(0, o, ev('a', JAN))),
    );
    const [a, b] = splitInsert(plan.inserts[0]!);
    expect(a.rows.map((r) => Number(r.message.offset))).toEqual([0, 1, 2]);
    expect(b.rows.map((r) => Number(r.message.offset))).toEqual([3, 4]);
    expect([a.token, b.token]).toEqual([`${plan.inserts[0]!.token}/1`, `${plan.inserts[0]!.token}/2`]);
    expect(new Set([a.month, b.month])).toEqual(new Set([202601]));
  });
});
