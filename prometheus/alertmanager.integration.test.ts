// A firing Aurea alert reaches Alertmanager and is routed by severity: Alertmanager built from
// its Go module into the cache (scripts/stack/install-alertmanager.sh) with
// prometheus/alertmanager/alertmanager.yml, and a private Prometheus (repository config and
// rules, plus an `alerting:` section) on free ports. A budget is pushed over OTLP as
// exhausted; AureaBudgetExhausted (severity critical) must arrive routed to aurea-critical.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../test/stack/helpers.js';
import { PrivateProcesses, freePort } from '../test/metrics-path/binaries.js';
import { exportMetrics, gaugeMetric, nowNs, resourceMetrics } from '../test/metrics-path/otlp-json.js';

const DIR = import.meta.dirname;
const pp = new PrivateProcesses();
// The installer is idempotent and prints the binary's path; amtool sits beside it.
const ALERTMANAGER = execFileSync('bash', [join(DIR, '../scripts/stack/install-alertmanager.sh')], {
  encoding: 'utf8',
}).trim();
const AMTOOL = join(dirname(ALERTMANAGER), 'amtool');
afterAll(() => pp.stop());

interface AmAlert {
  labels: Record<string, string>;
  receivers: { name: string }[];
  status: { state: string };
}

describe('Prometheus → Alertmanager', () => {
  it('amtool accepts the example config', () => {
    expect(ALERTMANAGER).toMatch(/alertmanager$/);
    expect(
      execFileSync(AMTOOL, ['check-config', join(DIR, 'alertmanager/alertmanager.yml')], { encoding: 'utf8' }),
    ).toMatch(/SUCCESS/);
  });

  it('an exhausted budget fires AureaBudgetExhausted, which reaches Alertmanager routed to the critical receiver', async () => {
    const amPort = await freePort();
    const am = pp.spawnLogged('alertmanager', ALERTMANAGER, [
      `--config.file=${join(DIR, 'alertmanager/alertmanager.yml')}`,
      `--storage.path=${join(pp.dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ]);
    const amUrl = `http://127.0.0.1:${amPort}`;
    await eventually(
      'alertmanager ready',
      async () => ((await fetch(`${amUrl}/-/ready`)).ok ? true : undefined),
      20_000,
    );
    expect(am.proc.exitCode).toBeNull();

    const prom = await pp.startPrometheus({
      extraConfig: `alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['127.0.0.1:${amPort}']`,
    });
    const budget = `am-test-${Date.now()}`;
    const attrs = { 'aurea.budget.name': budget, 'aurea.budget.scope': 'team', 'aurea.budget.period': 'day' };
    const push = async () => {
      const t = nowNs();
      await exportMetrics(`${prom.url}/api/v1/otlp`, [
        resourceMetrics({ 'service.name': 'aurea-analytics-api', 'service.instance.id': 'am-test' }, [
          gaugeMetric('aurea.budget.remaining', 'USD', [{ attrs, value: -2.5, timeNs: t }]),
          gaugeMetric('aurea.budget.limit', 'USD', [{ attrs, value: 100, timeNs: t }]),
        ]),
      ]);
    };
    const alert = await eventually(
      'the alert in Alertmanager',
      async () => {
        await push();
        const res = await fetch(
          `${amUrl}/api/v2/alerts?filter=${encodeURIComponent(`alertname="AureaBudgetExhausted"`)}`,
        );
        const list = (await res.json()) as AmAlert[];
        return list.find((a) => a.labels.aurea_budget_name === budget);
      },
      90_000,
      2_000,
    );
    expect(alert.labels.severity).toBe('critical');
    expect(alert.status.state).toBe('active');
    expect(alert.receivers.map((r) => r.name)).toEqual(['aurea-critical']);
  });
});
