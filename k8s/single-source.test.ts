// Single source: the Collector configs (guard and routing tier), Prometheus rule files, Grafana
// dashboards/provisioning and ClickHouse migrations inside the rendered manifests are the very files
// the rest of the repository (and its tests) use — byte for byte for ConfigMaps, group for group for
// PrometheusRules — the routing tier's guard list is derived from the guard replicas, and the
// checked-in k8s/base/generated folder is current.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  GUARD,
  REPO_ROOT,
  classifyGrafanaFile,
  generate,
  guardEndpoints,
  isRuleFile,
  prometheusFanout,
  staleFiles,
  writeGenerated,
} from './generate.js';
import { freshK8sTree, overlays, renderOverlay, type K8sObject } from './render.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

const renders = new Map<string, K8sObject[]>();
let tree: { dir: string; cleanup: () => void } | undefined;

beforeAll(() => {
  tree = freshK8sTree();
  for (const o of overlays()) renders.set(o, renderOverlay(tree.dir, o).objects);
}, 180_000);
afterAll(() => tree?.cleanup());

const listFiles = (dir: string, re: RegExp): string[] => {
  const out: string[] = [];
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      if (n === 'node_modules') continue;
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (re.test(n)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
};

/** ConfigMaps mounted by a workload's pod (plain and projected volumes), keyed by mount path. */
function mountedMaps(objects: K8sObject[], kind: string, name: string): Map<string, K8sObject[]> {
  const w = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!w) throw new Error(`${kind}/${name} not rendered`);
  const spec = obj(obj(obj(w.spec).template).spec);
  const maps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((c) => [c.metadata.name, c]));
  const volumes = new Map<string, K8sObject[]>();
  for (const v of arr(spec.volumes)) {
    const names = [obj(v.configMap).name, ...arr(obj(v.projected).sources).map((s) => obj(s.configMap).name)].filter(
      (n): n is string => typeof n === 'string',
    );
    volumes.set(
      String(v.name),
      names.map((n) => maps.get(n)).filter((c): c is K8sObject => c !== undefined),
    );
  }
  const out = new Map<string, K8sObject[]>();
  for (const c of arr(spec.containers))
    for (const m of arr(c.volumeMounts)) out.set(String(m.mountPath), volumes.get(String(m.name)) ?? []);
  return out;
}

const dataOf = (maps: K8sObject[] | undefined): Map<string, string> =>
  new Map((maps ?? []).flatMap((c) => Object.entries(c.data ?? {})));

/** The Collector workloads of a render (routing Deployment, guard StatefulSet, agent DaemonSet). */
const collectors = (objects: K8sObject[]): K8sObject[] =>
  objects.filter(
    (x) => x.metadata.name.startsWith('aurea-otel-') && ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind),
  );
const tierOf = (w: K8sObject): string =>
  String(obj(obj(obj(obj(w.spec).template).metadata).labels)['aurea.dev/collector-tier']);
const containerOf = (w: K8sObject): Json => arr(obj(obj(obj(w.spec).template).spec).containers)[0] ?? {};

/** The value of a container's environment variable, resolved through the ConfigMaps it names. */
function envOf(objects: K8sObject[], c: Json, name: string): string | undefined {
  const map = (n: unknown): K8sObject | undefined =>
    objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name === n);
  const e = arr(c.env).find((x) => x.name === name);
  if (e !== undefined) {
    if (typeof e.value === 'string') return e.value;
    const ref = obj(obj(e.valueFrom).configMapKeyRef);
    return map(ref.name)?.data?.[String(ref.key)];
  }
  for (const f of arr(c.envFrom)) {
    const v = map(obj(f.configMapRef).name)?.data?.[name];
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Collector config each tier runs: the guard collector/config.yaml, routing and agent the routing one. */
const CONFIG_OF_TIER: Record<string, string> = {
  guard: 'collector/config.yaml',
  routing: 'collector/routing/config.yaml',
  agent: 'collector/routing/config.yaml',
};

describe('single source of configuration in the rendered manifests', () => {
  it('the checked-in k8s/base/generated is current (else run `npm run k8s:generate`)', () => {
    expect(
      staleFiles(generate().files),
      'k8s/base/generated is out of date: run `npm run k8s:generate` and commit',
    ).toEqual([]);
  });

  it('each Collector tier runs its config byte for byte (guards: config.yaml; gateway, agent: routing/)', () => {
    for (const [o, objects] of renders) {
      const tiers = collectors(objects).map(tierOf).sort();
      expect(tiers, o).toEqual(o === 'prod' ? ['agent', 'guard', 'routing'] : ['guard', 'routing']);
      for (const w of collectors(objects)) {
        const file = CONFIG_OF_TIER[tierOf(w)] ?? '';
        const data = dataOf(mountedMaps(objects, w.kind, w.metadata.name).get('/etc/otelcol'));
        expect(
          data.get('config.yaml') === readFileSync(join(REPO_ROOT, file), 'utf8'),
          `${o} ${w.metadata.name}: config differs from ${file}`,
        ).toBe(true);
        expect(arr(containerOf(w).args)[0]).toBe('--config=/etc/otelcol/config.yaml');
      }
    }
  });

  it('the routing tier forwards to one endpoint per guard pod; the agent to the gateway', () => {
    const config = readFileSync(join(REPO_ROOT, 'collector', 'routing', 'config.yaml'), 'utf8');
    expect(config).toContain('${env:OTELCOL_GUARD_ENDPOINTS');
    for (const [o, objects] of renders) {
      const guard = objects.find((x) => x.kind === 'StatefulSet' && x.metadata.name === GUARD.statefulSet);
      const replicas = Number(obj(guard?.spec).replicas);
      expect(obj(guard?.spec).serviceName, o).toBe(GUARD.service);
      const gateway = objects.find((x) => x.kind === 'Deployment' && x.metadata.name === 'aurea-otel-gateway');
      const endpoints = envOf(objects, containerOf(gateway as K8sObject), 'OTELCOL_GUARD_ENDPOINTS') ?? '';
      // A YAML list, as the routing config's static resolver reads it.
      const list = parse(endpoints) as unknown;
      expect(list, o).toEqual(
        Array.from({ length: replicas }, (_, i) => `${GUARD.statefulSet}-${i}.${GUARD.service}:${GUARD.port}`),
      );
      expect(endpoints).toBe(guardEndpoints(replicas));
      if (o === 'prod') expect(replicas).toBeGreaterThanOrEqual(2);
      const agent = objects.find((x) => x.kind === 'DaemonSet' && x.metadata.name === 'aurea-otel-agent');
      if (agent)
        expect(parse(envOf(objects, containerOf(agent), 'OTELCOL_GUARD_ENDPOINTS') ?? '')).toEqual([
          'aurea-otel-gateway:4317',
        ]);
    }
  });

  it('prod guards push every point to every Prometheus replica (the generated fan-out config)', () => {
    const source = readFileSync(join(REPO_ROOT, 'collector', 'config.yaml'), 'utf8');
    const base = parse(source) as { service: { pipelines: Record<string, { exporters: string[] }> } };
    for (const [o, objects] of renders) {
      const prom = objects.find((x) => x.kind === 'Prometheus') as K8sObject;
      const replicas = Number(obj(prom.spec).replicas);
      for (const w of collectors(objects)) {
        const args = arr(containerOf(w).args);
        if (replicas === 1 || tierOf(w) !== 'guard') {
          // One replica: the operator's Service reaches it; no fan-out. Routing and agent push nowhere.
          expect(args, `${o} ${w.metadata.name}`).toEqual(['--config=/etc/otelcol/config.yaml']);
          continue;
        }
        expect(args, `${o} ${w.metadata.name}`).toEqual([
          '--config=/etc/otelcol/config.yaml',
          '--config=/etc/otelcol-fanout/config.yaml',
        ]);
        const fanout = dataOf(mountedMaps(objects, w.kind, w.metadata.name).get('/etc/otelcol-fanout'));
        expect(fanout.get('config.yaml')).toBe(prometheusFanout(source, { name: prom.metadata.name, replicas }));
        const cfg = parse(fanout.get('config.yaml') ?? '') as {
          exporters: Record<string, { metrics_endpoint: string }>;
          service: { pipelines: Record<string, { exporters: string[] }> };
        };
        const endpoints = Object.values(cfg.exporters).map((e) => e.metrics_endpoint);
        expect(endpoints).toEqual(
          Array.from(
            { length: replicas },
            (_, i) => `http://prometheus-${prom.metadata.name}-${i}.prometheus-operated:9090/api/v1/otlp/v1/metrics`,
          ),
        );
        // Every pipeline that pushed to Prometheus now pushes to every replica, and nothing else changes.
        const toPrometheus = Object.entries(base.service.pipelines).filter(([, p]) =>
          p.exporters.some((e) => /prometheus/.test(e)),
        );
        expect(Object.keys(cfg.service.pipelines).sort()).toEqual(toPrometheus.map(([n]) => n).sort());
        for (const [name] of toPrometheus)
          expect(cfg.service.pipelines[name]?.exporters.filter((e) => Object.hasOwn(cfg.exporters, e))).toHaveLength(
            replicas,
          );
      }
    }
    const prod = renders.get('prod') ?? [];
    expect(Number(obj(prod.find((x) => x.kind === 'Prometheus')?.spec).replicas)).toBeGreaterThanOrEqual(2);
  });

  it('the Alertmanager routes with prometheus/alertmanager/alertmanager.yml, byte for byte, and Prometheus sends to it', () => {
    const source = readFileSync(join(REPO_ROOT, 'prometheus', 'alertmanager', 'alertmanager.yml'), 'utf8');
    for (const [o, objects] of renders) {
      const am = objects.find((x) => x.kind === 'Alertmanager') as K8sObject;
      const name = String(obj(am.spec).configSecret);
      const secret = objects.find((x) => x.kind === 'Secret' && x.metadata.name === name);
      const data = secret?.data?.['alertmanager.yaml'] ?? '';
      expect(Buffer.from(data.replace(/\s+/g, ''), 'base64').toString('utf8') === source, o).toBe(true);
      const prom = objects.find((x) => x.kind === 'Prometheus') as K8sObject;
      expect(obj(obj(prom.spec).alerting).alertmanagers, o).toEqual([
        { name: `alertmanager-operated`, port: 'web', apiVersion: 'v2' },
      ]);
      const labels = obj(obj(am.spec).podMetadata).labels as Record<string, string>;
      expect(labels['app.kubernetes.io/component'], o).toBe('alertmanager');
    }
  });

  it('the migrate Job mounts exactly clickhouse/migrations/*.sql, byte for byte, and runs them in cluster mode', () => {
    const sources = listFiles(join(REPO_ROOT, 'clickhouse', 'migrations'), /\.sql$/);
    expect(sources.length).toBeGreaterThan(0);
    for (const [o, objects] of renders) {
      const mounts = mountedMaps(objects, 'Job', 'aurea-clickhouse-migrate');
      const data = dataOf(mounts.get('/migrations'));
      expect([...data.keys()].sort(), o).toEqual(sources.map((s) => basename(s)).sort());
      for (const s of sources)
        expect(data.get(basename(s)) === readFileSync(s, 'utf8'), `${o}: ${basename(s)}`).toBe(true);
      const job = objects.find((x) => x.kind === 'Job') as K8sObject;
      const c = arr(obj(obj(obj(job.spec).template).spec).containers)[0] ?? {};
      expect(c.command).toEqual(expect.arrayContaining(['clickhouse/src/migrate-cli.ts', '--dir', '/migrations']));
      const chi = objects.find((x) => x.kind === 'ClickHouseInstallation') as K8sObject;
      const clusterName = arr(obj(obj(chi.spec).configuration).clusters)[0]?.name;
      expect(arr(c.env).find((e) => e.name === 'CLICKHOUSE_CLUSTER')?.value).toBe(clusterName);
    }
  });

  it('every Prometheus rule file becomes a PrometheusRule with the same groups, selected by the Prometheus', () => {
    const ruleFiles = listFiles(join(REPO_ROOT, 'prometheus', 'rules'), /\.ya?ml$/).filter((f) =>
      isRuleFile(readFileSync(f, 'utf8')),
    );
    for (const [o, objects] of renders) {
      const rules = objects.filter((x) => x.kind === 'PrometheusRule');
      expect(rules.length, o).toBe(ruleFiles.length);
      const prom = objects.find((x) => x.kind === 'Prometheus') as K8sObject;
      const selector = obj(obj(obj(prom.spec).ruleSelector).matchLabels);
      for (const f of ruleFiles) {
        const rel = relative(REPO_ROOT, f);
        const r = rules.find((x) => x.metadata.annotations?.['aurea.dev/source'] === rel);
        expect(r, `${o}: no PrometheusRule from ${rel}`).toBeDefined();
        expect(obj(r?.spec).groups).toEqual((parse(readFileSync(f, 'utf8')) as Json).groups);
        for (const [k, v] of Object.entries(selector)) expect(r?.metadata.labels?.[k]).toBe(v);
      }
    }
  });

  it('every Grafana dashboard and provisioning file is in the ConfigMaps Grafana mounts, byte for byte', () => {
    const files = listFiles(join(REPO_ROOT, 'grafana'), /\.(json|ya?ml)$/)
      .map((f) => ({ f, kind: classifyGrafanaFile(f, readFileSync(f, 'utf8')) }))
      .filter((x) => x.kind !== 'other');
    const mountOf = {
      dashboard: '/var/lib/grafana/dashboards/aurea',
      datasources: '/etc/grafana/provisioning/datasources',
      providers: '/etc/grafana/provisioning/dashboards',
    } as const;
    for (const [o, objects] of renders) {
      const mounts = mountedMaps(objects, 'Deployment', 'aurea-grafana');
      for (const { f, kind } of files) {
        if (kind === 'other') continue;
        const data = dataOf(mounts.get(mountOf[kind]));
        expect(
          data.get(basename(f)) === readFileSync(f, 'utf8'),
          `${o}: ${relative(REPO_ROOT, f)} not mounted byte for byte`,
        ).toBe(true);
      }
    }
  });
});

describe('environment the single-source files expect', () => {
  it('Grafana sets every ${VAR} its provisioning files read', () => {
    const files = listFiles(join(REPO_ROOT, 'grafana'), /\.ya?ml$/).filter(
      (f) => classifyGrafanaFile(f, readFileSync(f, 'utf8')) !== 'other',
    );
    for (const [o, objects] of renders) {
      const g = objects.find((x) => x.kind === 'Deployment' && x.metadata.name === 'aurea-grafana') as K8sObject;
      const env = new Set(arr(arr(obj(obj(obj(g.spec).template).spec).containers)[0]?.env).map((e) => String(e.name)));
      for (const f of files) {
        const body = readFileSync(f, 'utf8')
          .split('\n')
          .filter((l) => !l.trimStart().startsWith('#'))
          .join('\n');
        for (const m of body.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
          const v = m[1] ?? m[2] ?? '';
          if (v.startsWith('__')) continue; // Grafana's own $__env{…}/$__file{…} macros
          expect(env, `${o}: Grafana env lacks ${v} (read by ${relative(REPO_ROOT, f)})`).toContain(v);
        }
      }
    }
  });

  it("every variable a Collector pod sets is one its tier's config reads", () => {
    const reads = (file: string): Set<string> =>
      new Set(
        [...readFileSync(join(REPO_ROOT, file), 'utf8').matchAll(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)/g)].map(
          (m) => m[1] ?? '',
        ),
      );
    for (const [o, objects] of renders) {
      for (const w of collectors(objects)) {
        const file = CONFIG_OF_TIER[tierOf(w)] ?? '';
        const c = containerOf(w);
        const set = [
          ...arr(c.env).map((e) => String(e.name)),
          ...arr(c.envFrom).flatMap((f) =>
            Object.keys(
              objects.find((x) => x.kind === 'ConfigMap' && x.metadata.name === obj(f.configMapRef).name)?.data ?? {},
            ),
          ),
        ].filter((k) => k !== 'GOMEMLIMIT'); // the Go runtime's, not the config's
        expect(set.length, `${o} ${w.metadata.name}`).toBeGreaterThan(0);
        for (const k of set)
          expect(reads(file), `${o} ${w.metadata.name}: ${k} is set but ${file} never reads it`).toContain(k);
      }
    }
  });
});

describe('generator picks up files that land later', () => {
  it('rules, dashboards and provisioning added under the source folders are rendered into the manifests', () => {
    const root = mkdtempSync(join(tmpdir(), 'aurea-k8s-src-'));
    try {
      const put = (p: string, content: string): string => {
        mkdirSync(join(root, p, '..'), { recursive: true });
        writeFileSync(join(root, p), content);
        return content;
      };
      const collector = put('collector/config.yaml', readFileSync(join(REPO_ROOT, 'collector', 'config.yaml'), 'utf8'));
      for (const f of [
        'collector/routing/config.yaml',
        'prometheus/alertmanager/alertmanager.yml',
        'k8s/components/prod/scale.yaml',
        'k8s/base/collector/guard.yaml',
      ])
        put(f, readFileSync(join(REPO_ROOT, f), 'utf8'));
      put('clickhouse/migrations/0001_x.sql', 'SELECT 1;\n');
      const rule = put(
        'prometheus/rules/cost.yml',
        '# cost rules\ngroups:\n  - name: cost\n    rules:\n      - record: x:y\n        expr: sum(rate(a_total[5m]))  # kept\n',
      );
      put('prometheus/rules/cost.test.yml', 'rule_files: [cost.yml]\ntests: []\n');
      const dash = put(
        'grafana/dashboards/llm-cost.json',
        JSON.stringify({ title: 'LLM cost', panels: [{ id: 1 }] }, null, 2) + '\n',
      );
      const dash2 = put('grafana/dashboards/sub/per-job.json', '{"title":"Per job","panels":[]}');
      const ds = put(
        'grafana/provisioning/datasources/datasources.yaml',
        '# ds\napiVersion: 1\ndatasources:\n  - name: Prometheus\n    url: $PROMETHEUS_URL\n',
      );
      const prov = put(
        'grafana/provisioning/dashboards/aurea.yaml',
        '# providers\napiVersion: 1\nproviders:\n  - name: aurea\n    options:\n      path: $AUREA_GRAFANA_DASHBOARDS_DIR\n',
      );
      put('grafana/src/board.ts', 'export {};\n');

      const { files, sources } = generate(root);
      expect(sources.ruleFiles.map((f) => basename(f))).toEqual(['cost.yml']);
      expect(sources.dashboards.map((f) => basename(f)).sort()).toEqual(['llm-cost.json', 'per-job.json']);

      const k8s = freshK8sTree();
      try {
        writeGenerated(files, k8s.dir);
        const { objects } = renderOverlay(k8s.dir, 'dev');
        const rule1 = objects.find((x) => x.kind === 'PrometheusRule');
        expect(obj(rule1?.spec).groups).toEqual((parse(rule) as Json).groups);
        const mounts = mountedMaps(objects, 'Deployment', 'aurea-grafana');
        expect(mounts.get('/var/lib/grafana/dashboards/aurea')?.length).toBe(2);
        const dashData = dataOf(mounts.get('/var/lib/grafana/dashboards/aurea'));
        expect(dashData.get('llm-cost.json') === dash && dashData.get('per-job.json') === dash2).toBe(true);
        expect(dataOf(mounts.get('/etc/grafana/provisioning/datasources')).get('datasources.yaml')).toBe(ds);
        expect(dataOf(mounts.get('/etc/grafana/provisioning/dashboards')).get('aurea.yaml')).toBe(prov);
        expect(
          dataOf(mountedMaps(objects, 'StatefulSet', 'aurea-otel-guard').get('/etc/otelcol')).get('config.yaml'),
        ).toBe(collector);
      } finally {
        k8s.cleanup();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('two source files with the same ConfigMap key are refused with a clear message', () => {
    const root = mkdtempSync(join(tmpdir(), 'aurea-k8s-dup-'));
    try {
      for (const f of [
        'collector/config.yaml',
        'collector/routing/config.yaml',
        'prometheus/alertmanager/alertmanager.yml',
        'k8s/components/prod/scale.yaml',
        'k8s/base/collector/guard.yaml',
      ]) {
        mkdirSync(join(root, f, '..'), { recursive: true });
        writeFileSync(join(root, f), readFileSync(join(REPO_ROOT, f)));
      }
      for (const d of ['a', 'b']) {
        mkdirSync(join(root, 'grafana', d), { recursive: true });
        writeFileSync(join(root, 'grafana', d, 'board.json'), '{"panels":[]}');
      }
      expect(() => generate(root)).toThrow(/share the ConfigMap key "board.json"/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
