// Stage and job durations, breaker transitions and the JSON summary, through the real SDK and an
// in-memory exporter; quantiles worked out by hand with histogram_quantile's rule.
import { afterEach, describe, expect, it } from 'vitest';
import { AggregationTemporality, InMemoryMetricExporter, type MetricData } from '@opentelemetry/sdk-metrics';
import { init, type Aurea } from '../index.js';
import { JOB_BUCKETS, STAGE_BUCKETS } from './spec.js';
import { histogramQuantile } from './summary.js';

let aurea: Aurea | undefined;
afterEach(async () => {
  await aurea?.shutdown({ deadlineMs: 1000 });
  aurea = undefined;
});

async function setup() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  aurea = await init({ serviceName: 'stages-unit', otlp: false, kafka: false, metricExporters: [{ exporter }] });
  const collect = async (): Promise<Map<string, MetricData>> => {
    exporter.reset();
    await aurea!.flushMetrics();
    const out = new Map<string, MetricData>();
    for (const rm of exporter.getMetrics())
      for (const sm of rm.scopeMetrics) for (const m of sm.metrics) out.set(m.descriptor.name, m);
    return out;
  };
  return { aurea, collect };
}

type Hist = { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } };

describe('histogramQuantile (Prometheus histogram_quantile for classic buckets)', () => {
  it('interpolates inside the bucket holding the rank; 0 as the first lower bound; +Inf → last bound', () => {
    const b = [1, 2, 4];
    // 4 in (0,1], 4 in (1,2], 2 in +Inf: rank 0.5·10 = 5 → 1 + 1·(1/4)
    expect(histogramQuantile(0.5, b, [4, 4, 0, 2])).toBe(1.25);
    // rank 0.2·10 = 2 in the first bucket: 0 + 1·(2/4)
    expect(histogramQuantile(0.2, b, [4, 4, 0, 2])).toBe(0.5);
    // rank 9.5 > 8: the +Inf bucket → the last finite bound
    expect(histogramQuantile(0.95, b, [4, 4, 0, 2])).toBe(4);
    expect(histogramQuantile(0.5, b, [0, 0, 0, 0])).toBeNull();
  });
});

describe('stages, jobs, breakers', () => {
  it('aurea.stage.duration per stage with error.type on failures, 1 ms … 10 s buckets', async () => {
    const { aurea, collect } = await setup();
    const wait = aurea.stage('queue_wait');
    for (let i = 0; i < 20; i++) wait.record(0.003);
    for (let i = 0; i < 80; i++) wait.record(0.02);
    aurea.stage('admission').record(0.0004);
    aurea.stage('admission').record(0.0007, 'queue_full');
    aurea.stage('admission').record(-1); // ignored
    const m = await collect();
    const d = m.get('aurea.stage.duration')!;
    const pts = d.dataPoints.map((p) => ({ a: p.attributes, v: p.value as Hist }));
    expect(pts.map((p) => p.a)).toEqual([
      { 'aurea.stage': 'queue_wait' },
      { 'aurea.stage': 'admission' },
      { 'aurea.stage': 'admission', 'error.type': 'queue_full' },
    ]);
    expect(pts[0]!.v.buckets.boundaries).toEqual([...STAGE_BUCKETS]);
    expect(pts[0]!.v.buckets.boundaries[0]).toBe(0.001);
    expect(pts[0]!.v.buckets.boundaries.at(-1)).toBe(10);
    // 0.003 falls in (0.0025, 0.005], 0.02 in (0.01, 0.025]
    expect(pts[0]!.v.buckets.counts).toEqual([0, 0, 20, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(pts[0]!.v.count).toBe(100);
    expect(pts[1]!.v.count).toBe(1);

    const s = aurea.summary().stages;
    // p50: rank 50 in (0.01, 0.025] after 20 below: 0.01 + 0.015·30/80; p95: ·75/80; p99: ·79/80
    expect(s.queue_wait!.durationS).toMatchObject({ count: 100, p50: 0.015625, p95: 0.0240625, p99: 0.0248125 });
    expect(s.queue_wait!.durationS.sum).toBeCloseTo(20 * 0.003 + 80 * 0.02, 12);
    expect(s.admission).toMatchObject({ requests: 2, errors: 1, errorTypes: { queue_full: 1 }, admitted: null });
  });

  it('aurea.job.duration by status, with the extended buckets', async () => {
    const { aurea, collect } = await setup();
    aurea.recordJob({ durationS: 3, status: 'ok' });
    aurea.recordJob({ durationS: 700, status: 'ok' });
    aurea.recordJob({ durationS: 1, status: 'refused' });
    const d = (await collect()).get('aurea.job.duration')!;
    const ok = d.dataPoints.find((p) => p.attributes['aurea.job.status'] === 'ok')!.value as Hist;
    expect(ok.buckets.boundaries).toEqual([...JOB_BUCKETS]);
    expect(JOB_BUCKETS.at(-1)).toBe(1310.72);
    expect(ok.count).toBe(2);
    expect(ok.buckets.counts[JOB_BUCKETS.indexOf(5.12)]).toBe(1); // 3 s in (2.56, 5.12]
    expect(ok.buckets.counts[JOB_BUCKETS.indexOf(1310.72)]).toBe(1); // 700 s in (655.36, 1310.72]
    expect(aurea.summary().jobs.byStatus).toEqual({ ok: 2, refused: 1 });
  });

  it('breaker state 0/1/2 and a transitions counter by from/to, every series from 0', async () => {
    const { aurea, collect } = await setup();
    const cb = aurea.circuitBreaker('openai', { provider: 'openai' });
    let m = await collect();
    const tr = () =>
      Object.fromEntries(
        m
          .get('aurea.circuit_breaker.transitions')!
          .dataPoints.map((p) => [
            `${String(p.attributes['aurea.circuit_breaker.from'])}->${String(p.attributes['aurea.circuit_breaker.to'])}`,
            p.value,
          ]),
      );
    expect(tr()).toEqual({
      'closed->half_open': 0,
      'closed->open': 0,
      'half_open->closed': 0,
      'half_open->open': 0,
      'open->closed': 0,
      'open->half_open': 0,
    });
    cb.set('open');
    cb.set('open'); // no change, not counted
    cb.set('half_open');
    cb.set('open');
    cb.set('half_open');
    cb.set('closed');
    m = await collect();
    expect(tr()).toMatchObject({
      'closed->open': 1,
      'open->half_open': 2,
      'half_open->open': 1,
      'half_open->closed': 1,
    });
    expect(m.get('aurea.circuit_breaker.state')!.dataPoints[0]!.value).toBe(0);
    expect(m.get('aurea.circuit_breaker.transitions')!.dataPoints[0]!.attributes).toMatchObject({
      'aurea.circuit_breaker.name': 'openai',
      'gen_ai.provider.name': 'openai',
    });
    cb.set('open');
    expect(cb.state).toBe('open');
    expect(aurea.summary().breakers.openai).toMatchObject({ provider: 'openai', state: 'open' });
    expect(aurea.summary().breakers.openai!.transitions['closed->open']).toBe(2);
  });
});
