// Pure planning of one fetch cycle: which messages go to the dead-letter topic, which rows form
// which inserts, and which offsets may be committed once they are written. No I/O, unit-tested.
// docs/consumer.md, "One insert per month touched" states the design; its invariants:
//  1. One insert per calendar month (UTC, of ended_at) touched by the cycle, whatever the order
//     of the months in the partitions: task_events is partitioned by month, so an insert is one
//     part of one table — it is applied whole or not at all.
//  2. An insert's token names the cycle (every partition's offset range) and the month, so a
//     retry of the same insert is deduplicated by the engine; rows are in (partition, offset)
//     order, so the same cycle always builds the same blocks.
//  3. A partition's offset is committed only after every insert and every dead letter of the
//     cycle succeeded. After a crash the cycle is fetched again from the committed offset and
//     rewritten: rows written twice collapse by (job_id, event_id) under FINAL, which every
//     money read and every rollup uses (docs/consumer.md, "Exactness").
import { decodeTaskEvent, type FieldError, type InvalidReason, type NormalizedTaskEvent } from '@aurea/events';
import { monthOfRow, toRow, type RowValues } from '@aurea/clickhouse/rows';

/** A Kafka message as the consumer sees it (the client's message narrowed to what it uses). */
export interface InMessage {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export type DlqReason = InvalidReason | 'insert_rejected';

export interface DlqItem {
  message: InMessage;
  reason: DlqReason;
  errors: FieldError[];
}

export interface PlannedRow {
  row: RowValues;
  message: InMessage;
}

export interface MonthInsert {
  /** toYYYYMM(ended_at) of every row. */
  month: number;
  rows: PlannedRow[];
  /** insert_deduplication_token: the cycle's ranges and the month (invariant 2). */
  token: string;
}

export interface CyclePlan {
  dlq: DlqItem[];
  inserts: MonthInsert[];
  /** Per partition, the next offset to consume once the cycle is written (last offset + 1). */
  commits: Map<number, bigint>;
  messages: number;
}

/**
 * What to do with a valid event before it is stored: the source policy (docs/consumer.md,
 * "Whose figures are stored") — e.g. reprice an event whose source is not trusted. Returns the
 * event to store.
 */
export type Accept = (e: NormalizedTaskEvent) => NormalizedTaskEvent;

/** The cycle's identity: every partition's first and last offset, in partition order. */
export function cycleId(topic: string, messages: readonly InMessage[]): string {
  const ranges = new Map<number, [bigint, bigint]>();
  for (const m of messages) {
    const r = ranges.get(m.partition);
    if (!r) ranges.set(m.partition, [m.offset, m.offset]);
    else {
      if (m.offset < r[0]) r[0] = m.offset;
      if (m.offset > r[1]) r[1] = m.offset;
    }
  }
  const parts = [...ranges].sort((a, b) => a[0] - b[0]).map(([p, [lo, hi]]) => `${p}:${lo}-${hi}`);
  return `${topic}|${parts.join(',')}`;
}

/**
 * A cycle being collected: each message is decoded, validated and mapped to its row as it
 * arrives (while the previous cycle's insert runs), then build() groups the rows into inserts.
 */
export class CycleBuilder {
  private readonly dlq: DlqItem[] = [];
  private readonly byMonth = new Map<number, PlannedRow[]>();
  private readonly messages: InMessage[] = [];

  constructor(
    private readonly topic: string,
    private readonly accept?: Accept,
  ) {}

  get size(): number {
    return this.messages.length;
  }

  add(message: InMessage): void {
    this.messages.push(message);
    const decoded = decodeTaskEvent(message.value);
    if (!decoded.ok) {
      this.dlq.push({ message, reason: decoded.reason, errors: decoded.errors });
      return;
    }
    const event = this.accept ? this.accept(decoded.event) : decoded.event;
    const row = toRow(event, message.partition, Number(message.offset));
    const month = monthOfRow(row);
    let rows = this.byMonth.get(month);
    if (!rows) this.byMonth.set(month, (rows = []));
    rows.push({ row, message });
  }

  build(): CyclePlan {
    const byOffset = (a: PlannedRow, b: PlannedRow) => compareMessages(a.message, b.message);
    const commits = new Map<number, bigint>();
    for (const m of this.messages) {
      const next = m.offset + 1n;
      const c = commits.get(m.partition);
      if (c === undefined || next > c) commits.set(m.partition, next);
    }
    const id = cycleId(this.topic, this.messages);
    const inserts = [...this.byMonth]
      .sort((a, b) => a[0] - b[0])
      .map(([month, rows]) => ({ month, rows: rows.sort(byOffset), token: `${id}|${month}` }));
    return {
      dlq: this.dlq.sort((a, b) => compareMessages(a.message, b.message)),
      inserts,
      commits,
      messages: this.messages.length,
    };
  }
}

const compareMessages = (a: InMessage, b: InMessage) =>
  a.partition !== b.partition ? a.partition - b.partition : a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0;

/** The plan of a whole list of messages at once. */
export function planCycle(topic: string, messages: readonly InMessage[], accept?: Accept): CyclePlan {
  const b = new CycleBuilder(topic, accept);
  for (const m of messages) b.add(m);
  return b.build();
}

/**
 * Halves of an insert the engine refused for its content, to find the refused rows; each half's
 * token extends the whole's, so a retried half is deduplicated too.
 */
export function splitInsert(ins: MonthInsert): [MonthInsert, MonthInsert] {
  const mid = Math.ceil(ins.rows.length / 2);
  return [
    { month: ins.month, rows: ins.rows.slice(0, mid), token: `${ins.token}/1` },
    { month: ins.month, rows: ins.rows.slice(mid), token: `${ins.token}/2` },
  ];
}
