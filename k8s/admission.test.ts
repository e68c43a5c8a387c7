// What a cluster's API server would say about every rendered overlay (k8s/admission.ts runs
// aurea-k8s-check, built from k8s/admission-check): each object against the official schemas of
// the Kubernetes and operator releases pinned in k8s/versions.yaml, unknown fields as errors, and
// every pod — Aurea's workloads and the pods the operators create from the custom resources —
// against the Pod Security level its namespace enforces, with the upstream policy code.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { admissionCheck, crdFiles, label, pins, type AdmissionReport } from './admission.js';
import { REPO_ROOT } from './generate.js';
import { freshK8sTree, overlays, renderOverlay, type K8sObject } from './render.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

const renders = new Map<string, K8sObject[]>();
const reports = new Map<string, AdmissionReport>();
let cleanup: (() => void) | undefined;

beforeAll(() => {
  const tree = freshK8sTree();
  cleanup = tree.cleanup;
  for (const o of overlays()) {
    const { text, objects } = renderOverlay(tree.dir, o);
    renders.set(o, objects);
    reports.set(o, admissionCheck(text));
  }
}, 600_000); // a cold cache builds the checker (~1 min) and downloads the schema modules
afterAll(() => cleanup?.());

const toYaml = (objects: K8sObject[]): string => objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
const find = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};
const prod = (): K8sObject[] => structuredClone(renders.get('prod') ?? []);
const containerOf = (w: K8sObject): Json => arr(obj(obj(obj(w.spec).template).spec).containers)[0] ?? {};

// The custom resources' API groups, by the operator (name in k8s/versions.yaml) whose CRDs define them.
const OPERATOR_OF_GROUP: Record<string, string> = {
  'kafka.strimzi.io': 'Strimzi',
  'clickhouse.altinity.com': 'Altinity ClickHouse operator',
  'clickhouse-keeper.altinity.com': 'Altinity ClickHouse operator',
  'monitoring.coreos.com': 'Prometheus Operator',
  'keda.sh': 'KEDA',
};

describe('k8s admission: schemas of the pinned releases and Pod Security', () => {
  it('every object of every overlay passes its schemas, unknown fields as errors, and every pod its Pod Security level', () => {
    for (const [o, report] of reports) expect(report.problems, o).toEqual([]);
  });

  it('built-in kinds are checked against every pinned Kubernetes release, custom resources against their operator', () => {
    const p = pins();
    const kube = p.kubernetes.map((k) => label('kubernetes', k.version));
    const operator = new Map(p.operators.map((x) => [x.name, label(x.name, x.version)]));
    for (const [o, report] of reports) {
      const objects = renders.get(o) ?? [];
      expect(report.objects.length, o).toBe(objects.length);
      let custom = 0;
      for (const [i, x] of objects.entries()) {
        const group = x.apiVersion.includes('/') ? (x.apiVersion.split('/')[0] ?? '') : '';
        const op = OPERATOR_OF_GROUP[group];
        // Altinity's templates are untyped in its CRD: they are checked as the built-in kinds they become.
        const want = op === undefined ? kube : [operator.get(op), ...(group.includes('altinity') ? kube : [])];
        if (op !== undefined) custom++;
        expect(report.objects[i]?.schemas, `${o} ${x.kind}/${x.metadata.name}`).toEqual(want);
      }
      expect(custom, o).toBeGreaterThan(10);
    }
  });

  it("every pod is evaluated at its namespace's enforced level: restricted in dev and prod", () => {
    for (const [o, report] of reports) {
      const pods = report.pods.map((p) => p.pod);
      const objects = renders.get(o) ?? [];
      const workloads = objects.filter((x) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(x.kind));
      for (const w of workloads) expect(pods, o).toContain(`${w.kind}/${w.metadata.name}`);
      // Pods the operators create from the custom resources.
      for (const pool of objects.filter((x) => x.kind === 'KafkaNodePool'))
        expect(pods, o).toContain(`Kafka/aurea KafkaNodePool/${pool.metadata.name}`);
      expect(pods, o).toEqual(
        expect.arrayContaining([
          'Kafka/aurea entity-operator',
          'ClickHouseInstallation/aurea podTemplate clickhouse',
          'ClickHouseKeeperInstallation/aurea-keeper podTemplate keeper',
          'Prometheus/aurea',
          'Alertmanager/aurea',
        ]),
      );
      for (const p of report.pods) {
        expect(p.enforce, `${o} ${p.pod}`).toBe('restricted:latest');
        expect(p.warnings, `${o} ${p.pod}`).toEqual([]);
      }
    }
  });

  it('a wrong field, a wrong type or an API version the pinned operator does not serve fails the schema check', () => {
    const objects = prod();
    const api = find(objects, 'Deployment', 'aurea-analytics-api');
    obj(containerOf(api).securityContext).readOnlyRootFilesytem = true;
    obj(api.spec).replicas = 'three';
    obj(find(objects, 'KafkaTopic', 'aurea-task-events-v1').spec).partitionz = 12;
    obj(find(objects, 'Prometheus', 'aurea').spec).enableOTLPReciever = true;
    const so = obj(find(objects, 'ScaledObject', 'aurea-consumer').spec);
    so.minReplicaCont = 2;
    so.minReplicaCount = 13; // above maxReplicaCount: the CRD's CEL rule refuses it
    obj(obj(find(objects, 'ClickHouseInstallation', 'aurea').spec).configuration).clusterz = [];
    const keeper = find(objects, 'ClickHouseKeeperInstallation', 'aurea-keeper');
    const keeperPod = obj(arr(obj(obj(keeper.spec).templates).podTemplates)[0]).spec;
    obj(arr(obj(keeperPod).containers)[0]).securityContex = {};
    find(objects, 'KafkaNodePool', 'brokers').apiVersion = 'kafka.strimzi.io/v1alpha1';
    (find(objects, 'PodDisruptionBudget', 'aurea-consumer').metadata as Json).labelz = { a: 'b' };
    const problems = admissionCheck(toYaml(objects)).problems.join('\n');
    for (const k of ['kubernetes v1.30.14', 'kubernetes v1.35.4'])
      expect(problems).toContain(
        `Deployment aurea/aurea-analytics-api: ${k}: unknown field "spec.template.spec.containers[0].securityContext.readOnlyRootFilesytem"`,
      );
    expect(problems).toMatch(/aurea-analytics-api: kubernetes v1.35.4: spec.replicas: Invalid value: "string"/);
    expect(problems).toContain('KafkaTopic aurea/aurea-task-events-v1: unknown field "spec.partitionz"');
    expect(problems).toContain('Prometheus aurea/aurea: unknown field "spec.enableOTLPReciever"');
    expect(problems).toContain('ScaledObject aurea/aurea-consumer: unknown field "spec.minReplicaCont"');
    expect(problems).toMatch(
      /ScaledObject aurea\/aurea-consumer: spec: Invalid value: minReplicaCount must be less than or equal to maxReplicaCount/,
    );
    expect(problems).toContain('ClickHouseInstallation aurea/aurea: unknown field "spec.configuration.clusterz"');
    expect(problems).toContain(
      'ClickHouseKeeperInstallation aurea/aurea-keeper: spec.templates.podTemplates[0] (PodTemplate "keeper"): ' +
        'kubernetes v1.35.4: unknown field "template.spec.containers[0].securityContex"',
    );
    expect(problems).toMatch(
      /KafkaNodePool aurea\/brokers: kafka.strimzi.io\/v1alpha1 is not served by Strimzi 0.51.0/,
    );
    expect(problems).toContain(
      'PodDisruptionBudget aurea/aurea-consumer: kubernetes v1.35.4: unknown field "metadata.labelz"',
    );
  });

  it('a privileged setting in any pod — a workload or one an operator creates — fails Pod Security', () => {
    const objects = prod();
    obj(containerOf(find(objects, 'Deployment', 'aurea-consumer')).securityContext).privileged = true;
    const agent = containerOf(find(objects, 'DaemonSet', 'aurea-otel-agent'));
    obj(arr(agent.ports)[0]).hostPort = 4317;
    const kafka = find(objects, 'Kafka', 'aurea');
    delete obj(obj(obj(obj(kafka.spec).kafka).template).kafkaContainer).securityContext;
    obj(kafka.spec).kafkaExporter = { template: { container: { securityContext: { privileged: true } } } };
    const chi = find(objects, 'ClickHouseInstallation', 'aurea');
    obj(obj(arr(obj(obj(chi.spec).templates).podTemplates)[0]).spec).hostNetwork = true;
    obj(find(objects, 'Prometheus', 'aurea').spec).containers = [
      { name: 'config-reloader', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
    ];
    obj(find(objects, 'Alertmanager', 'aurea').spec).securityContext = { runAsNonRoot: true, runAsUser: 0 };
    const problems = admissionCheck(toYaml(objects)).problems;
    const of = (pod: string): string => problems.find((p) => p.startsWith(`${pod}: violates PodSecurity`)) ?? '';
    expect(of('Deployment/aurea-consumer')).toMatch(/"restricted:latest": privileged \(container "consumer"/);
    expect(of('DaemonSet/aurea-otel-agent')).toMatch(/hostPort \(container "otelcol" uses hostPort 4317\)/);
    expect(of('Kafka/aurea KafkaNodePool/brokers')).toMatch(/allowPrivilegeEscalation != false \(container "kafka"/);
    expect(of('Kafka/aurea KafkaNodePool/controllers')).toMatch(/unrestricted capabilities \(container "kafka"/);
    expect(of('ClickHouseInstallation/aurea podTemplate clickhouse')).toMatch(/host namespaces \(hostNetwork=true\)/);
    expect(of('Prometheus/aurea')).toMatch(
      /unrestricted capabilities \(container "config-reloader" must not include "NET_ADMIN"/,
    );
    expect(of('Alertmanager/aurea')).toMatch(/runAsUser=0 \(pod must not set runAsUser=0\)/);
    expect(of('Kafka/aurea kafka-exporter')).toMatch(/privileged \(container "kafka-exporter" must not set/);
    expect(problems).toHaveLength(8);
  });

  it("a namespace's level comes from its labels, and a pod-creating kind without a pod model is reported", () => {
    const objects = prod();
    const ns = find(objects, 'Namespace', 'aurea');
    ns.metadata.labels = { ...ns.metadata.labels, 'pod-security.kubernetes.io/enforce': 'baseline' };
    objects.push({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ThanosRuler',
      metadata: { name: 't', namespace: 'aurea' },
    });
    const report = admissionCheck(toYaml(objects));
    expect(new Set(report.pods.map((p) => p.enforce))).toEqual(new Set(['baseline:latest']));
    expect(report.problems).toContain(
      'ThanosRuler/t (monitoring.coreos.com/v1): no pod model for this kind in k8s/admission-check',
    );
  });

  it('the CRD fixtures are the upstream files whose SHA-256 k8s/versions.yaml records', () => {
    const fixtures = pins().operators.filter((o) => o.crds.fixture !== undefined);
    expect(fixtures.map((o) => o.name).sort()).toEqual(['Altinity ClickHouse operator', 'Strimzi']);
    for (const o of fixtures) expect(crdFiles(o.crds, o.version).length, o.name).toBeGreaterThan(0);
    const readme = readFileSync(join(REPO_ROOT, 'k8s', 'schemas', 'README.md'), 'utf8');
    for (const o of fixtures) expect(readme, o.name).toContain(`${o.crds.fixture?.split('/').pop()}/`);
  });
});

describe('docs/deploy.md installs exactly the pinned operator releases', () => {
  const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
  const flat = docs.replace(/\s+/g, ' ');

  it('names each pinned version and carries its install command verbatim', () => {
    for (const o of pins().operators) {
      expect(flat, o.name).toContain(`${o.name} ${o.version}`);
      expect(flat, o.name).toContain(o.install.replace(/\s+/g, ' ').trim());
    }
    const [oldest, newest] = pins().kubernetes.map((k) => k.version.replace(/^v(\d+\.\d+)\..*$/, '$1'));
    expect(flat).toContain(`Kubernetes ${oldest}–${newest}`);
  });

  it('installs no other release of the operators (no `latest`, no other version)', () => {
    const commands = pins().operators.map((o) => o.install.replace(/\s+/g, ' '));
    expect(docs).not.toMatch(/\blatest\b/);
    const refs = [
      ...docs.matchAll(/https?:\/\/\S*(?:strimzi|clickhouse-operator|prometheus-operator|kedacore)\S*/g),
      ...docs.matchAll(/oci:\/\/\S+/g),
    ].map((m) => m[0].replace(/[`)|]+$/, ''));
    expect(refs.length).toBeGreaterThanOrEqual(commands.length);
    for (const r of refs)
      expect(
        commands.some((c) => c.includes(r)),
        r,
      ).toBe(true);
  });
});
