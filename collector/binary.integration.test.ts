// The built Collector (scripts/stack/install-collector.sh, keyed by the manifest hash)
// validates collector/config.yaml, and builds exactly the components the manifest lists.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stackPaths } from '../test/metrics-path/binaries.js';

const DIR = import.meta.dirname;
const run = (...args: string[]) =>
  execFileSync(stackPaths().OTELCOL_BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('built Collector', () => {
  it('validate accepts collector/config.yaml', () => {
    expect(() => run('validate', '--config', join(DIR, 'config.yaml'))).not.toThrow();
  });
  it('validate rejects a config whose pipeline uses an undefined processor (the check is real)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'otelcol-validate-'));
    try {
      const bad = readFileSync(join(DIR, 'config.yaml'), 'utf8').replace(
        'processors: [memory_limiter/gateway, batch/metrics,',
        'processors: [memory_limiter/gateway, batch/nope,',
      );
      writeFileSync(join(dir, 'bad.yaml'), bad);
      expect(() => run('validate', '--config', join(dir, 'bad.yaml'))).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('its components are exactly the manifest modules', () => {
    const built = parse(run('components')) as Record<string, unknown>;
    const manifest = parse(readFileSync(join(DIR, 'builder-config.yaml'), 'utf8')) as Record<string, unknown>;
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions']) {
      const b = ((built[kind] as { module: string }[] | null) ?? []).map((c) => c.module).sort();
      const m = ((manifest[kind] as { gomod: string }[] | undefined) ?? []).map((c) => c.gomod).sort();
      expect(b, kind).toEqual(m);
    }
  });
});
