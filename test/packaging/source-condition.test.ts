// The workspace packages export their TypeScript sources under one custom condition and their
// built dist/ under the standard ones (docs/sdk.md, "Install"). Every tool that runs the
// repository's code must enable exactly that condition, or it silently runs a stale (or missing)
// dist/: this checks each one against the name the packages' exports use.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const STANDARD = new Set(['types', 'import', 'require', 'default', 'node']);
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');

type Exports = Record<string, string | Record<string, string>>;
const conditions = new Set<string>();
for (const pkg of ['services/sdk', 'services/events']) {
  const exports = (JSON.parse(read(`${pkg}/package.json`)) as { exports: Exports }).exports;
  for (const target of Object.values(exports))
    if (typeof target !== 'string') for (const c of Object.keys(target)) if (!STANDARD.has(c)) conditions.add(c);
}
const [condition] = [...conditions];

describe('the workspace-only source condition', () => {
  it('is one name, first in every conditional export of @aurea/sdk and @aurea/events', () => {
    expect([...conditions]).toHaveLength(1);
    for (const pkg of ['services/sdk', 'services/events']) {
      const exports = (JSON.parse(read(`${pkg}/package.json`)) as { exports: Exports }).exports;
      for (const target of Object.values(exports))
        if (typeof target !== 'string') expect(Object.keys(target)[0], pkg).toBe(condition);
    }
  });

  it('is enabled for TypeScript (tsconfig.json customConditions)', () => {
    const cfg = ts.readConfigFile(join(REPO, 'tsconfig.json'), (p) => ts.sys.readFile(p));
    const options = (cfg.config as { compilerOptions: { customConditions?: string[] } }).compilerOptions;
    expect(options.customConditions).toEqual([condition]);
  });

  it('is enabled for every Vitest project (ssr.resolve.conditions, before the defaults)', async () => {
    const vitestConfig = (
      (await import(pathToFileURL(join(REPO, 'vitest.config.ts')).href)) as {
        default: { test?: { projects?: unknown[] } };
      }
    ).default;
    const projects = (vitestConfig.test?.projects ?? []) as { ssr?: { resolve?: { conditions?: string[] } } }[];
    expect(projects.length).toBeGreaterThan(0);
    for (const p of projects) expect(p.ssr?.resolve?.conditions?.[0]).toBe(condition);
  });

  it('is passed to Node by npm (.npmrc), the stack scripts (lib.sh) and the service image (Dockerfile)', () => {
    const flag = `--conditions=${condition}`;
    expect(read('.npmrc')).toMatch(new RegExp(`^node-options=.*${flag}`, 'm'));
    expect(read('scripts/stack/lib.sh')).toContain(flag);
    // On the service's command line: the manifests' NODE_OPTIONS (heap size) must not replace it.
    expect(read('services/Dockerfile')).toMatch(new RegExp(`^CMD .*exec node ${flag} `, 'm'));
    expect(read('services/Dockerfile')).not.toMatch(/NODE_OPTIONS=/);
  });
});
