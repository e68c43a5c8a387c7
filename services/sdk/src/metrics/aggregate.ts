// Pre-aggregated cells for the per-task hot path.
//
// Why not call counter.add()/histogram.record() per task: each OTel SDK record hashes its
// attribute set (sorted keys + JSON) — ~1 µs per call measured here, and a task touches about
// ten instruments. Instead a task resolves its series once (one Map lookup, cached) and bumps
// plain numbers in cells whose attribute objects were built when the series was first seen.
// Sums, gauges and histograms leave through a MetricProducer plugged into every reader (see
// telemetry.ts).
// Attribute sets are built only from the allow-list in spec.ts, and the number of series is
// capped: past the cap, data lands on an `otel.metric.overflow=true` series like the OTel SDK's.
import type { Attributes } from '@opentelemetry/api';
import { A } from './spec.js';

export class SumCell {
  value = 0;
  touched = false;
  constructor(readonly attributes: Attributes) {}
  add(v: number): void {
    this.value += v;
    this.touched = true;
  }
}

export class HistCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;
  constructor(
    readonly attributes: Attributes,
    readonly boundaries: readonly number[],
  ) {
    this.counts = new Float64Array(boundaries.length + 1);
  }
  record(v: number): void {
    const b = this.boundaries;
    let i = 0;
    while (i < b.length && v > b[i]!) i++;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
}

const OVERFLOW: Attributes = Object.freeze({ [A.overflow]: true });

/** Keyed cells of one metric, at most `limit` distinct attribute sets (+1 overflow). */
export class CellTable<C extends SumCell | HistCell> {
  readonly cells = new Map<string, C>();
  private overflow: C | undefined;
  constructor(
    private readonly make: (attrs: Attributes) => C,
    private readonly limit: number,
  ) {}
  get(key: string, attrs: () => Attributes): C {
    let c = this.cells.get(key);
    if (c === undefined) {
      if (this.cells.size >= this.limit) return (this.overflow ??= this.make(OVERFLOW));
      c = this.make(Object.freeze(attrs()));
      this.cells.set(key, c);
    }
    return c;
  }
  *all(): Iterable<C> {
    yield* this.cells.values();
    if (this.overflow) yield this.overflow;
  }
}

/** Build an attribute object keeping only defined, non-empty values. */
export function attrs(pairs: [string, string | number | boolean | null | undefined][]): Attributes {
  const out: Attributes = {};
  for (const [k, v] of pairs) if (v !== undefined && v !== null && v !== '') out[k] = v;
  return out;
}
