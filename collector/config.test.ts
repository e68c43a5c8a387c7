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
  service: { pipelines: Record<string, { receivers: string[]; processors: string[] }> };
};
const prom = parse(readFileSync(join(ROOT, 'prometheus/prometheus.yml'), 'utf8')) as {
  otlp: { promote_resource_attributes: string[]; translation_strategy: string };
};
const direct = config.service.pipelines['metrics/direct']?.processors ?? [];
const guard = config.service.pipelines['metrics/guard']?.processors ?? [];
interface Filter {
  metric_conditions: string[];
}
const filterOf = (id: string) => config.processors[id] as Filter;

describe('metrics pipelines: the direct/guard split', () => {
  it('exactly two metrics pipelines, both fed by the same receiver', () => {
    const names = Object.keys(config.service.pipelines).filter((p) => p.startsWith('metrics'));
    expect(names.sort()).toEqual(['metrics/direct', 'metrics/guard']);
    const receivers = (p: string) => config.service.pipelines[p]?.receivers;
    expect(receivers('metrics/direct')).toEqual(receivers('metrics/guard'));
  });
  it('memory_limiter first, then the split filter, then batch (one batch at a time downstream)', () => {
    for (const [p, split] of [
      [direct, 'filter/direct'],
      [guard, 'filter/guard'],
    ] as const) {
      expect(p[0]).toMatch(/^memory_limiter\//);
      expect(p[1]).toBe(split);
      expect(p[2]).toMatch(/^batch\//);
    }
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
  it('the two split filters are exact complements: guard drops not(what direct drops)', () => {
    // direct: [resource has ids, point is delta or has ids] (ORed); guard: one condition, their negation.
    const [resourceIds, pointCond] = filterOf('filter/direct').metric_conditions;
    const [guardCond, ...more] = filterOf('filter/guard').metric_conditions;
    expect(more).toEqual([]);
    expect(guardCond).toBe(`not (${pointCond} or ${resourceIds})`);
    expect(resourceIds).toMatch(/^IsMatch\(Keys\(resource\.attributes\), /);
    expect(pointCond).toMatch(
      /^metric\.aggregation_temporality == AGGREGATION_TEMPORALITY_DELTA or IsMatch\(Keys\(datapoint/,
    );
  });
});

/** Every id-key pattern in the config (filters match Keys(...) as JSON: "…"; deletions: ^…$). */
function idPatterns(): string[] {
  const text = readFileSync(join(ROOT, 'collector/config.yaml'), 'utf8');
  const quoted = [...text.matchAll(/IsMatch\(Keys\([a-z.]+\), "\\"(.*?)\\""\)/g)].map((m) => m[1] ?? '');
  const anchored = [...text.matchAll(/delete_matching_keys\((?:datapoint|resource)\.attributes, "\^(.*?)\$"\)/g)].map(
    (m) => m[1] ?? '',
  );
  return [...quoted, ...anchored];
}
const ID_PATTERN = new RegExp(`^${(idPatterns()[0] ?? '^$').replaceAll('\\\\', '\\')}$`);

describe('one id pattern', () => {
  it('the split filters and the guard deletion use the same id-key pattern', () => {
    const all = idPatterns();
    expect(all.length).toBe(5); // 4 split conditions + the guard's datapoint deletion
    expect(new Set(all).size).toBe(1);
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
