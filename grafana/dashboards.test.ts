// Static checks of the provisioned Grafana files: the dashboards JSON (generated from
// grafana/src/boards and checked in), the datasource and dashboard-provider YAML, and the
// query interpolation that the integration test and the renderer rely on.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allBoards, renderJson, UID } from './src/boards/index.js';
import { defaultDashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { TABLES } from '@aurea/clickhouse/queries';
import {
  annotationQuery,
  DS,
  isClickHouseQuery,
  variableQuery,
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
} from './src/builders.js';
import { panelTargets } from './src/run-targets.js';
import { METRICS } from '@aurea/sdk';
import { OTHER } from './src/boards/names.js';
import { inexactIncreases } from '../prometheus/exact-form.js';
import {
  applyConditionalAll,
  expandClickHouseMacros,
  interpolateClickHouse,
  interpolatePrometheus,
  replaceVariables,
  clickhouseFormat,
  prometheusFormat,
  variableRefs,
  type Vars,
} from './src/interpolate.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Every series the recording rules of prometheus/rules/ define. */
const records = readdirSync(join(HERE, '..', 'prometheus', 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) =>
    (
      parse(readFileSync(join(HERE, '..', 'prometheus', 'rules', f), 'utf8')) as {
        groups: { rules: { record?: string }[] }[];
      }
    ).groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
  );
const DASH_DIR = join(HERE, 'dashboards');
const files = readdirSync(DASH_DIR).filter((f) => f.endsWith('.json'));
const dashboards: [string, Dashboard][] = files.map((f) => [
  f,
  JSON.parse(readFileSync(join(DASH_DIR, f), 'utf8')) as Dashboard,
]);

interface DatasourceYaml {
  apiVersion: number;
  datasources: {
    name: string;
    uid: string;
    type: string;
    url?: string;
    jsonData: Record<string, unknown>;
    secureJsonData?: Record<string, unknown>;
  }[];
}
const dsText = readFileSync(join(HERE, 'provisioning', 'datasources', 'aurea.yaml'), 'utf8');
const dsYaml = parse(dsText) as DatasourceYaml;
const providerText = readFileSync(join(HERE, 'provisioning', 'dashboards', 'aurea.yaml'), 'utf8');
const providerYaml = parse(providerText) as {
  apiVersion: number;
  providers: { name: string; type: string; options: { path: string } }[];
};

function allPanels(d: Dashboard): Panel[] {
  return (d.panels ?? []).flatMap((p) => [p as Panel, ...(p.type === 'row' ? (p as RowPanel).panels : [])]);
}
const variablesOf = (d: Dashboard): VariableModel[] => d.templating.list ?? [];

/** Every string anywhere in a value (targets, links, titles, overrides). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** Every datasource reference ({ type, uid }) anywhere in a value. */
function datasourceRefs(v: unknown): { type: string; uid: string }[] {
  if (Array.isArray(v)) return v.flatMap(datasourceRefs);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const here =
      o.datasource && typeof o.datasource === 'object' ? [o.datasource as { type: string; uid: string }] : [];
    return [
      ...here,
      ...Object.entries(o)
        .filter(([k]) => k !== 'datasource')
        .flatMap(([, x]) => datasourceRefs(x)),
    ];
  }
  return [];
}

/** Every board's variables, in order (docs/dashboards.md lists them). */
const VARIABLES: Record<string, string[]> = {
  [UID.operations]: ['environment', 'service', 'provider', 'model', 'task', 'route'],
  [UID.llmCost]: ['environment', 'service', 'provider', 'model', 'task'],
  [UID.jobCost]: ['environment', 'service', 'provider', 'model', 'tenant', 'job'],
  [UID.attribution]: ['environment', 'service', 'provider', 'model', 'tenant', 'job'],
  [UID.agents]: ['environment', 'service', 'provider', 'model', 'task', 'repository', 'user'],
  [UID.slo]: ['environment', 'service'],
};

describe('dashboard JSON', () => {
  it('is exactly what the board code generates (run `npm run grafana:generate` after editing a board)', () => {
    const boards = allBoards();
    expect(files.sort()).toEqual(Object.keys(boards).sort());
    for (const [f, board] of Object.entries(boards))
      expect(readFileSync(join(DASH_DIR, f), 'utf8'), f).toBe(renderJson(board));
  });

  it('has the six boards with their stable UIDs', () => {
    expect(dashboards.map(([, d]) => d.uid).sort()).toEqual(Object.values(UID).sort());
  });

  for (const [file, d] of dashboards) {
    describe(file, () => {
      it('has the schema version, a title, a description and a default time range', () => {
        expect(d.schemaVersion).toBe(defaultDashboard().schemaVersion);
        expect(d.title).toMatch(/^Aurea \/ /);
        expect(d.description?.length).toBeGreaterThan(40);
        expect(d.time?.to).toBe('now');
        expect(d.tags).toContain('aurea');
      });

      it('has unique panel ids and panels that fit the 24-column grid without overlapping', () => {
        const panels = allPanels(d);
        const ids = panels.map((p) => p.id);
        expect(new Set(ids).size).toBe(ids.length);
        const cells = new Set<string>();
        for (const p of panels) {
          const g = p.gridPos!;
          expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
          for (let x = g.x; x < g.x + g.w; x++)
            for (let y = g.y; y < g.y + g.h; y++) {
              const c = `${x},${y}`;
              expect(cells.has(c), `${p.title} overlaps at ${c}`).toBe(false);
              cells.add(c);
            }
        }
      });

      it('uses only provisioned datasource UIDs, with matching types', () => {
        const provisioned = new Map(dsYaml.datasources.map((x) => [x.uid, x.type]));
        const refs = datasourceRefs(d).filter((r) => r.type !== 'grafana');
        expect(refs.length).toBeGreaterThan(0);
        for (const r of refs) {
          expect(provisioned.has(r.uid), `datasource ${r.uid}`).toBe(true);
          expect(provisioned.get(r.uid)).toBe(r.type);
        }
      });

      it('defines every variable it uses, and each variable query uses only variables defined before it', () => {
        const defined = variablesOf(d).map((v) => v.name);
        const used = new Set(
          strings({ panels: d.panels, links: d.links, annotations: d.annotations }).flatMap(variableRefs),
        );
        for (const name of used) expect(defined, `$${name}`).toContain(name);
        variablesOf(d).forEach((v, i) => {
          for (const name of variableRefs(variableQuery(v)))
            expect(defined.slice(0, i), `${v.name} uses $${name}`).toContain(name);
        });
        // The filters each board offers (docs/dashboards.md, the table of template variables).
        expect(defined).toEqual(VARIABLES[d.uid!]);
      });

      it('every data panel has a description, targets and a unit (on the panel or per field)', () => {
        for (const p of allPanels(d).filter((x) => x.type !== 'row')) {
          expect(p.description, p.title).toBeTruthy();
          expect(p.targets?.length, p.title).toBeGreaterThan(0);
          if (p.type === 'state-timeline') continue; // values are mapped to state names
          const units = [
            p.fieldConfig?.defaults.unit,
            ...(p.fieldConfig?.overrides ?? []).flatMap((o) =>
              o.properties.filter((x) => x.id === 'unit').map((x) => x.value as string),
            ),
          ];
          if (p.type !== 'table') expect(units.filter(Boolean).length, `${p.title} has no unit`).toBeGreaterThan(0);
        }
      });

      it('time series have a legend and ClickHouse time series return a time bucket first, in time order', () => {
        for (const p of allPanels(d).filter((x) => x.type === 'timeseries')) {
          expect((p.options as { legend: { showLegend: boolean } }).legend.showLegend, p.title).toBe(true);
          for (const t of panelTargets(p))
            if (isClickHouseQuery(t)) {
              expect(t.rawSql, p.title).toMatch(/^SELECT\s+bucket AS time,/);
              expect(t.rawSql, p.title).toMatch(
                /(\$__timeInterval\(ended_at\)|toDateTime\(day, 'UTC'\)) AS bucket[\s\S]*ORDER BY bucket ASC/,
              );
            }
        }
      });

      it('ClickHouse queries read only Aurea tables, sum money as Decimal and take percentiles exactly', () => {
        const sqls = [
          ...variablesOf(d)
            .filter((v) => v.datasource?.type === DS.clickhouse.type)
            .map(variableQuery),
          ...allPanels(d).flatMap((p) =>
            panelTargets(p)
              .filter(isClickHouseQuery)
              .map((t) => t.rawSql),
          ),
        ];
        if (!d.tags?.includes('clickhouse')) return expect(sqls).toEqual([]);
        expect(sqls.length).toBeGreaterThan(5);
        for (const sql of sqls) {
          for (const m of sql.matchAll(/\bFROM\s+(\w+)/g)) expect(Object.values(TABLES), sql).toContain(m[1]);
          expect(sql).not.toMatch(/toFloat|Float64|\bquantile\(|quantileTDigest|toDecimalString/);
          for (const m of sql.matchAll(/quantile\w*\(/g)) expect(m[0]).toBe('quantilesExactInclusive(');
          expect(sql).not.toMatch(/(?<!\$)\{\w+:/); // no query parameters: Grafana fills in variables and macros
        }
      });
    });
  }

  it('the cost board links to the per-job board (dashboard link and panel links), and the ClickHouse tables link job ids to it', () => {
    const cost = dashboards.find(([, d]) => d.uid === UID.llmCost)![1];
    expect((cost.links ?? []).map((l) => l.url)).toContain(`/d/${UID.jobCost}`);
    expect((cost.links ?? []).find((l) => l.url === `/d/${UID.jobCost}`)!.keepTime).toBe(true);
    const panelLinks = strings(allPanels(cost).map((p) => [p.links, p.fieldConfig?.defaults.links]));
    expect(panelLinks.some((u) => u.startsWith(`/d/${UID.jobCost}?`))).toBe(true);
    for (const uid of [UID.jobCost, UID.attribution]) {
      const d = dashboards.find(([, x]) => x.uid === uid)![1];
      expect(JSON.stringify(d)).toContain(`/d/${UID.jobCost}?var-job=\${__value.raw}`);
    }
  });

  it('totals over the range use the exact form of increase() (docs/metrics.md, "Spend: the exact query")', () => {
    let n = 0;
    for (const [, d] of dashboards)
      for (const p of allPanels(d))
        for (const t of panelTargets(p))
          if (!isClickHouseQuery(t)) {
            n += t.expr.includes('increase(') ? 1 : 0;
            expect(inexactIncreases(t.expr), `${p.title}: ${t.expr}`).toEqual([]);
          }
    expect(n).toBeGreaterThan(5);
  });

  it('every board annotates deployments and firing Aurea alerts from Prometheus', () => {
    for (const [file, d] of dashboards) {
      const list = d.annotations?.list ?? [];
      expect(
        list.map((a) => a.name),
        file,
      ).toEqual(['Deployments', 'Alerts']);
      for (const a of list) {
        expect(a.datasource, file).toEqual(DS.prometheus);
        expect(a.enable).toBe(true);
        expect(annotationQuery(a).expr).toMatch(a.name === 'Deployments' ? /^group by .*target_info/ : /^ALERTS\{/);
      }
    }
  });

  it('Prometheus queries name only SDK metrics (from its spec), recorded series of prometheus/rules, or known others', () => {
    const allowed = new Set<string>([...Object.values(OTHER), ...records]);
    for (const m of Object.values(METRICS))
      for (const suffix of m.kind === 'Histogram' ? ['_bucket', '_sum', '_count'] : [''])
        allowed.add(m.prometheus + suffix);
    const exprs = dashboards.flatMap(([, d]) => [
      ...allPanels(d).flatMap((p) => panelTargets(p).flatMap((t) => (isClickHouseQuery(t) ? [] : [t.expr]))),
      ...variablesOf(d)
        .filter((v) => v.datasource?.type === 'prometheus')
        .map(variableQuery),
      ...(d.annotations?.list ?? []).map((a) => annotationQuery(a).expr),
    ]);
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/([a-zA-Z_:][\w:]*)\{/g)].map((m) => m[1]!)));
    for (const n of names) expect(allowed.has(n), n).toBe(true);
    // the recorded series the boards read are all there
    expect([...names].filter((n) => n.includes(':')).length).toBeGreaterThan(8);
  });

  it('thresholds are ordered and start at the base step', () => {
    for (const [, d] of dashboards)
      for (const p of allPanels(d)) {
        const steps = p.fieldConfig?.defaults.thresholds?.steps;
        if (!steps) continue;
        expect(steps[0]!.value, p.title).toBeNull();
        const values = steps.slice(1).map((s) => s.value!);
        expect(values, p.title).toEqual([...values].sort((a, b) => a - b));
      }
  });
});

describe('provisioning', () => {
  it('every provisioning file starts with a header comment', () => {
    for (const text of [dsText, providerText]) expect(text.split('\n')[0]).toMatch(/^# Aurea /);
  });

  it('provisions Prometheus and ClickHouse (official plugin) with stable UIDs, settings and credentials from the environment', () => {
    expect(dsYaml.apiVersion).toBe(1);
    const prom = dsYaml.datasources.find((x) => x.uid === 'aurea-prometheus')!;
    expect(prom.type).toBe('prometheus');
    expect(prom.url).toBe('${AUREA_PROMETHEUS_URL}');
    expect(prom.jsonData.timeInterval).toBe('15s');
    const ch = dsYaml.datasources.find((x) => x.uid === 'aurea-clickhouse')!;
    expect(ch.type).toBe('grafana-clickhouse-datasource');
    expect(ch.jsonData).toMatchObject({
      host: '${CLICKHOUSE_HOST}',
      port: '${CLICKHOUSE_PORT}',
      protocol: '${CLICKHOUSE_PROTOCOL}',
      secure: '${CLICKHOUSE_SECURE}',
      username: '${CLICKHOUSE_USER}',
      defaultDatabase: '${CLICKHOUSE_DATABASE}',
    });
    expect(ch.secureJsonData).toEqual({ password: '${CLICKHOUSE_PASSWORD}' });
    // Every environment variable the file reads is documented in its header.
    const header = dsText
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    for (const m of dsText.matchAll(/\$\{(\w+)\}/g)) expect(header).toContain(m[1]);
  });

  it('the dashboard provider loads files from AUREA_DASHBOARDS_DIR', () => {
    expect(providerYaml.apiVersion).toBe(1);
    expect(providerYaml.providers[0]).toMatchObject({ type: 'file', options: { path: '${AUREA_DASHBOARDS_DIR}' } });
  });
});

describe('interpolation (as Grafana and grafana-clickhouse-datasource do it)', () => {
  const def = (name: string, multi: boolean, allValue?: string): VariableModel =>
    ({ name, multi, includeAll: multi, ...(allValue ? { allValue } : {}) }) as VariableModel;
  const vars: Vars = {
    service: { def: def('service', true), options: ['a', "o'b"], selected: '$__all' },
    tenant: { def: def('tenant', true), options: ['acme', ''], selected: ['acme', "o'b"] },
    job: { def: def('job', false), options: ['j1', 'j2'], selected: ['j2'] },
    model: { def: def('model', true, '.*'), options: ['gpt-3.5-turbo', 'gpt-4'], selected: ['gpt-3.5-turbo', 'gpt-4'] },
    env: { def: def('env', true, '.*'), options: ['prod'], selected: '$__all' },
  };
  const range = { from: new Date(1_700_000_000_000), to: new Date(1_700_003_600_500) };

  it('$__conditionalAll drops the condition when All is selected and keeps it otherwise', () => {
    expect(
      applyConditionalAll('WHERE $__conditionalAll(service IN (${service:singlequote}), $service) AND x', vars),
    ).toBe('WHERE 1=1 AND x');
    expect(applyConditionalAll('$__conditionalAll(tenant IN (${tenant:singlequote}), $tenant)', vars)).toBe(
      'tenant IN (${tenant:singlequote})',
    );
  });

  it('singlequote escapes quotes; the plugin default quotes arrays and leaves single values raw', () => {
    expect(replaceVariables('t IN (${tenant:singlequote})', vars, clickhouseFormat)).toBe("t IN ('acme','o\\'b')");
    expect(replaceVariables('job_id = ${job:singlequote}', vars, clickhouseFormat)).toBe("job_id = 'j2'");
    expect(replaceVariables('$tenant / $job', vars, clickhouseFormat)).toBe("'acme','o'b' / j2");
  });

  it('Prometheus: multi-values become an escaped alternation, a custom All value is inserted as is', () => {
    expect(replaceVariables('{m=~"$model", e=~"$env"}', vars, prometheusFormat)).toBe(
      '{m=~"(gpt-3\\\\.5-turbo|gpt-4)", e=~".*"}',
    );
    const plan = interpolatePrometheus('rate(x[$__rate_interval]) / $__range', vars, range, { scrapeIntervalS: 15 });
    expect(plan.expr).toBe('rate(x[60s]) / 3601s');
    expect(plan.stepS).toBe(15);
  });

  it('ClickHouse macros expand like pkg/macros/macros.go', () => {
    const sql = expandClickHouseMacros(
      'SELECT $__timeInterval(ended_at) AS t FROM x WHERE $__timeFilter(ended_at) AND a >= $__fromTime AND b < $__toTime_ms AND $__timeFilter_ms(c) -- $__interval_s',
      range,
      60_000,
    );
    expect(sql).toBe(
      'SELECT toStartOfInterval(toDateTime(ended_at), INTERVAL 60 second) AS t FROM x WHERE ended_at >= toDateTime(1700000000) AND ended_at <= toDateTime(1700003600) AND a >= toDateTime(1700000000) AND b < fromUnixTimestamp64Milli(1700003600500) AND c >= fromUnixTimestamp64Milli(1700000000000) AND c <= fromUnixTimestamp64Milli(1700003600500) -- 60',
    );
    expect(() => expandClickHouseMacros('$__nope(x)', range, 1000)).toThrow(/unknown/);
    expect(() => replaceVariables('$undefined_var', vars, clickhouseFormat)).toThrow(/not defined/);
  });

  it('every ClickHouse query and variable of the boards expands completely (no macro or variable left)', () => {
    for (const [, d] of dashboards) {
      if (!d.tags?.includes('clickhouse')) continue;
      const state: Vars = Object.fromEntries(
        variablesOf(d).map((v) => [v.name, { def: v, options: ['x', 'y'], selected: v.multi ? ['x', 'y'] : ['x'] }]),
      );
      const texts = [
        ...variablesOf(d).map(variableQuery),
        ...allPanels(d).flatMap((p) => panelTargets(p).map((t) => (isClickHouseQuery(t) ? t.rawSql : ''))),
      ];
      for (const t of texts.filter(Boolean)) {
        const out = interpolateClickHouse(t, state, range, 60_000);
        expect(out, t).not.toMatch(/\$/);
      }
    }
  });
});
