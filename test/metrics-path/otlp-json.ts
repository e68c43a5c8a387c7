// A raw OTLP/HTTP JSON metrics client for the metrics-path tests: it builds the protobuf-JSON
// encoding of ExportMetricsServiceRequest by hand (no OpenTelemetry SDK involved), so the
// tests exercise the Collector the way any third-party client would.
export type AttrValue = string | number | boolean;
export type Attrs = Record<string, AttrValue>;

interface KeyValue {
  key: string;
  value: { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };
}

export const TEMPORALITY = { delta: 1, cumulative: 2 } as const;

function kv(attrs: Attrs): KeyValue[] {
  return Object.entries(attrs).map(([key, v]) => {
    if (typeof v === 'string') return { key, value: { stringValue: v } };
    if (typeof v === 'boolean') return { key, value: { boolValue: v } };
    return Number.isInteger(v) ? { key, value: { intValue: String(v) } } : { key, value: { doubleValue: v } };
  });
}

export interface SumPoint {
  attrs: Attrs;
  value: number;
  startNs: bigint;
  timeNs: bigint;
}

export interface HistogramPoint {
  attrs: Attrs;
  /** Per-bucket (not cumulative) counts, one more than `bounds`. */
  bucketCounts: number[];
  sum: number;
  startNs: bigint;
  timeNs: bigint;
}

export type MetricJson = Record<string, unknown>;

export function sumMetric(
  name: string,
  unit: string,
  points: SumPoint[],
  temporality: number = TEMPORALITY.cumulative,
): MetricJson {
  return {
    name,
    unit,
    sum: {
      aggregationTemporality: temporality,
      isMonotonic: true,
      dataPoints: points.map((p) => ({
        attributes: kv(p.attrs),
        startTimeUnixNano: String(p.startNs),
        timeUnixNano: String(p.timeNs),
        asDouble: p.value,
      })),
    },
  };
}

export function gaugeMetric(
  name: string,
  unit: string,
  points: { attrs: Attrs; value: number; timeNs: bigint }[],
): MetricJson {
  return {
    name,
    unit,
    gauge: {
      dataPoints: points.map((p) => ({ attributes: kv(p.attrs), timeUnixNano: String(p.timeNs), asDouble: p.value })),
    },
  };
}

export function histogramMetric(
  name: string,
  unit: string,
  bounds: number[],
  points: HistogramPoint[],
  temporality: number = TEMPORALITY.cumulative,
): MetricJson {
  return {
    name,
    unit,
    histogram: {
      aggregationTemporality: temporality,
      dataPoints: points.map((p) => {
        if (p.bucketCounts.length !== bounds.length + 1)
          throw new Error('bucketCounts must have bounds.length + 1 entries');
        const count = p.bucketCounts.reduce((a, b) => a + b, 0);
        return {
          attributes: kv(p.attrs),
          startTimeUnixNano: String(p.startNs),
          timeUnixNano: String(p.timeNs),
          count: String(count),
          sum: p.sum,
          bucketCounts: p.bucketCounts.map(String),
          explicitBounds: bounds,
        };
      }),
    },
  };
}

export interface ResourceMetricsJson {
  resource: { attributes: KeyValue[] };
  scopeMetrics: { scope: { name: string }; metrics: MetricJson[] }[];
}

export function resourceMetrics(
  resource: Attrs,
  metrics: MetricJson[],
  scope = 'aurea-raw-otlp-test',
): ResourceMetricsJson {
  return { resource: { attributes: kv(resource) }, scopeMetrics: [{ scope: { name: scope }, metrics }] };
}

/** POST one ExportMetricsServiceRequest as JSON; throws unless the Collector accepts it fully. */
export async function exportMetrics(otlpHttpBase: string, rms: ResourceMetricsJson[]): Promise<void> {
  const res = await fetch(`${otlpHttpBase}/v1/metrics`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resourceMetrics: rms }),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`OTLP export refused: ${res.status} ${text}`);
  if (text.includes('rejectedDataPoints')) throw new Error(`OTLP export partially rejected: ${text}`);
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
