// The built Collectors (scripts/stack/install-collector.sh, keyed by the manifest hash) validate
// their configs and build exactly the components their manifests list: the gateway/guard tier
// (otelcol-aurea, collector/) and the routing tier (otelcol-aurea-routing, collector/routing/).
// Our own component's Go unit tests (collector/components/idsplitconnector) run here too.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackPaths } from '../test/metrics-path/binaries.js';

const DIR = import.meta.dirname;
const DISTRIBUTIONS = [
  { name: 'gateway/guard tier', dir: DIR, bin: () => stackPaths().OTELCOL_BIN },
  { name: 'routing tier', dir: join(DIR, 'routing'), bin: () => stackPaths().OTELCOL_ROUTING_BIN },
];

describe.each(DISTRIBUTIONS)('built Collector, $name', ({ dir, bin }) => {
  const run = (...args: string[]) => execFileSync(bin(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  it('validate accepts its config', () => {
    expect(() => run('validate', '--config', join(dir, 'config.yaml'))).not.toThrow();
  });
  it('validate rejects a config whose pipeline uses an undefined processor (the check is real)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'otelcol-validate-'));
    try {
      const good = readFileSync(join(dir, 'config.yaml'), 'utf8');
      const bad = good.replace('processors: [memory_limiter/', 'processors: [memory_limiter/nope, memory_limiter/');
      expect(bad).not.toBe(good);
      writeFileSync(join(tmp, 'bad.yaml'), bad);
      expect(() => run('validate', '--config', join(tmp, 'bad.yaml'))).toThrow();
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
  it('its components are exactly the manifest modules', () => {
    const built = parse(run('components')) as Record<string, unknown>;
    const manifest = parse(readFileSync(join(dir, 'builder-config.yaml'), 'utf8')) as Record<string, unknown>;
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
      const b = ((built[kind] as { module: string }[] | null | undefined) ?? []).map((c) => c.module).sort();
      const m = ((manifest[kind] as { gomod: string }[] | undefined) ?? []).map((c) => c.gomod).sort();
      expect(b, kind).toEqual(m);
    }
  });
});

describe('collector/components/idsplitconnector', () => {
  it('go vet and go test pass', () => {
    const dir = join(DIR, 'components/idsplitconnector');
    const go = (...args: string[]) =>
      execFileSync('go', args, {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GOFLAGS: '-mod=mod' },
      });
    expect(() => go('vet', './...')).not.toThrow();
    expect(go('test', '-count=1', './...')).toMatch(/^ok\s+aurea\.dev\/otelcol\/idsplitconnector/m);
  });
});
