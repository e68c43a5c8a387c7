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
  connectors?: Record<string, unknown>;
  service: { pipelines: Record<string, { receivers: string[]; processors: string[] }> };
};
const prom = parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
  otlp: { promote_resource_attributes: string[]; translation_strategy: string };
};
const pipelines = config.service.pipelines;
const direct = pipelines['metrics/direct']?.processors ?? [];
const guard = pipelines['metrics/guard']?.processors ?? [];
const split = config.connectors?.['idsplit/metrics'] as
  { id_key_pattern: string; guard: string[]; direct: string[] } | undefined;

describe('metrics pipelines: the direct/guard split', () => {
  it('metrics/in (memory_limiter, then the idsplit connector) feeds metrics/direct and metrics/guard', () => {
    const names = Object.keys(pipelines).filter((p) => p.startsWith('metrics'));
    expect(names.sort()).toEqual(['metrics/direct', 'metrics/guard', 'metrics/in']);
    expect(pipelines['metrics/in']).toEqual({
      receivers: ['otlp/services'],
      processors: ['memory_limiter/gateway'],
      exporters: ['idsplit/metrics'],
    });
    expect(pipelines['metrics/direct']?.receivers).toEqual(['idsplit/metrics']);
    expect(pipelines['metrics/guard']?.receivers).toEqual(['idsplit/metrics']);
    expect(split?.guard).toEqual(['metrics/guard']);
    expect(split?.direct).toEqual(['metrics/direct']);
  });
  it('each side batches first (one batch at a time downstream)', () => {
    expect(direct[0]).toMatch(/^batch\//);
    expect(guard[0]).toMatch(/^batch\//);
  });
  it('the direct pipeline has no stateful or id-stripping step', () => {
    expect(direct.filter((p) => /^(cumulativetodelta|deltatocumulative|groupbyattrs|transform)\//.test(p))).toEqual([]);
  });
  it('guard: cumulativetodelta before ids are stripped; compaction, re-aggregation, deltatocumulative after, last', () => {
    const idx = (prefix: string) => guard.findIndex((p) => p.startsWith(prefix));
    const order = [
      idx('cumulativetodelta/'),
      idx('transform/strip_ids'),
      idx('groupbyattrs/'),
      idx('transform/reaggregate'),
      idx('deltatocumulative/'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(order.at(-1)).toBe(guard.length - 1);
  });
});

/** The guard's deletion pattern (strip_ids, datapoint context), without its ^…$ anchors. */
function deletionPattern(): string {
  const strip = config.processors['transform/strip_ids'] as Transform;
  const stmt =
    strip.metric_statements
      .find((s) => s.context === 'datapoint')
      ?.statements.find((s) => s.startsWith('delete_matching_keys(datapoint.attributes')) ?? '';
  // OTTL string literal: \\ is one backslash.
  return (/"\^\((.*)\)\$"\)$/.exec(stmt)?.[1] ?? '').replaceAll('\\\\', '\\');
}
const ID_PATTERN = new RegExp(`^(?:${split?.id_key_pattern ?? '^$'})$`);

describe('one id pattern', () => {
  it('the split routes and the guard deletes the same keys', () => {
    expect(split?.id_key_pattern).toBeTruthy();
    expect(deletionPattern()).toBe(split?.id_key_pattern);
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

describe('id attributes: the pattern routes them to the guard, which deletes them', () => {
  const deleted = (k: string) => ID_PATTERN.test(k);
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
