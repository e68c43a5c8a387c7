// Structure of prometheus/rules and their promtool tests (unit: files only). Every alert has
// a severity, summary, description and runbook note, reads its threshold from
// 00-thresholds.yml when it has one, and has a firing and a quiet promtool test case (in any of
// prometheus/tests/*.test.yml).
// promtool itself runs in prometheus/promtool.integration.test.ts.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { inexactIncreases } from './exact-form.js';

const DIR = import.meta.dirname;
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const files = readdirSync(join(DIR, 'rules')).filter((f) => f.endsWith('.yml'));
const rules = files.flatMap((f) =>
  (parse(readFileSync(join(DIR, 'rules', f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
    (g) => g.rules,
  ),
);
const alerts = rules.filter((r) => r.alert !== undefined);
const thresholds = new Set(rules.filter((r) => r.record?.startsWith('aurea:threshold:')).map((r) => r.record));
interface PromtoolTest {
  name: string;
  alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[];
}
const testFiles = readdirSync(join(DIR, 'tests')).filter((f) => f.endsWith('.test.yml'));
const tests = testFiles.flatMap(
  (f) => (parse(readFileSync(join(DIR, 'tests', f), 'utf8')) as { tests: PromtoolTest[] }).tests,
);
const alertGroups = (parse(readFileSync(join(DIR, 'rules/20-alerts.yml'), 'utf8')) as { groups: { name: string }[] })
  .groups;

describe('alerting rules', () => {
  it('there are alerts for everything docs/alerts.md lists', () => {
    const names = alerts.map((a) => a.alert);
    for (const n of [
      'AureaLLMLatencyP95High',
      'AureaLLMErrorRatioHigh',
      'AureaTaskErrorRatioHigh',
      'AureaLLMCostPerHourHigh',
      'AureaTokenRateHigh',
      'AureaQueueShedRatioHigh',
      'AureaQueueNearCapacity',
      'AureaServiceDown',
      'AureaCircuitBreakerOpen',
      'AureaBudgetWarning',
      'AureaBudgetExhausted',
      'AureaBudgetProjectedExhaustion',
      'AureaConsumerLagHigh',
      'AureaDeadLetterRatioHigh',
      'AureaCollectorRefusingMetrics',
      'AureaCollectorExportFailing',
      'AureaHttpLatencyP95High',
      'AureaHttp5xxRatioHigh',
      'AureaTaskLatencyP95High',
      'AureaSLOTaskSuccessBurnFast',
      'AureaSLOTaskSuccessBurnSlow',
      'AureaSLOTaskLatencyBurnFast',
      'AureaSLOTaskLatencyBurnSlow',
      'AureaLLMCostAnomaly',
    ])
      expect(names).toContain(n);
  });
  it('alerts come in six groups: performance, resilience, SLO, cost, health, pipeline (docs/alerts.md)', () => {
    expect(alertGroups.map((g) => g.name)).toEqual([
      'aurea-performance-alerts',
      'aurea-resilience-alerts',
      'aurea-slo-alerts',
      'aurea-cost-alerts',
      'aurea-health-alerts',
      'aurea-pipeline-alerts',
    ]);
  });
  it.each(alerts.map((a) => [a.alert ?? '', a] as const))('%s has severity, summary, description, runbook', (_n, a) => {
    expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
    for (const k of ['summary', 'description', 'runbook']) expect(a.annotations?.[k], k).toBeTruthy();
    expect(a.annotations?.runbook).toMatch(/docs\/alerts\.md#/);
  });
  it.each(alerts.map((a) => [a.alert ?? '', a] as const))('%s uses only defined thresholds', (_n, a) => {
    for (const m of a.expr.matchAll(/aurea:threshold:[a-z0-9_]+/g)) expect(thresholds.has(m[0]), m[0]).toBe(true);
  });
  it.each(alerts.map((a) => [a.alert ?? ''] as const))('%s has a firing and a quiet promtool case', (name) => {
    const cases = tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.alertname === name));
    expect(
      cases.some((c) => c.exp_alerts.length > 0),
      'firing case',
    ).toBe(true);
    expect(
      cases.some((c) => c.exp_alerts.length === 0),
      'quiet case',
    ).toBe(true);
  });
  it('spend over a window uses the exact form (anchored increase + first value of series born inside)', () => {
    // docs/metrics.md, "Spend: the exact query"; prometheus/tests/spend.test.yml pins its values.
    const spend = rules.filter((r) => r.record !== undefined && /increase\(aurea_llm_cost_USD_total/.test(r.expr));
    expect(spend.map((r) => r.record)).toEqual([
      'aurea:llm_cost_usd:increase1h',
      'aurea:llm_cost_usd_by_job:increase1h',
    ]);
    for (const r of spend) {
      const w = /\[(\w+)\] anchored\)/.exec(r.expr)?.[1];
      expect(w, r.record).toBeDefined();
      const exact =
        `increase(aurea_llm_cost_USD_total[${w}] anchored)\n` +
        `  + (first_over_time(aurea_llm_cost_USD_total[${w}]) unless aurea_llm_cost_USD_total offset ${w})\n` +
        `  or increase(aurea_llm_cost_USD_total[${w}] anchored)`;
      expect(r.expr.replace(/\s+/g, ' '), r.record).toContain(exact.replace(/\s+/g, ' '));
    }
  });
  it('every increase() in a rule is the exact form (plain increase() misses a new series\u2019 first sample)', () => {
    for (const r of rules) expect(inexactIncreases(r.expr), r.alert ?? r.record).toEqual([]);
    expect(inexactIncreases('sum(increase(x{a="b"}[1h]))')).toEqual(['increase(x{a="b"}[1h])']);
    expect(inexactIncreases('sum(increase(x[1h] anchored))')).toEqual(['increase(x[1h] anchored)']);
  });
  it('the docs name only alerts that exist, and every runbook link lands on its alert in docs/alerts.md', () => {
    const names = new Set(alerts.map((a) => a.alert));
    // AureaX{A,B}Y{C,D} in prose stands for the four names it expands to
    const expand = (t: string): string[] => {
      const m = /\{([^}]*)\}/.exec(t);
      return m ? m[1]!.split(',').flatMap((alt) => expand(t.replace(m[0], alt))) : [t];
    };
    for (const doc of ['alerts.md', 'seeds.md', 'metrics.md', 'dashboards.md']) {
      const text = readFileSync(join(DIR, '../docs', doc), 'utf8');
      const mentioned = [...text.matchAll(/\bAurea[A-Z][A-Za-z0-9]*(?:\{[A-Za-z,]+\}[A-Za-z0-9]*)*/g)].flatMap((m) =>
        expand(m[0]),
      );
      for (const n of mentioned) expect(names.has(n), `${doc}: ${n}`).toBe(true);
    }
    // every runbook link lands on the alert's row
    const alertsDoc = readFileSync(join(DIR, '../docs/alerts.md'), 'utf8');
    for (const a of alerts) {
      const anchor = /docs\/alerts\.md#([a-z0-9]+)/.exec(a.annotations?.runbook ?? '')?.[1];
      expect(alertsDoc, a.alert).toContain(`<a id="${anchor}"></a>${a.alert}`);
    }
  });
  it('every rule file starts with a header comment', () => {
    for (const f of files) expect(readFileSync(join(DIR, 'rules', f), 'utf8').startsWith('# '), f).toBe(true);
  });
});
