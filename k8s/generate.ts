// Generates k8s/base/generated/ from the files the rest of the repository (and its tests) use:
//   collector/config.yaml            → ConfigMap aurea-collector-config (byte-identical copy; the guard tier)
//   collector/routing/config.yaml    → ConfigMap aurea-collector-routing-config (byte-identical copy; the
//                                      routing tier and the agent)
//   prometheus/rules/*.yml|*.yaml    → one PrometheusRule per rule file (spec.groups = the file's groups)
//   grafana/**/*.json (dashboards)   → one ConfigMap per dashboard + the Grafana projected-volume patch
//   grafana/**/*.yaml (provisioning) → ConfigMaps aurea-grafana-datasources / aurea-grafana-dashboard-providers
//   clickhouse/migrations/*.sql      → ConfigMap aurea-clickhouse-migrations (mounted by the migrate Job)
//   prometheus/alertmanager/alertmanager.yml → Secret aurea-alertmanager-config (the Alertmanager CR's
//                                      configSecret; byte-identical copy, no credentials in it)
//   collector/config.yaml + the prod Prometheus replicas (k8s/components/prod/scale.yaml)
//                                    → ConfigMap aurea-collector-prometheus-fanout: a second Collector
//                                      config (merged over the first in prod) with one OTLP exporter per
//                                      Prometheus replica, so every replica receives every point
//   the guard StatefulSet's replicas (k8s/base/collector/guard.yaml; prod: k8s/components/prod/scale.yaml)
//                                    → ConfigMaps aurea-otel-guard-endpoints / aurea-otel-guard-endpoints-prod:
//                                      the routing tier's OTELCOL_GUARD_ENDPOINTS, one entry per guard pod
// Files are found by glob, so rules and dashboards that land later are picked up by re-running:
//   npm run k8s:generate            (= npx tsx k8s/generate.ts)
//   npx tsx k8s/generate.ts --check (exit 1 if the checked-in folder is out of date)
// Copies, never edits: `kustomize build` works without --load-restrictor, and k8s tests prove
// the rendered ConfigMaps hold exactly the source bytes.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments, stringify } from 'yaml';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const GENERATED_REL = join('base', 'generated');

/** One output file: path relative to the generated folder, and its exact content. */
export interface GeneratedFile {
  path: string;
  content: Buffer;
}

export interface SourceSet {
  collectorConfig: string;
  routingConfig: string;
  /** The k8s manifest of the guard StatefulSet (its base replicas: the dev guard list). */
  guardBase: string;
  alertmanagerConfig: string;
  /** The k8s manifest that sets the prod Prometheus and guard replicas (fan-out config, prod guard list). */
  prometheusScale: string;
  ruleFiles: string[];
  dashboards: string[];
  datasources: string[];
  dashboardProviders: string[];
  migrations: string[];
  /** Files under grafana/ that are neither dashboards nor provisioning (reported, not deployed). */
  skipped: string[];
}

const rel = (p: string, root: string): string => relative(root, p).split(sep).join('/');

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function listDir(dir: string, re: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => re.test(n) && statSync(join(dir, n)).isFile())
    .sort()
    .map((n) => join(dir, n));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A Prometheus rule file has top-level `groups`; promtool test files have `tests`. */
export function isRuleFile(text: string): boolean {
  const doc: unknown = parse(text);
  return isRecord(doc) && Array.isArray(doc.groups) && !('tests' in doc);
}

/** Grafana files are classified by content, so any folder layout under grafana/ works. */
export function classifyGrafanaFile(path: string, text: string): 'dashboard' | 'datasources' | 'providers' | 'other' {
  if (/\.test\.|\.spec\./.test(path)) return 'other';
  if (path.endsWith('.json')) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return 'other';
    }
    return isRecord(doc) && Array.isArray(doc.panels) ? 'dashboard' : 'other';
  }
  if (/\.ya?ml$/.test(path)) {
    let doc: unknown;
    try {
      doc = parse(text);
    } catch {
      return 'other';
    }
    if (!isRecord(doc)) return 'other';
    if (Array.isArray(doc.datasources) || Array.isArray(doc.deleteDatasources)) return 'datasources';
    if (Array.isArray(doc.providers)) return 'providers';
  }
  return 'other';
}

export function findSources(root = REPO_ROOT): SourceSet {
  const grafana = walk(join(root, 'grafana'));
  const set: SourceSet = {
    collectorConfig: join(root, 'collector', 'config.yaml'),
    routingConfig: join(root, 'collector', 'routing', 'config.yaml'),
    guardBase: join(root, 'k8s', 'base', 'collector', 'guard.yaml'),
    alertmanagerConfig: join(root, 'prometheus', 'alertmanager', 'alertmanager.yml'),
    prometheusScale: join(root, 'k8s', 'components', 'prod', 'scale.yaml'),
    ruleFiles: listDir(join(root, 'prometheus', 'rules'), /\.ya?ml$/).filter((p) =>
      isRuleFile(readFileSync(p, 'utf8')),
    ),
    dashboards: [],
    datasources: [],
    dashboardProviders: [],
    migrations: listDir(join(root, 'clickhouse', 'migrations'), /\.sql$/),
    skipped: [],
  };
  for (const p of grafana) {
    const kind = classifyGrafanaFile(p, readFileSync(p, 'utf8'));
    if (kind === 'dashboard') set.dashboards.push(p);
    else if (kind === 'datasources') set.datasources.push(p);
    else if (kind === 'providers') set.dashboardProviders.push(p);
    else if (/\.(json|ya?ml)$/.test(p)) set.skipped.push(p);
  }
  return set;
}

/** DNS-1123 label from a file name: lower-case, [a-z0-9-], at most `max` characters. */
export function slug(name: string, max = 40): string {
  const s = name
    .replace(/\.[^.]+$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s.slice(0, max).replace(/-+$/, '') || 'x';
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function uniqueKeys(files: string[], what: string): void {
  const seen = new Map<string, string>();
  for (const f of files) {
    const k = basename(f);
    const prev = seen.get(k);
    if (prev) throw new Error(`${what}: two files share the ConfigMap key "${k}": ${prev} and ${f}; rename one`);
    seen.set(k, f);
  }
}

const HEADER = (what: string): string =>
  `# GENERATED by k8s/generate.ts — do not edit; run \`npm run k8s:generate\` after changing the sources.\n# ${what}\n`;

/** The Collector's variable holding the Prometheus OTLP endpoint (collector/config.yaml). */
const PROMETHEUS_ENDPOINT_VAR = /\$\{env:PROMETHEUS_OTLP_ENDPOINT(?::-[^}]*)?\}/g;

/** Name and replicas of the first object of `kind` (and `name`, if given) in a manifest file. */
export function replicasOf(manifest: string, kind: string, name?: string): { name: string; replicas: number } {
  for (const doc of parseAllDocuments(manifest)) {
    const o: unknown = doc.toJS();
    if (isRecord(o) && o.kind === kind && isRecord(o.metadata) && isRecord(o.spec)) {
      if (name !== undefined && o.metadata.name !== name) continue;
      const replicas = Number(o.spec.replicas);
      if (Number.isInteger(replicas) && replicas >= 1) return { name: String(o.metadata.name), replicas };
    }
  }
  throw new Error(`no ${kind}${name === undefined ? '' : ` ${name}`} with spec.replicas ≥ 1 in the manifest`);
}

/** Replicas and name of the Prometheus in a manifest file (the prod scale patch). */
export const prometheusReplicas = (manifest: string): { name: string; replicas: number } =>
  replicasOf(manifest, 'Prometheus');

/** The guard tier (k8s/base/collector/guard.yaml): StatefulSet, its headless Service, OTLP/gRPC port. */
export const GUARD = { statefulSet: 'aurea-otel-guard', service: 'aurea-otel-guard', port: 4317 } as const;

/**
 * OTELCOL_GUARD_ENDPOINTS of the routing tier (collector/routing/config.yaml: a YAML list) for a
 * guard StatefulSet of `replicas` pods: each pod by its stable name under the headless Service.
 */
export const guardEndpoints = (replicas: number): string => {
  const pod = (i: number): string => `${GUARD.statefulSet}-${i}.${GUARD.service}:${GUARD.port}`;
  return `[${Array.from({ length: replicas }, (_, i) => pod(i)).join(',')}]`;
};

/**
 * A Collector config to merge over collector/config.yaml (a second --config) so that every
 * Prometheus replica receives every point: each exporter that pushes to PROMETHEUS_OTLP_ENDPOINT
 * becomes one copy per replica, addressed to that replica's pod through the operator's headless
 * Service (prometheus-<name>-<i>.prometheus-operated), and each pipeline that used it exports to
 * all copies. Each copy keeps its own retry queue, so one replica down delays no other.
 */
export function prometheusFanout(
  collectorConfig: string,
  prometheus: { name: string; replicas: number },
  /** OTLP endpoint of replica i; the tests point it at local receivers. */
  replicaEndpoint = (i: number): string =>
    `http://prometheus-${prometheus.name}-${i}.prometheus-operated:9090/api/v1/otlp`,
): string {
  const cfg = parse(collectorConfig) as { exporters?: Record<string, unknown>; service?: { pipelines?: unknown } };
  const exporters: Record<string, unknown> = {};
  const replaced = new Map<string, string[]>();
  for (const [id, conf] of Object.entries(cfg.exporters ?? {})) {
    const text = JSON.stringify(conf);
    if (text.search(PROMETHEUS_ENDPOINT_VAR) === -1) continue;
    const copies: string[] = [];
    for (let i = 0; i < prometheus.replicas; i++) {
      exporters[`${id}-${i}`] = JSON.parse(text.replace(PROMETHEUS_ENDPOINT_VAR, replicaEndpoint(i))) as unknown;
      copies.push(`${id}-${i}`);
    }
    replaced.set(id, copies);
  }
  if (replaced.size === 0)
    throw new Error('collector/config.yaml: no exporter pushes to ${env:PROMETHEUS_OTLP_ENDPOINT}');
  const pipelines: Record<string, { exporters: string[] }> = {};
  for (const [name, p] of Object.entries(isRecord(cfg.service?.pipelines) ? cfg.service.pipelines : {})) {
    const list = isRecord(p) && Array.isArray(p.exporters) ? (p.exporters as string[]) : [];
    if (list.some((e) => replaced.has(e))) pipelines[name] = { exporters: list.flatMap((e) => replaced.get(e) ?? [e]) };
  }
  return (
    HEADER(
      `Merged over collector/config.yaml (second --config) by the prod Collectors: one exporter per ` +
        `Prometheus replica (${prometheus.replicas}).`,
    ) + stringify({ exporters, service: { pipelines } }, { lineWidth: 0 })
  );
}

export function generate(root = REPO_ROOT): { files: GeneratedFile[]; sources: SourceSet } {
  const src = findSources(root);
  const files: GeneratedFile[] = [];
  const copy = (from: string, to: string): void => {
    files.push({ path: to, content: readFileSync(from) });
  };

  // Byte-identical copies.
  copy(src.collectorConfig, 'collector/config.yaml');
  copy(src.routingConfig, 'collector/routing/config.yaml');
  copy(src.alertmanagerConfig, 'alertmanager/alertmanager.yml');
  files.push({
    path: 'collector/prometheus-fanout.yaml',
    content: Buffer.from(
      prometheusFanout(
        readFileSync(src.collectorConfig, 'utf8'),
        prometheusReplicas(readFileSync(src.prometheusScale, 'utf8')),
      ),
    ),
  });
  uniqueKeys(src.migrations, 'clickhouse/migrations');
  for (const m of src.migrations) copy(m, `clickhouse-migrations/${basename(m)}`);
  uniqueKeys(src.datasources, 'grafana datasources');
  for (const d of src.datasources) copy(d, `grafana/datasources/${basename(d)}`);
  uniqueKeys(src.dashboardProviders, 'grafana dashboard providers');
  for (const d of src.dashboardProviders) copy(d, `grafana/providers/${basename(d)}`);
  uniqueKeys(src.dashboards, 'grafana dashboards');
  const dashboardMaps: { name: string; file: string }[] = [];
  const usedNames = new Set<string>();
  for (const d of src.dashboards) {
    let name = `aurea-grafana-dashboard-${slug(basename(d))}`;
    for (let i = 2; usedNames.has(name); i++) name = `aurea-grafana-dashboard-${slug(basename(d), 36)}-${i}`;
    usedNames.add(name);
    copy(d, `grafana/dashboards/${basename(d)}`);
    dashboardMaps.push({ name, file: `grafana/dashboards/${basename(d)}` });
  }

  // PrometheusRules: the rule file's groups, unchanged, under spec.
  const ruleResources: string[] = [];
  const ruleNames = new Set<string>();
  for (const r of src.ruleFiles) {
    const text = readFileSync(r, 'utf8');
    const doc = parse(text) as { groups: unknown[] };
    let name = `aurea-${slug(basename(r))}`;
    for (let i = 2; ruleNames.has(name); i++) name = `aurea-${slug(basename(r), 36)}-${i}`;
    ruleNames.add(name);
    const obj = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        name,
        labels: { 'app.kubernetes.io/part-of': 'aurea', 'app.kubernetes.io/component': 'prometheus-rules' },
        annotations: { 'aurea.dev/source': rel(r, root), 'aurea.dev/source-sha256': sha256(text) },
      },
      spec: { groups: doc.groups },
    };
    const out = `prometheus-rules/${basename(r).replace(/\.ya?ml$/, '')}.yaml`;
    files.push({
      path: out,
      content: Buffer.from(
        HEADER(`PrometheusRule from ${rel(r, root)} (loaded by the Prometheus Operator into the aurea Prometheus).`) +
          stringify(obj, { lineWidth: 0 }),
      ),
    });
    ruleResources.push(out);
  }

  // kustomization.yaml of the generated folder.
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ruleResources,
    generatorOptions: { labels: { 'app.kubernetes.io/part-of': 'aurea' } },
    // The Alertmanager CR names its config Secret; a stable name (no hash suffix) keeps that
    // reference valid, and the operator's config-reloader applies a changed file without a restart.
    secretGenerator: [
      {
        name: 'aurea-alertmanager-config',
        files: ['alertmanager.yaml=alertmanager/alertmanager.yml'],
        options: { disableNameSuffixHash: true },
      },
    ],
    configMapGenerator: [
      { name: 'aurea-collector-config', files: ['config.yaml=collector/config.yaml'] },
      { name: 'aurea-collector-prometheus-fanout', files: ['config.yaml=collector/prometheus-fanout.yaml'] },
      { name: 'aurea-collector-routing-config', files: ['config.yaml=collector/routing/config.yaml'] },
      // The routing tier's guard list, one per guard count (base: dev; prod: selected by k8s/components/prod).
      ...(
        [
          ['aurea-otel-guard-endpoints', src.guardBase],
          ['aurea-otel-guard-endpoints-prod', src.prometheusScale],
        ] as const
      ).map(([name, manifest]) => {
        const guard = replicasOf(readFileSync(manifest, 'utf8'), 'StatefulSet', GUARD.statefulSet);
        return { name, literals: [`OTELCOL_GUARD_ENDPOINTS=${guardEndpoints(guard.replicas)}`] };
      }),
      {
        name: 'aurea-clickhouse-migrations',
        files: src.migrations.map((m) => `clickhouse-migrations/${basename(m)}`),
      },
      { name: 'aurea-grafana-datasources', files: src.datasources.map((d) => `grafana/datasources/${basename(d)}`) },
      {
        name: 'aurea-grafana-dashboard-providers',
        files: src.dashboardProviders.map((d) => `grafana/providers/${basename(d)}`),
      },
      ...dashboardMaps.map((d) => ({ name: d.name, files: [d.file] })),
    ],
  };
  files.push({
    path: 'kustomization.yaml',
    content: Buffer.from(
      HEADER(
        'Kustomization of copies of collector/, prometheus/ (rules, Alertmanager), grafana/ and clickhouse/migrations/ ' +
          'files; included by k8s/base.',
      ) + stringify(kustomization, { lineWidth: 0 }),
    ),
  });

  // Patch that mounts every dashboard ConfigMap into Grafana (one projected volume).
  const volumePatch = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'aurea-grafana' },
    spec: {
      template: {
        spec: {
          volumes: [
            // No dashboards yet → an empty directory (a projected volume needs at least one source).
            dashboardMaps.length > 0
              ? {
                  name: 'dashboards',
                  projected: { sources: dashboardMaps.map((d) => ({ configMap: { name: d.name } })) },
                }
              : { name: 'dashboards', emptyDir: {} },
          ],
        },
      },
    },
  };
  files.push({
    path: 'grafana-dashboards-volume.patch.yaml',
    content: Buffer.from(
      HEADER('Strategic-merge patch (applied by k8s/base) mounting every generated dashboard ConfigMap into Grafana.') +
        stringify(volumePatch, { lineWidth: 0 }),
    ),
  });
  return { files: files.sort((a, b) => a.path.localeCompare(b.path)), sources: src };
}

/** Writes the generated folder under `k8sDir` (default: this repository's k8s/). */
export function writeGenerated(files: GeneratedFile[], k8sDir = join(REPO_ROOT, 'k8s')): void {
  const out = join(k8sDir, GENERATED_REL);
  rmSync(out, { recursive: true, force: true });
  for (const f of files) {
    const p = join(out, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
  }
}

/** Differences between the checked-in generated folder and a fresh generation. */
export function staleFiles(files: GeneratedFile[], k8sDir = join(REPO_ROOT, 'k8s')): string[] {
  const out = join(k8sDir, GENERATED_REL);
  const expected = new Map(files.map((f) => [f.path, f.content]));
  const problems: string[] = [];
  for (const [p, c] of expected) {
    const full = join(out, p);
    if (!existsSync(full)) problems.push(`missing ${p}`);
    else if (!readFileSync(full).equals(c)) problems.push(`differs ${p}`);
  }
  for (const f of walk(out)) {
    const p = rel(f, out);
    if (!expected.has(p)) problems.push(`extra ${p}`);
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { files, sources } = generate();
  if (process.argv.includes('--check')) {
    const stale = staleFiles(files);
    if (stale.length > 0) {
      console.error(`k8s/base/generated is out of date (run \`npm run k8s:generate\`):\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log('k8s/base/generated is up to date');
  } else {
    writeGenerated(files);
    console.log(
      `k8s/base/generated: ${files.length} files — collector configs, ${sources.ruleFiles.length} rule file(s), ` +
        `${sources.dashboards.length} dashboard(s), ${sources.datasources.length} datasource file(s), ` +
        `${sources.dashboardProviders.length} provider file(s), ${sources.migrations.length} migration(s)`,
    );
    for (const s of sources.skipped)
      console.log(`  not deployed (neither dashboard nor provisioning): ${rel(s, REPO_ROOT)}`);
  }
}
