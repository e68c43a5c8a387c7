// The raw-client scenario for the exact cardinality guard: a client that is not the Aurea
// SDK records counters (cumulative and delta) and a histogram on many distinct job, user and
// request ids, in several exports, split over several HTTP requests, some ids on the
// resource, some streams appearing only in later exports. The expected Prometheus view is
// computed from the same inputs: one series per bounded label set with the exact totals.
import {
  TEMPORALITY,
  exportMetrics,
  histogramMetric,
  nowNs,
  resourceMetrics,
  sumMetric,
  type Attrs,
  type MetricJson,
  type ResourceMetricsJson,
} from './otlp-json.js';

export const BOUNDS = [0.5, 1, 2];
const PROVIDERS = ['openai', 'anthropic'];
const MODELS = ['model-a', 'model-b'];

export interface Expected {
  /** key: `${provider}|${model}` */
  cost: Map<string, number>;
  tokens: Map<string, number>;
  histCount: Map<string, number>;
  histSum: Map<string, number>;
  /** key: `${provider}|${model}|${le}` with Prometheus's le formatting. */
  histBucket: Map<string, number>;
  jobs: number;
  requests: number;
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

export function leLabel(b: number | undefined): string {
  return b === undefined ? '+Inf' : String(b);
}

/**
 * Sends the scenario to `otlpHttp` for service `service` and returns what Prometheus must
 * show. Values are multiples of 1/4 so float sums are exact. With several endpoints, the
 * HTTP requests go to them in turn (a client whose connections spread over gateway replicas).
 */
export async function sendRawScenario(
  otlpHttp: string | string[],
  service: string,
  jobs = 60,
  rounds = 3,
  gapMs = 300,
): Promise<Expected> {
  const exp: Expected = {
    cost: new Map(),
    tokens: new Map(),
    histCount: new Map(),
    histSum: new Map(),
    histBucket: new Map(),
    jobs,
    requests: 0,
  };
  const t0 = nowNs();
  const lateFrom = Math.floor(jobs / 2); // these jobs first appear in round 2
  const resourceIdFrom = jobs - 10; // these jobs carry their id on the resource, one ResourceMetrics each
  const startOf = new Map<number, bigint>();
  const bounded = (j: number): { provider: string; model: string; key: string } => {
    const provider = PROVIDERS[j % 2] ?? 'none';
    const model = MODELS[Math.floor(j / 2) % 2] ?? 'none';
    return { provider, model, key: `${provider}|${model}` };
  };
  const perRound = (j: number) => ({
    cost: ((j % 5) + 1) * 0.25,
    tokens: j + 1,
    buckets: [j % 2, 1, j % 3, j % 4 === 0 ? 1 : 0],
    sum: ((j % 4) + 1) * 0.25,
  });

  for (let k = 1; k <= rounds; k++) {
    await new Promise((r) => setTimeout(r, gapMs));
    const timeNs = nowNs();
    // Two HTTP requests per round: even jobs, odd jobs.
    for (const parity of [0, 1]) {
      const rms: ResourceMetricsJson[] = [];
      const shared: { cost: MetricJson[]; tokens: MetricJson[]; hist: MetricJson[] } = {
        cost: [],
        tokens: [],
        hist: [],
      };
      const points = (j: number, resourceLevel: boolean) => {
        // A stream starts when its job first reports (round 1: the scenario start).
        if (!startOf.has(j)) startOf.set(j, k === 1 ? t0 : timeNs - 200_000_000n);
        const startNs = startOf.get(j) ?? t0;
        const { provider, model } = bounded(j);
        const idAttrs: Attrs = resourceLevel
          ? {}
          : { 'aurea.job.id': `job-${j}`, 'user.id': `user-${j % 7}`, 'http.request.id': `req-${j}` };
        const attrs: Attrs = {
          'gen_ai.provider.name': provider,
          'gen_ai.request.model': model,
          'aurea.task.name': 'summarize',
          ...idAttrs,
        };
        const r = perRound(j);
        return {
          cost: sumMetric('aurea.llm.cost', 'USD', [{ attrs, value: r.cost * k, startNs, timeNs }]),
          tokens: sumMetric(
            'aurea.llm.tokens',
            '{token}',
            [{ attrs: { ...attrs, 'aurea.token.type': 'input' }, value: r.tokens, startNs: timeNs - 1n, timeNs }],
            TEMPORALITY.delta,
          ),
          hist: histogramMetric('gen_ai.client.operation.duration', 's', BOUNDS, [
            {
              attrs: { ...attrs, 'gen_ai.operation.name': 'chat' },
              bucketCounts: r.buckets.map((c) => c * k),
              sum: r.sum * k,
              startNs,
              timeNs,
            },
          ]),
        };
      };
      for (let j = parity; j < jobs; j += 2) {
        if (k === 1 && j >= lateFrom) continue;
        if (j >= resourceIdFrom) {
          const p = points(j, true);
          rms.push(
            resourceMetrics(
              {
                'service.name': service,
                'service.instance.id': 'raw-1',
                'aurea.job.id': `job-${j}`,
                'enduser.id': `user-${j % 7}`,
              },
              [p.cost, p.tokens, p.hist],
            ),
          );
        } else {
          const p = points(j, false);
          shared.cost.push(p.cost);
          shared.tokens.push(p.tokens);
          shared.hist.push(p.hist);
        }
      }
      // Points of the same metric from different jobs go into one metric each (as an SDK would).
      const merged = (list: MetricJson[]): MetricJson[] => {
        if (list.length === 0) return [];
        const first = structuredClone(list[0]) as Record<string, { dataPoints: unknown[] }>;
        const kind = Object.keys(first).find((x) => x === 'sum' || x === 'histogram');
        if (!kind) throw new Error('unexpected metric');
        const body = first[kind];
        if (!body) throw new Error('unexpected metric');
        body.dataPoints = list.flatMap((m) => (m as Record<string, { dataPoints: unknown[] }>)[kind]?.dataPoints ?? []);
        return [first];
      };
      rms.unshift(
        resourceMetrics({ 'service.name': service, 'service.instance.id': 'raw-1' }, [
          ...merged(shared.cost),
          ...merged(shared.tokens),
          ...merged(shared.hist),
        ]),
      );
      const endpoints = typeof otlpHttp === 'string' ? [otlpHttp] : otlpHttp;
      await exportMetrics(endpoints[exp.requests % endpoints.length] ?? '', rms);
      exp.requests++;
    }
  }
  // Expected totals: cumulative streams end at round `rounds`; delta tokens are sent once per
  // round in which the job reported.
  for (let j = 0; j < jobs; j++) {
    const { key } = bounded(j);
    const r = perRound(j);
    add(exp.cost, key, r.cost * rounds);
    add(exp.tokens, key, r.tokens * (j >= lateFrom ? rounds - 1 : rounds));
    const count = r.buckets.reduce((a, b) => a + b, 0) * rounds;
    add(exp.histCount, key, count);
    add(exp.histSum, key, r.sum * rounds);
    let cum = 0;
    for (let b = 0; b <= BOUNDS.length; b++) {
      cum += (r.buckets[b] ?? 0) * rounds;
      add(exp.histBucket, `${key}|${leLabel(BOUNDS[b])}`, cum);
    }
  }
  return exp;
}
