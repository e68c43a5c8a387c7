// A JSON summary of one process's own metrics since init() (docs/sdk.md, "Summary"): what a
// service's summary endpoint answers without Prometheus. The figures are the cells the exporters
// read, summed over series; percentiles are estimated from the histogram buckets exactly as
// Prometheus' histogram_quantile does for classic buckets, so they agree with the same quantile of
// the same process's series in Prometheus (tested through the Collector), never with ClickHouse's
// exact percentiles.
import type { PublisherStats } from '../publisher.js';
import type { HistCell, SumCell, CellTable } from './aggregate.js';
import { A, METRICS } from './spec.js';
import { BREAKER_STATES, type BreakerStateName, type Telemetry } from './telemetry.js';

/** Count, sum and estimated percentiles of a histogram (seconds); percentiles null without data. */
export interface HistogramSummary {
  count: number;
  sum: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface StageSummary {
  /** Items recorded in the stage (aurea.stage.duration count). */
  requests: number;
  /** Of those, items that failed in the stage, and by error type. */
  errors: number;
  errorTypes: Record<string, number>;
  /** Queue figures when the stage is also a queue (aurea.queue.*), else null. */
  admitted: number | null;
  shed: number | null;
  queueDepth: number | null;
  queueCapacity: number | null;
  durationS: HistogramSummary;
}

export interface MetricsSummary {
  /** When the SDK started counting (init) and when this summary was taken, RFC 3339. */
  since: string;
  at: string;
  stages: Record<string, StageSummary>;
  jobs: { byStatus: Record<string, number>; durationS: HistogramSummary };
  tasks: {
    byStatus: Record<string, number>;
    durationS: HistogramSummary;
    /** Sum of computed costs (float; exact money is ClickHouse's). */
    costUsd: number;
    unpricedCalls: number;
    tokens: Record<string, number>;
  };
  breakers: Record<string, { provider: string | null; state: BreakerStateName; transitions: Record<string, number> }>;
  /** Task events published and dropped by reason; null without a publisher. */
  events: { published: number; dropped: Record<string, number> } | null;
}

/**
 * The q-quantile of a classic histogram as Prometheus' histogram_quantile computes it: the bucket
 * holding rank q·count, linear interpolation inside it (its lower bound 0 for the first bucket),
 * the last finite bound when the rank falls in +Inf. `counts` per bucket (not cumulative), the
 * last one for +Inf. Null when the histogram is empty.
 */
export function histogramQuantile(q: number, boundaries: readonly number[], counts: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  if (total === 0 || !(q >= 0 && q <= 1)) return null;
  const rank = q * total;
  let cum = 0;
  for (let b = 0; b < counts.length; b++) {
    const prev = cum;
    cum += counts[b]!;
    if (cum < rank) continue;
    if (b === boundaries.length) return boundaries.length > 0 ? boundaries[boundaries.length - 1]! : null;
    const end = boundaries[b]!;
    if (b === 0 && end <= 0) return end;
    const start = b === 0 ? 0 : boundaries[b - 1]!;
    const inBucket = cum - prev;
    return start + (end - start) * ((rank - prev) / inBucket);
  }
  return boundaries.length > 0 ? boundaries[boundaries.length - 1]! : null;
}

/** Merge histogram cells (same boundaries) into one summary. */
export function summarizeHistogram(cells: readonly HistCell[], boundaries: readonly number[]): HistogramSummary {
  const counts = new Float64Array(boundaries.length + 1);
  let count = 0;
  let sum = 0;
  for (const c of cells) {
    for (let i = 0; i < counts.length; i++) counts[i]! += c.counts[i]!;
    count += c.count;
    sum += c.sum;
  }
  const q = (p: number) => histogramQuantile(p, boundaries, counts);
  return { count, sum, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function sumBy(table: CellTable<SumCell>, key: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of table.all()) {
    const k = text(c.attributes[key]);
    if (k !== undefined && c.touched) out[k] = (out[k] ?? 0) + c.value;
  }
  return out;
}

export function summarize(t: Telemetry, events: PublisherStats | null): MetricsSummary {
  const stageCells = new Map<string, HistCell[]>();
  for (const c of t.stageDuration.all()) {
    const s = text(c.attributes[A.stage]);
    if (s !== undefined) stageCells.set(s, [...(stageCells.get(s) ?? []), c]);
  }
  const names = [...new Set([...t.queues.keys(), ...stageCells.keys()])].sort();
  const stages: Record<string, StageSummary> = {};
  for (const name of names) {
    const cells = stageCells.get(name) ?? [];
    const errorTypes: Record<string, number> = {};
    for (const c of cells) {
      const e = text(c.attributes[A.errorType]);
      if (e !== undefined) errorTypes[e] = (errorTypes[e] ?? 0) + c.count;
    }
    const q = t.queues.get(name);
    stages[name] = {
      requests: cells.reduce((n, c) => n + c.count, 0),
      errors: Object.values(errorTypes).reduce((n, v) => n + v, 0),
      errorTypes,
      admitted: q ? q.admitted.value : null,
      shed: q ? q.shed.value : null,
      queueDepth: q ? q.depth : null,
      queueCapacity: q?.capacity ?? null,
      durationS: summarizeHistogram(cells, METRICS.stageDuration.buckets),
    };
  }

  const jobCells = [...t.jobDuration.all()];
  const byJobStatus: Record<string, number> = {};
  for (const c of jobCells) {
    const s = text(c.attributes[A.jobStatus]);
    if (s !== undefined) byJobStatus[s] = (byJobStatus[s] ?? 0) + c.count;
  }

  const breakers: MetricsSummary['breakers'] = {};
  for (const [name, b] of t.breakers) {
    const transitions: Record<string, number> = {};
    for (const [k, c] of b.transitions) transitions[k.replace('>', '->')] = c.value;
    breakers[name] = {
      provider: text(b.attributes[A.provider]) ?? null,
      state: BREAKER_STATES[b.state] ?? 'closed',
      transitions,
    };
  }

  return {
    since: new Date(t.startedAtMs).toISOString(),
    at: new Date().toISOString(),
    stages,
    jobs: { byStatus: byJobStatus, durationS: summarizeHistogram(jobCells, METRICS.jobDuration.buckets) },
    tasks: {
      byStatus: sumBy(t.tasks, A.taskStatus),
      durationS: summarizeHistogram([...t.taskDuration.all()], METRICS.taskDuration.buckets),
      costUsd: [...t.cost.all()].reduce((n, c) => n + c.value, 0),
      unpricedCalls: [...t.unpriced.all()].reduce((n, c) => n + c.value, 0),
      tokens: sumBy(t.tokens, A.aureaTokenType),
    },
    breakers,
    events: events === null ? null : { published: events.published, dropped: Object.fromEntries(events.dropped) },
  };
}
