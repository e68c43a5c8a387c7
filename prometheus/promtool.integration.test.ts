// promtool (built with the stack, scripts/stack/install-prometheus.sh) checks the
// Prometheus config and rule files and runs the rule unit tests in prometheus/tests/: the alerts
// (alerts.test.yml), the exact spend query (spend.test.yml), the SLO burn-rate alerts
// (slo.test.yml) and the cost anomaly alert (cost-anomaly.test.yml).
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stackPaths } from '../test/metrics-path/binaries.js';

const DIR = import.meta.dirname;
const promtool = (...args: string[]) =>
  execFileSync(stackPaths().PROMTOOL_BIN, args, { cwd: DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('promtool', () => {
  it('check config', () => {
    expect(promtool('check', 'config', 'prometheus.yml')).toMatch(/SUCCESS: prometheus\.yml is valid/);
    expect(promtool('check', 'config', 'long-term/long-term.yml')).toMatch(/SUCCESS: .*long-term\.yml is valid/);
  });
  it('check rules', () => {
    const files = readdirSync(join(DIR, 'rules'))
      .filter((f) => f.endsWith('.yml'))
      .map((f) => join('rules', f));
    expect(files.length).toBeGreaterThan(0);
    expect(() => promtool('check', 'rules', ...files)).not.toThrow();
  });
  it('test rules: every alert fires with its labels and annotations, and stays quiet on healthy data', () => {
    expect(promtool('test', 'rules', 'tests/alerts.test.yml')).toMatch(/SUCCESS/);
  });
  it('test rules: the spend rules are exact on born-in-window, reset and ended series (plain increase is not)', () => {
    expect(promtool('test', 'rules', 'tests/spend.test.yml')).toMatch(/SUCCESS/);
  });
  it('test rules: the SLO burn-rate alerts page on a fast burn, ticket a slow one, and resolve when it stops', () => {
    expect(promtool('test', 'rules', 'tests/slo.test.yml')).toMatch(/SUCCESS/);
  });
  it('test rules: the cost anomaly alert fires on an hour far above its own baseline, not without one', () => {
    expect(promtool('test', 'rules', 'tests/cost-anomaly.test.yml')).toMatch(/SUCCESS/);
  });
  it('every promtool test file is run here', () => {
    const run = ['alerts', 'spend', 'slo', 'cost-anomaly'].map((n) => `${n}.test.yml`).sort();
    expect(readdirSync(join(DIR, 'tests')).sort()).toEqual(run);
  });
});
