import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE_BOUNDS, METRICS, type MetricSpec } from './spec.js';

const doc = readFileSync(fileURLToPath(new URL('../../../../docs/metrics.md', import.meta.url)), 'utf8');
const specs = Object.values(METRICS) as MetricSpec[];

function section(title: string): string {
  const start = doc.indexOf(`## ${title}`);
  expect(start, `section ${title}`).toBeGreaterThanOrEqual(0);
  const next = doc.indexOf('\n## ', start + 3);
  return doc.slice(start, next < 0 ? undefined : next);
}
const cells = (line: string) =>
  line
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
const codes = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

describe('docs/metrics.md matches the code', () => {
  const rows = section('Metrics')
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map(cells)
    .filter((r) => r.length === 5);

  it('lists every metric exactly once, in the same order', () => {
    expect(rows.map((r) => codes(r[0]!)[0])).toEqual(specs.map((m) => m.name));
  });

  it.each(specs.map((m) => [m.name, m] as const))('%s: Prometheus name, type, unit, attributes', (_name, m) => {
    const row = rows.find((r) => codes(r[0]!)[0] === m.name)!;
    expect(codes(row[1]!)[0]).toBe(m.prometheus);
    expect(row[2]).toBe(m.kind);
    expect(m.unit === '' ? row[3] : codes(row[3]!)[0]).toBe(m.unit === '' ? '(none)' : m.unit);
    expect(codes(row[4]!)).toEqual([...m.attributes]);
  });

  it('Prometheus names follow UnderscoreEscapingWithSuffixes', () => {
    for (const m of specs) {
      let p = m.name.replace(/\./g, '_');
      const unit = m.unit === 's' ? 'seconds' : m.unit.startsWith('{') || m.unit === '' ? '' : m.unit;
      if (unit && !p.endsWith(`_${unit}`)) p += `_${unit}`;
      if (m.kind === 'Counter') p += '_total';
      expect(m.prometheus, m.name).toBe(p);
    }
  });

  it('documents the buckets of every histogram', () => {
    for (const m of specs.filter((s) => s.buckets)) {
      const line = doc.split('\n').find((l) => l.startsWith(`| \`${m.name}\` | `) && /\d, \d/.test(l));
      expect(line, m.name).toBeDefined();
      expect(cells(line!)[1]).toBe(m.buckets!.join(', '));
    }
  });

  it('documents the bound of every attribute', () => {
    const bounds = section('Attribute bounds')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map(cells);
    const documented = new Map(bounds.map((r) => [codes(r[0]!)[0], r[1]]));
    const used = new Set(specs.flatMap((m) => m.attributes));
    for (const a of used) expect(documented.get(a), a).toBe(ATTRIBUTE_BOUNDS[a]);
    for (const a of documented.keys()) expect(ATTRIBUTE_BOUNDS[a!], a).toBeDefined();
  });

  it('semconv bucket advice', () => {
    expect(METRICS.operationDuration.buckets).toEqual([
      0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
    ]);
    expect(METRICS.tokenUsage.buckets[0]).toBe(1);
    expect(METRICS.tokenUsage.buckets.at(-1)).toBe(67108864);
    expect(METRICS.tokenUsage.buckets.length).toBe(14);
  });
});
