// Invariants of the exact cardinality guard in collector/config.yaml (unit: files only).
// docs/collector.md explains why each one matters; the end-to-end proof is
// test/metrics-path/raw-otlp.integration.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = join(import.meta.dirname, '..');
interface Transform {
  metric_statements: { context: string; statements: string[] }[];
}
const config = parse(readFileSync(join(ROOT, 'collector/config.yaml'), 'utf8')) as {
  processors: Record<string, unknown>;
  service: { pipelines: Record<string, { processors: string[] }> };
};
const prom = parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
  otlp: { promote_resource_attributes: string[]; translation_strategy: string };
};
const metrics = config.service.pipelines.metrics?.processors ?? [];

describe('metrics pipeline order', () => {
  it('memory_limiter first, then batch (one batch at a time downstream)', () => {
    expect(metrics[0]).toMatch(/^memory_limiter\//);
    expect(metrics[1]).toMatch(/^batch\//);
  });
  it('cumulativetodelta before ids are stripped; compaction, re-aggregation, deltatocumulative after, in that order, last', () => {
    const idx = (prefix: string) => metrics.findIndex((p) => p.startsWith(prefix));
    const order = [
      idx('cumulativetodelta/'),
      idx('transform/strip_ids'),
      idx('groupbyattrs/'),
      idx('transform/reaggregate'),
      idx('deltatocumulative/'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(order.at(-1)).toBe(metrics.length - 1);
  });
});

describe('resource attributes kept = what Prometheus keeps', () => {
  const strip = config.processors['transform/strip_ids'] as Transform;
  const keep =
    strip.metric_statements
      .find((s) => s.context === 'resource')
      ?.statements.find((s) => s.startsWith('keep_matching_keys')) ?? '';
  const re = new RegExp(/"(.*)"/.exec(keep)?.[1]?.replaceAll('\\\\', '\\') ?? '^$');
  it('keeps service identity and every promoted resource attribute', () => {
    for (const k of [
      'service.name',
      'service.namespace',
      'service.instance.id',
      ...prom.otlp.promote_resource_attributes,
    ])
      expect(re.test(k), k).toBe(true);
  });
  it('drops everything else (it would not be a Prometheus label, so streams would collide)', () => {
    for (const k of ['host.name', 'service.version', 'aurea.job.id', 'telemetry.sdk.language', 'k8s.pod.name'])
      expect(re.test(k), k).toBe(false);
  });
  it('Prometheus uses the agreed translation', () => {
    expect(prom.otlp.translation_strategy).toBe('UnderscoreEscapingWithSuffixes');
  });
});

describe('id attributes are deleted', () => {
  const strip = config.processors['transform/strip_ids'] as Transform;
  const patterns = strip.metric_statements
    .filter((s) => s.context === 'datapoint')
    .flatMap((s) => s.statements)
    .map((s) => new RegExp(/"(.*)"/.exec(s)?.[1]?.replaceAll('\\\\', '\\') ?? '^$'));
  const deleted = (k: string) => patterns.some((p) => p.test(k));
  it.each([
    'aurea.job.id',
    'job.id',
    'job_id',
    'aurea.task.id',
    'tenant.id',
    'user.id',
    'aurea.repository.id',
    'request.id',
    'http.request.id',
    'gen_ai.response.id',
    'gen_ai.conversation.id',
    'enduser.id',
    'session.id',
  ])('%s', (k) => {
    expect(deleted(k)).toBe(true);
  });
  it.each([
    'aurea.task.name',
    'aurea.task.status',
    'gen_ai.request.model',
    'gen_ai.provider.name',
    'error.type',
    'aurea.token.type',
    'aurea.stage',
    'aurea.budget.name',
  ])('keeps bounded %s', (k) => {
    expect(deleted(k)).toBe(false);
  });
});
