// Pure batching logic for one Kafka partition: which messages are already stored (skip), which
// go to the dead-letter topic, and which rows form which inserts. No I/O, unit-tested.
//
// Exactness rests on three facts (docs/consumer.md):
//  1. every insert holds one partition's rows in offset order, one month only (one part per
//     table) and the token "<topic>:<partition>:<first>-<last>" of its first and last row;
//  2. inserts of a partition run one at a time, so in every table (task_events and each
//     rollup) "max offset stored for p" means "every row of p up to it is stored";
//  3. a crash can therefore leave at most one insert per partition applied to some tables
//     and not others. Its rows are exactly (lo, hi] — lo/hi the lowest/highest watermark over
//     the tables — so replaying them as one insert with the same token fills the tables that
//     lack the block and is deduplicated by the ones that have it.
import { decodeTaskEvent, type FieldError, type InvalidReason } from '@aurea/events';
import { monthOfRow, toRow, type RowValues } from '@aurea/clickhouse/rows';

export interface KafkaMessageLike {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, unknown> | undefined;
}

export interface PlannedRow {
  row: RowValues;
  /** The message's Kafka offset (also the row's kafka_offset). */
  offset: number;
  message: KafkaMessageLike;
}

export interface InsertPlan {
  rows: PlannedRow[];
  firstOffset: number;
  lastOffset: number;
  token: string;
  /** Replays the one block a crash may have left half-applied. */
  repair: boolean;
}

export type DlqReason = InvalidReason | 'insert_rejected';

export interface DlqItem {
  message: KafkaMessageLike;
  reason: DlqReason;
  errors: FieldError[];
}

export interface BatchPlan {
  skipped: number;
  dlq: DlqItem[];
  inserts: InsertPlan[];
}

/** Watermarks read from ClickHouse: per table, the highest kafka_offset stored (-1: none). */
export interface Watermarks {
  lo: number;
  hi: number;
}

export function insertToken(topic: string, partition: number, first: number, last: number): string {
  return `${topic}:${partition}:${first}-${last}`;
}

export class PartitionPlanner {
  /** Every table holds every row at or below lo. */
  lo: number;
  /** Some table holds rows up to hi; (lo, hi] is the block to replay. */
  hi: number;
  private repairRows: PlannedRow[] = [];

  constructor(
    readonly topic: string,
    readonly partition: number,
    marks: Watermarks,
    private readonly maxInsertRows: number,
  ) {
    this.lo = marks.lo;
    this.hi = Math.max(marks.hi, marks.lo);
  }

  get repairPending(): boolean {
    return this.hi > this.lo;
  }

  /** True when the batch starts after the replay block: the caller must seek back to lo+1. */
  needsSeekBack(firstOffset: number): boolean {
    return this.repairPending && this.repairRows.length === 0 && firstOffset > this.lo + 1;
  }

  /**
   * The replay block is no longer in Kafka (retention deleted it while the consumer was down, or
   * TTL emptied one table before another): it cannot be replayed. Continue from what the most
   * advanced table holds instead of seeking back forever; the caller logs it as an error.
   */
  abandonRepair(): { lo: number; hi: number } {
    const gap = { lo: this.lo, hi: this.hi };
    this.lo = this.hi;
    this.repairRows = [];
    return gap;
  }

  plan(messages: KafkaMessageLike[]): BatchPlan {
    const out: BatchPlan = { skipped: 0, dlq: [], inserts: [] };
    let current: PlannedRow[] = [];
    let currentMonth = -1;
    const flush = () => {
      if (current.length === 0) return;
      out.inserts.push(this.makeInsert(current, false));
      current = [];
    };
    for (const message of messages) {
      const offset = Number(message.offset);
      if (offset <= this.lo) {
        out.skipped++;
        continue;
      }
      if (offset <= this.hi && this.repairRows.some((r) => r.offset === offset)) {
        out.skipped++; // a redelivery of a message already held for the replay block
        continue;
      }
      const decoded = decodeTaskEvent(message.value);
      if (!decoded.ok) {
        out.dlq.push({ message, reason: decoded.reason, errors: decoded.errors });
      } else if (offset <= this.hi) {
        this.repairRows.push({ row: toRow(decoded.event, this.partition, offset), offset, message });
      } else {
        const row = toRow(decoded.event, this.partition, offset);
        const month = monthOfRow(row);
        if (current.length >= this.maxInsertRows || (current.length > 0 && month !== currentMonth)) flush();
        currentMonth = month;
        current.push({ row, offset, message });
      }
      if (this.repairPending && offset >= this.hi && this.repairRows.length > 0) {
        // The replay block is complete: it goes first, as one insert, whatever its size.
        out.inserts.unshift(this.makeInsert(this.repairRows, true));
        this.repairRows = [];
      }
    }
    flush();
    return out;
  }

  /** The insert reached ClickHouse (every table): advance the watermarks. */
  acknowledged(plan: InsertPlan): void {
    this.lo = Math.max(this.lo, plan.lastOffset);
    this.hi = Math.max(this.hi, this.lo);
  }

  private makeInsert(rows: PlannedRow[], repair: boolean): InsertPlan {
    const first = rows[0]!.offset;
    const last = rows[rows.length - 1]!.offset;
    return {
      rows,
      firstOffset: first,
      lastOffset: last,
      token: insertToken(this.topic, this.partition, first, last),
      repair,
    };
  }
}

/** Split an insert in two halves (to isolate a row ClickHouse rejects); each half gets its own token. */
export function splitInsert(plan: InsertPlan, topic: string, partition: number): [InsertPlan, InsertPlan] {
  const mid = Math.ceil(plan.rows.length / 2);
  const mk = (rows: PlannedRow[]): InsertPlan => {
    const first = rows[0]!.offset;
    const last = rows[rows.length - 1]!.offset;
    return {
      rows,
      firstOffset: first,
      lastOffset: last,
      token: insertToken(topic, partition, first, last),
      repair: plan.repair,
    };
  };
  return [mk(plan.rows.slice(0, mid)), mk(plan.rows.slice(mid))];
}
