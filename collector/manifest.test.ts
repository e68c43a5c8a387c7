// Keeps each Collector config and its builder manifest in step (unit: files only): the gateway/guard
// tier (collector/config.yaml + collector/builder-config.yaml) and the routing tier
// (collector/routing/config.yaml + collector/routing/builder-config.yaml):
// every component defined is used by a pipeline (or service.extensions), every one used is
// defined and built, every module built is used; names are type/purpose; both files start
// with a header comment. The built binary's own `validate` runs in
// collector/binary.integration.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = import.meta.dirname;
const KINDS = ['receivers', 'processors', 'exporters', 'extensions', 'connectors'] as const;
type Kind = (typeof KINDS)[number];

interface CollectorConfig {
  receivers?: Record<string, unknown>;
  processors?: Record<string, unknown>;
  exporters?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
  connectors?: Record<string, unknown>;
  service: {
    extensions?: string[];
    pipelines: Record<string, { receivers?: string[]; processors?: string[]; exporters?: string[] }>;
  };
}
type Manifest = Partial<Record<Kind, { gomod: string }[]>>;

const typeOf = (id: string): string => id.split('/')[0] ?? id;
/** Component type as the module names it: otlphttpexporter -> otlphttp; compared without underscores. */
const norm = (type: string): string => type.replaceAll('_', '');
const SUFFIX: Record<Kind, string> = {
  receivers: 'receiver',
  processors: 'processor',
  exporters: 'exporter',
  extensions: 'extension',
  connectors: 'connector',
};
function moduleType(kind: Kind, gomod: string): string {
  const path = gomod.split(' ')[0] ?? '';
  const last = path.split('/').pop() ?? '';
  return last.endsWith(SUFFIX[kind]) ? last.slice(0, -SUFFIX[kind].length) : last;
}

function usedIds(config: CollectorConfig, kind: Kind): Set<string> {
  const used = new Set<string>();
  if (kind === 'extensions') for (const e of config.service.extensions ?? []) used.add(e);
  for (const p of Object.values(config.service.pipelines)) {
    if (kind === 'receivers' || kind === 'processors' || kind === 'exporters')
      // A connector stands in a pipeline's receivers or exporters; it is counted as a connector.
      for (const id of p[kind] ?? []) if (config.connectors?.[id] === undefined) used.add(id);
    if (kind === 'connectors')
      for (const id of [...(p.receivers ?? []), ...(p.exporters ?? [])])
        if (config.connectors?.[id] !== undefined) used.add(id);
  }
  return used;
}

const DISTRIBUTIONS = [
  { name: 'gateway/guard tier', dir: DIR },
  { name: 'routing tier', dir: join(DIR, 'routing') },
];

describe.each(DISTRIBUTIONS)('$name: collector config ↔ builder manifest', ({ dir }) => {
  const config = parse(readFileSync(join(dir, 'config.yaml'), 'utf8')) as CollectorConfig;
  const manifest = parse(readFileSync(join(dir, 'builder-config.yaml'), 'utf8')) as Manifest;
  for (const kind of KINDS) {
    const defined = Object.keys(config[kind] ?? {});
    const used = usedIds(config, kind);
    const built = new Set((manifest[kind] ?? []).map((m) => norm(moduleType(kind, m.gomod))));

    it(`${kind}: every defined component is used in a pipeline`, () => {
      expect(defined.filter((id) => !used.has(id))).toEqual([]);
    });
    it(`${kind}: every used component is defined`, () => {
      expect([...used].filter((id) => !defined.includes(id))).toEqual([]);
    });
    it(`${kind}: every used component type is built by the manifest`, () => {
      expect([...used].filter((id) => !built.has(norm(typeOf(id))))).toEqual([]);
    });
    it(`${kind}: every module in the manifest is used`, () => {
      const usedTypes = new Set([...used].map((id) => norm(typeOf(id))));
      expect([...built].filter((t) => !usedTypes.has(t))).toEqual([]);
    });
    it(`${kind}: components are named type/purpose`, () => {
      expect(defined.filter((id) => !/^[a-z0-9_]+\/[a-z0-9_]+$/.test(id))).toEqual([]);
    });
  }

  it('manifest pins one version for every module, the dist version', () => {
    const dist = (parse(readFileSync(join(dir, 'builder-config.yaml'), 'utf8')) as { dist: { version: string } }).dist
      .version;
    const versions = new Set(KINDS.flatMap((k) => (manifest[k] ?? []).map((m) => m.gomod.split(' ')[1])));
    expect([...versions]).toEqual([`v${dist}`]);
  });

  it('both files start with a header comment', () => {
    for (const f of ['config.yaml', 'builder-config.yaml'])
      expect(readFileSync(join(dir, f), 'utf8').startsWith('# ')).toBe(true);
  });
});
