// Renders every overlay in k8s/overlays with the project's kustomize (scripts/stack/install-kustomize.sh)
// and checks the rendered objects: cross-object checks of Strimzi/Altinity resources (schemas and
// Pod Security: k8s/admission.test.ts), and the deployment rules of
// docs/deploy.md (probes, resources, non-root read-only pods, PDBs, consumer replicas ≤ partitions,
// secrets by reference only, images built by a Dockerfile in the repository, the two Collector
// tiers, NetworkPolicies and the paths they open).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@aurea/events';
import { REPO_ROOT } from './generate.js';
import { freshK8sTree, overlays, renderOverlay, structuralProblems, type K8sObject } from './render.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

const renders = new Map<string, K8sObject[]>();
let cleanup: (() => void) | undefined;

beforeAll(() => {
  const tree = freshK8sTree();
  cleanup = tree.cleanup;
  for (const o of overlays()) renders.set(o, renderOverlay(tree.dir, o).objects);
}, 180_000);
afterAll(() => cleanup?.());

const byKind = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
};
const podSpecOf = (w: K8sObject): Json => obj(obj(obj(w.spec).template).spec);
const podLabelsOf = (w: K8sObject): Record<string, string> =>
  obj(obj(obj(w.spec).template).metadata).labels as Record<string, string>;
const workloads = (objects: K8sObject[]): K8sObject[] =>
  objects.filter((o) => ['Deployment', 'DaemonSet', 'StatefulSet', 'Job'].includes(o.kind));
const APP_DEPLOYMENTS = ['aurea-orchestrator', 'aurea-consumer', 'aurea-span-bridge', 'aurea-analytics-api'];

function partitionsOf(objects: K8sObject[], topicName: string): number {
  const t = byKind(objects, 'KafkaTopic').find((x) => obj(x.spec).topicName === topicName);
  if (!t) throw new Error(`no KafkaTopic for ${topicName}`);
  return Number(obj(t.spec).partitions);
}

/** A pod as NetworkPolicies see it: its namespace and labels. */
interface PodRef {
  namespace: string;
  labels: Record<string, string>;
}

/** Whether a label selector (matchLabels + matchExpressions) selects `labels`; `{}` selects all. */
function selects(sel: Json, labels: Record<string, string>): boolean {
  return (
    Object.entries(obj(sel.matchLabels)).every(([k, v]) => labels[k] === v) &&
    arr(sel.matchExpressions).every((e) => {
      const v = labels[String(e.key)];
      const values = (e.values as string[] | undefined) ?? [];
      if (e.operator === 'In') return v !== undefined && values.includes(v);
      if (e.operator === 'NotIn') return v === undefined || !values.includes(v);
      if (e.operator === 'Exists') return v !== undefined;
      if (e.operator === 'DoesNotExist') return v === undefined;
      throw new Error(`unknown selector operator ${String(e.operator)}`);
    })
  );
}

/**
 * Whether the NetworkPolicies of `namespace` let `from` open a TCP connection to `to` on `port`
 * (the Kubernetes semantics: a pod selected by any policy of a type is isolated for it, and then
 * needs a rule of one of those policies admitting the peer and port; egress and ingress both).
 * Peers by ipBlock are not matched (the policies' ipBlocks exclude the private ranges pods use).
 */
function connects(policies: K8sObject[], namespace: string, from: PodRef, to: PodRef, port: number): boolean {
  const peerMatches = (peer: Json, pod: PodRef): boolean => {
    if (peer.ipBlock !== undefined) return false;
    const ns = peer.namespaceSelector;
    const nsOk =
      ns === undefined
        ? pod.namespace === namespace
        : selects(obj(ns), { 'kubernetes.io/metadata.name': pod.namespace });
    return nsOk && (peer.podSelector === undefined || selects(obj(peer.podSelector), pod.labels));
  };
  const portOk = (rule: Json): boolean =>
    arr(rule.ports).length === 0 ||
    arr(rule.ports).some((p) => (p.protocol ?? 'TCP') === 'TCP' && Number(p.port) === port);
  const side = (type: 'Egress' | 'Ingress', self: PodRef, peer: PodRef): boolean => {
    if (self.namespace !== namespace) return true; // no policy of ours isolates it
    const rulesKey = type === 'Egress' ? 'egress' : 'ingress';
    const peersKey = type === 'Egress' ? 'to' : 'from';
    const isolating = policies.filter(
      (np) =>
        (obj(np.spec).policyTypes as string[]).includes(type) && selects(obj(obj(np.spec).podSelector), self.labels),
    );
    return (
      isolating.length === 0 ||
      isolating.some((np) =>
        arr(obj(np.spec)[rulesKey]).some(
          (r) => portOk(r) && (arr(r[peersKey]).length === 0 || arr(r[peersKey]).some((x) => peerMatches(x, peer))),
        ),
      )
    );
  };
  return side('Egress', from, to) && side('Ingress', to, from);
}

describe('k8s overlays', () => {
  it('has dev and prod overlays, and every overlay renders with the installed kustomize', () => {
    expect(overlays()).toEqual(expect.arrayContaining(['dev', 'prod', 'prod-hpa']));
    for (const [o, objects] of renders) {
      expect(objects.length, o).toBeGreaterThan(40);
      const ids = objects.map((x) => `${x.kind}/${x.metadata.namespace ?? ''}/${x.metadata.name}`);
      expect(new Set(ids).size, `${o}: duplicate objects`).toBe(ids.length);
      for (const x of objects)
        if (x.kind !== 'Namespace')
          expect(x.metadata.namespace, `${o} ${x.kind}/${x.metadata.name}`).toBe(o === 'dev' ? 'aurea-dev' : 'aurea');
    }
  });

  it('Strimzi and Altinity resources satisfy the cross-object rules no schema expresses', () => {
    for (const [o, objects] of renders) expect(structuralProblems(objects), o).toEqual([]);
  });

  it('the structural check rejects broken Strimzi/Altinity resources', () => {
    const objects = structuredClone(renders.get('prod') ?? []);
    const topic = named(objects, 'KafkaTopic', 'aurea-task-events-v1');
    obj(topic.spec).replicas = 5;
    delete obj(obj(topic.spec).config)['retention.ms'];
    const chi = named(objects, 'ClickHouseInstallation', 'aurea');
    obj(obj(chi.spec).configuration).users = { 'aurea/password': 'hunter2' };
    const pool = named(objects, 'KafkaNodePool', 'controllers');
    obj(pool.spec).replicas = 2;
    const problems = structuralProblems(objects).join('\n');
    expect(problems).toMatch(/aurea-task-events-v1: replicas 5 > brokers 3/);
    expect(problems).toMatch(/retention.ms must be stated/);
    expect(problems).toMatch(/aurea\/password puts a secret/);
    expect(problems).toMatch(/odd number .* controllers, has 2/);
  });

  it('every container has requests/limits and a non-root, read-only, no-capability security context', () => {
    for (const [o, objects] of renders) {
      for (const w of workloads(objects)) {
        const spec = podSpecOf(w);
        const psc = obj(spec.securityContext);
        expect(psc.runAsNonRoot, `${o} ${w.metadata.name}`).toBe(true);
        expect(Number(psc.runAsUser), `${o} ${w.metadata.name}`).toBeGreaterThan(0);
        expect(obj(psc.seccompProfile).type).toBe('RuntimeDefault');
        for (const c of arr(spec.containers)) {
          const id = `${o} ${w.metadata.name}/${String(c.name)}`;
          const res = obj(c.resources);
          expect(obj(res.requests).cpu, id).toBeDefined();
          expect(obj(res.requests).memory, id).toBeDefined();
          expect(obj(res.limits).memory, id).toBeDefined();
          const sc = obj(c.securityContext);
          expect(sc.readOnlyRootFilesystem, id).toBe(true);
          expect(sc.allowPrivilegeEscalation, id).toBe(false);
          expect(obj(sc.capabilities).drop, id).toEqual(['ALL']);
        }
      }
    }
  });

  it('long-running workloads have liveness and readiness probes; services probe /health and /ready', () => {
    for (const [o, objects] of renders) {
      for (const w of workloads(objects).filter((x) => x.kind !== 'Job')) {
        for (const c of arr(podSpecOf(w).containers)) {
          expect(c.livenessProbe, `${o} ${w.metadata.name}`).toBeDefined();
          expect(c.readinessProbe, `${o} ${w.metadata.name}`).toBeDefined();
        }
      }
      for (const name of APP_DEPLOYMENTS) {
        const c = arr(podSpecOf(named(objects, 'Deployment', name)).containers)[0] ?? {};
        expect(obj(obj(c.livenessProbe).httpGet).path).toBe('/health');
        expect(obj(obj(c.readinessProbe).httpGet).path).toBe('/ready');
      }
    }
  });

  it('every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods', () => {
    for (const [o, objects] of renders) {
      const pdbs = byKind(objects, 'PodDisruptionBudget');
      for (const d of [...byKind(objects, 'Deployment'), ...byKind(objects, 'StatefulSet')]) {
        const labels = podLabelsOf(d);
        const pdb = pdbs.find((p) => {
          const sel = obj(obj(p.spec).selector).matchLabels as Record<string, string> | undefined;
          return sel !== undefined && Object.entries(sel).every(([k, v]) => labels[k] === v);
        });
        expect(pdb, `${o}: no PDB for ${d.metadata.name}`).toBeDefined();
      }
    }
  });

  it('dev runs one replica of everything with no autoscaler; prod is scaled and highly available', () => {
    const dev = renders.get('dev') ?? [];
    for (const d of [...byKind(dev, 'Deployment'), ...byKind(dev, 'StatefulSet')])
      expect(obj(d.spec).replicas, d.metadata.name).toBe(1);
    expect(byKind(dev, 'HorizontalPodAutoscaler').length + byKind(dev, 'ScaledObject').length).toBe(0);
    const devChi = arr(obj(obj(named(dev, 'ClickHouseInstallation', 'aurea').spec).configuration).clusters)[0];
    expect(obj(devChi?.layout)).toEqual({ shardsCount: 1, replicasCount: 1 });
    for (const t of byKind(dev, 'KafkaTopic')) expect(obj(t.spec).replicas).toBe(1);

    for (const o of ['prod', 'prod-hpa']) {
      const prod = renders.get(o) ?? [];
      for (const name of ['aurea-orchestrator', 'aurea-analytics-api', 'aurea-otel-gateway'])
        expect(Number(obj(named(prod, 'Deployment', name).spec).replicas), `${o} ${name}`).toBeGreaterThanOrEqual(2);
      expect(Number(obj(named(prod, 'StatefulSet', 'aurea-otel-guard').spec).replicas), o).toBeGreaterThanOrEqual(2);
      const chi = arr(obj(obj(named(prod, 'ClickHouseInstallation', 'aurea').spec).configuration).clusters)[0];
      // One shard (docs/clickhouse.md, "Cluster notes"), replicated for availability.
      expect(Number(obj(chi?.layout).shardsCount)).toBe(1);
      expect(Number(obj(chi?.layout).replicasCount)).toBeGreaterThanOrEqual(2);
      const keeper = arr(
        obj(obj(named(prod, 'ClickHouseKeeperInstallation', 'aurea-keeper').spec).configuration).clusters,
      )[0];
      expect(obj(keeper?.layout).replicasCount).toBe(3);
      for (const t of byKind(prod, 'KafkaTopic')) {
        expect(obj(t.spec).replicas, t.metadata.name).toBe(3);
        expect(obj(obj(t.spec).config)['min.insync.replicas'], t.metadata.name).toBe(2);
      }
      expect(
        byKind(prod, 'KafkaNodePool')
          .map((p) => p.metadata.name)
          .sort(),
      ).toEqual(['brokers', 'controllers']);
      for (const d of [...byKind(prod, 'Deployment'), ...byKind(prod, 'StatefulSet')])
        expect(arr(podSpecOf(d).topologySpreadConstraints).length, `${o} ${d.metadata.name}`).toBeGreaterThan(0);
    }
  });

  it('consumer replicas never exceed the partitions of the topics it consumes; one autoscaler at most', () => {
    for (const [o, objects] of renders) {
      const cap = Math.min(partitionsOf(objects, TOPICS.taskEvents), partitionsOf(objects, TOPICS.otlpSpans));
      const consumer = named(objects, 'Deployment', 'aurea-consumer');
      const scalers = [...byKind(objects, 'HorizontalPodAutoscaler'), ...byKind(objects, 'ScaledObject')].filter(
        (s) => obj(obj(s.spec).scaleTargetRef).name === 'aurea-consumer',
      );
      expect(scalers.length, `${o}: KEDA and HPA must not both scale the consumer`).toBeLessThanOrEqual(1);
      const replicas = obj(consumer.spec).replicas;
      if (scalers.length === 0) {
        expect(Number(replicas), o).toBeLessThanOrEqual(cap);
        continue;
      }
      expect(
        replicas,
        `${o}: an autoscaled Deployment must not set replicas (a re-apply would reset them)`,
      ).toBeUndefined();
      const s = scalers[0] as K8sObject;
      const max = s.kind === 'ScaledObject' ? obj(s.spec).maxReplicaCount : obj(s.spec).maxReplicas;
      const min = s.kind === 'ScaledObject' ? obj(s.spec).minReplicaCount : obj(s.spec).minReplicas;
      expect(Number(max), `${o}: max consumers ≤ partitions ${cap}`).toBeLessThanOrEqual(cap);
      expect(Number(min), `${o}: HA needs ≥ 2 consumers`).toBeGreaterThanOrEqual(2);
      if (s.kind === 'ScaledObject') {
        const trigger = arr(obj(s.spec).triggers)[0] ?? {};
        expect(trigger.type).toBe('kafka');
        expect(obj(trigger.metadata).topic).toBe(TOPICS.taskEvents);
        expect(obj(trigger.metadata).allowIdleConsumers).toBe('false');
        // KEDA's operator resolves names in its own namespace: the Service must be namespace-qualified.
        const kafka = named(objects, 'Kafka', 'aurea');
        expect(obj(trigger.metadata).bootstrapServers).toBe(
          `${kafka.metadata.name}-kafka-bootstrap.${String(kafka.metadata.namespace)}.svc:9092`,
        );
      }
    }
    expect(byKind(renders.get('prod') ?? [], 'ScaledObject')).toHaveLength(1);
    expect(byKind(renders.get('prod-hpa') ?? [], 'HorizontalPodAutoscaler')).toHaveLength(1);
  });

  it('KafkaTopics carry exactly the topic names of the event contract', () => {
    for (const [o, objects] of renders) {
      const names = byKind(objects, 'KafkaTopic')
        .map((t) => obj(t.spec).topicName)
        .sort();
      expect(names, o).toEqual(Object.values(TOPICS).sort());
    }
  });

  it('config comes from rendered ConfigMaps; secrets only by reference, each documented in docs/deploy.md', () => {
    const docs = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const [o, objects] of renders) {
      // The one rendered Secret is the Alertmanager routing file (no credentials; k8s/generate.ts).
      expect(
        byKind(objects, 'Secret').map((x) => x.metadata.name),
        `${o}: no Secret may be committed`,
      ).toEqual(['aurea-alertmanager-config']);
      const maps = new Set(byKind(objects, 'ConfigMap').map((c) => c.metadata.name));
      const secrets = new Set<string>();
      const text = JSON.stringify(workloads(objects).map(podSpecOf));
      for (const m of text.matchAll(/"configMap(?:Ref|KeyRef)?":\{[^}]*?"name":"([^"]+)"/g))
        expect(maps, `${o}: ConfigMap ${m[1]}`).toContain(m[1]);
      for (const m of text.matchAll(/"secret(?:Ref|KeyRef)":\{[^}]*?"name":"([^"]+)"/g)) secrets.add(m[1] ?? '');
      for (const m of text.matchAll(/"secret":\{[^}]*?"secretName":"([^"]+)"/g)) secrets.add(m[1] ?? '');
      for (const chi of byKind(objects, 'ClickHouseInstallation'))
        for (const v of Object.values(obj(obj(chi.spec).configuration).users ?? {}))
          if (typeof v === 'string' && v.includes('/')) secrets.add(v.split('/')[0] ?? '');
      expect([...secrets].sort()).toEqual(
        expect.arrayContaining([
          'aurea-analytics-api-cursor',
          'aurea-analytics-api-keys',
          'aurea-clickhouse',
          'aurea-grafana',
        ]),
      );
      for (const s of secrets) expect(docs, `docs/deploy.md must tell how to create Secret ${s}`).toContain(s);
    }
  });

  it("each service's own ConfigMap sets only variables that service's config schema reads", () => {
    const readBy = (dirs: string[]): Set<string> => {
      const names = new Set<string>();
      const walk = (d: string): void => {
        if (!existsSync(d)) return;
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          if (statSync(p).isDirectory()) walk(p);
          else if (n.endsWith('.ts') && !n.endsWith('.test.ts'))
            for (const m of readFileSync(p, 'utf8').matchAll(/^\s+([A-Z][A-Z0-9_]+):\s*(?:z\.|env\.)/gm))
              names.add(m[1] ?? '');
        }
      };
      for (const d of dirs) walk(join(REPO_ROOT, d));
      return names;
    };
    const shared = ['services/common/src', 'clickhouse/src', 'services/sdk/src'];
    for (const [o, objects] of renders) {
      for (const svc of ['orchestrator', 'consumer', 'span-bridge', 'analytics-api']) {
        const src = join(REPO_ROOT, 'services', svc, 'src');
        if (!existsSync(join(src, 'config.ts'))) continue; // service not written yet: nothing to compare with
        const vars = readBy([`services/${svc}/src`, ...shared]);
        const cm = byKind(objects, 'ConfigMap').find((c) => c.metadata.name.startsWith(`aurea-${svc}-config-`));
        for (const k of Object.keys(cm?.data ?? {}))
          expect(vars, `${o}: aurea-${svc}-config sets ${k}, which services/${svc} never reads`).toContain(k);
      }
    }
  });

  it('every Aurea image is built by a Dockerfile in the repository (multi-stage, Node 24, non-root)', () => {
    const deployDoc = readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8');
    for (const [o, objects] of renders) {
      for (const w of workloads(objects)) {
        for (const c of arr(podSpecOf(w).containers)) {
          const image = String(c.image);
          const m = /\/aurea\/([a-z-]+):/.exec(image);
          if (!m) continue;
          const name = m[1] ?? '';
          // Aurea's services share services/Dockerfile (entry point chosen by --build-arg SERVICE); the
          // Collector images share k8s/images/otelcol/Dockerfile (distribution chosen by --build-arg
          // MANIFEST: otelcol ← collector/builder-config.yaml, otelcol-<tier> ← collector/<tier>/…);
          // other images have their own under k8s/images/<name>/.
          const isService = existsSync(join(REPO_ROOT, 'services', name, 'src', 'main.ts'));
          const collector = /^otelcol(?:-([a-z]+))?$/.exec(name);
          const file = isService
            ? join(REPO_ROOT, 'services', 'Dockerfile')
            : [join(REPO_ROOT, 'k8s', 'images', collector ? 'otelcol' : name, 'Dockerfile')].find(existsSync);
          expect(file, `${o}: no Dockerfile for ${image}`).toBeDefined();
          const df = readFileSync(file ?? '', 'utf8');
          expect(df.match(/^FROM /gm)?.length ?? 0, `${file}: multi-stage`).toBeGreaterThanOrEqual(2);
          const user = /^USER (\d+)(?::(\d+))?\s*$/m.exec(df);
          expect(user, `${file}: numeric non-root USER`).not.toBeNull();
          expect(Number(user?.[1])).toBeGreaterThan(0);
          expect(
            Number(obj(podSpecOf(w).securityContext).runAsUser),
            `${o} ${w.metadata.name}: pod uid = image uid`,
          ).toBe(Number(user?.[1]));
          if (isService) {
            expect(df).toMatch(/^ARG NODE_IMAGE=node:24[-\w.]*$/m);
            expect(df).toMatch(/^ARG SERVICE$/m);
            expect(df).toContain('services/${AUREA_SERVICE}/src/main.ts');
          }
          if (collector) {
            const manifest = collector[1] === undefined ? 'builder-config.yaml' : `${collector[1]}/builder-config.yaml`;
            expect(existsSync(join(REPO_ROOT, 'collector', manifest)), `${image}: collector/${manifest}`).toBe(true);
            expect(df).toMatch(/^ARG MANIFEST=builder-config.yaml$/m);
            if (collector[1] !== undefined)
              expect(deployDoc, `docs/deploy.md builds ${image}`).toContain(`--build-arg MANIFEST=${manifest}`);
            // Our own components (the guard manifest's `path:` module) are in the build context, and
            // the Builder version is the manifest's dist.version, not a second copy of it.
            expect(df).toMatch(/^COPY collector\/components\/ /m);
            expect(df).not.toMatch(/\b0\.1\d\d\.\d+\b/);
          }
        }
      }
    }
  });

  it('Collector in two tiers: routing Deployment behind a plain Service, guards behind a headless one', () => {
    for (const [o, objects] of renders) {
      const gateway = named(objects, 'Deployment', 'aurea-otel-gateway');
      const guard = named(objects, 'StatefulSet', 'aurea-otel-guard');
      const image = (w: K8sObject): string => String(arr(podSpecOf(w).containers)[0]?.image);
      expect(image(gateway), o).toMatch(/\/aurea\/otelcol-routing:/);
      expect(image(guard), o).toMatch(/\/aurea\/otelcol:/);
      // No affinity: the routing key, not the connection, picks a stream's guard (docs/collector.md).
      const svc = obj(named(objects, 'Service', 'aurea-otel-gateway').spec);
      expect(svc.type, o).toBe('ClusterIP');
      expect(svc.sessionAffinity ?? 'None', o).toBe('None');
      expect(svc.sessionAffinityConfig, o).toBeUndefined();
      expect(svc.selector, o).toEqual(obj(obj(gateway.spec).selector).matchLabels);
      expect(arr(svc.ports).map((p) => p.port)).toEqual([4317, 4318]);
      // Each guard pod has a stable DNS name: the StatefulSet's serviceName is a headless Service of its pods.
      const spec = obj(guard.spec);
      const headless = obj(named(objects, 'Service', String(spec.serviceName)).spec);
      expect(headless.clusterIP, o).toBe('None');
      expect(headless.selector, o).toEqual(obj(spec.selector).matchLabels);
      const grpc = arr(headless.ports).find((p) => p.port === 4317);
      const ports = arr(arr(podSpecOf(guard).containers)[0]?.ports);
      expect(ports.find((p) => p.name === grpc?.targetPort)?.containerPort, o).toBe(4317);
      expect(podLabelsOf(guard)['aurea.dev/collector-tier']).toBe('guard');
      expect(podLabelsOf(gateway)['aurea.dev/collector-tier']).toBe('routing');
      // Only guards push (Prometheus, Kafka): the routing tier is no Kafka client.
      expect(podLabelsOf(guard)['aurea.dev/kafka-client']).toBe('true');
      expect(podLabelsOf(gateway)['aurea.dev/kafka-client']).toBeUndefined();
    }
    const agent = named(renders.get('prod') ?? [], 'DaemonSet', 'aurea-otel-agent');
    expect(String(arr(podSpecOf(agent).containers)[0]?.image)).toMatch(/\/aurea\/otelcol-routing:/);
  });

  it('Prometheus stores OTLP start times as 0 samples (created-timestamp-zero-ingestion, as the local stack)', () => {
    const lib = readFileSync(join(REPO_ROOT, 'scripts', 'stack', 'lib.sh'), 'utf8');
    expect(lib).toMatch(/PROMETHEUS_FEATURES:-created-timestamp-zero-ingestion\b/);
    for (const [o, objects] of renders)
      expect(obj(named(objects, 'Prometheus', 'aurea').spec).enableFeatures, o).toEqual([
        'created-timestamp-zero-ingestion',
      ]);
  });

  it('NetworkPolicies: default deny on every Aurea pod, and every policy selects pods that exist', () => {
    for (const [o, objects] of renders) {
      const deny = named(objects, 'NetworkPolicy', 'aurea-default-deny');
      expect(obj(deny.spec).policyTypes).toEqual(['Ingress', 'Egress']);
      expect(obj(deny.spec).ingress).toBeUndefined();
      expect(obj(deny.spec).egress).toBeUndefined();
      const pods: Record<string, string>[] = workloads(objects).map(podLabelsOf);
      for (const kind of ['ClickHouseInstallation', 'ClickHouseKeeperInstallation'])
        for (const x of byKind(objects, kind))
          for (const t of arr(obj(obj(x.spec).templates).podTemplates))
            pods.push(obj(obj(t).metadata).labels as Record<string, string>);
      for (const x of [...byKind(objects, 'Prometheus'), ...byKind(objects, 'Alertmanager')])
        pods.push(obj(obj(x.spec).podMetadata).labels as Record<string, string>);
      for (const labels of pods)
        expect(labels['app.kubernetes.io/part-of'], `${o}: pod ${JSON.stringify(labels)}`).toBe('aurea');
      for (const np of byKind(objects, 'NetworkPolicy'))
        expect(
          pods.some((l) => selects(obj(obj(np.spec).podSelector), l)),
          `${o}: ${np.metadata.name} selects no pod`,
        ).toBe(true);
      const kafka = named(objects, 'Kafka', 'aurea');
      const peers = arr(arr(obj(obj(kafka.spec).kafka).listeners)[0]?.networkPolicyPeers);
      expect(peers.length, `${o}: Kafka listener must restrict its peers`).toBeGreaterThan(0);
    }
  });
  it('NetworkPolicies: clients → routing tier, routing → guards on 4317, guards → Prometheus', () => {
    for (const [o, objects] of renders) {
      const ns = o === 'dev' ? 'aurea-dev' : 'aurea';
      const policies = byKind(objects, 'NetworkPolicy');
      const pod = (kind: string, name: string): PodRef => ({
        namespace: ns,
        labels:
          kind === 'Prometheus'
            ? (obj(obj(named(objects, kind, name).spec).podMetadata).labels as Record<string, string>)
            : podLabelsOf(named(objects, kind, name)),
      });
      const can = (from: PodRef, to: PodRef, port: number): boolean => connects(policies, ns, from, to, port);
      const consumer = pod('Deployment', 'aurea-consumer');
      const gateway = pod('Deployment', 'aurea-otel-gateway');
      const guard = pod('StatefulSet', 'aurea-otel-guard');
      const prometheus = pod('Prometheus', 'aurea');
      const elsewhere: PodRef = { namespace: 'team-a', labels: { app: 'instrumented' } };
      const broker: PodRef = { namespace: ns, labels: { 'strimzi.io/cluster': 'aurea', 'strimzi.io/kind': 'Kafka' } };
      const expected: [string, boolean, boolean][] = [
        ['service → gateway gRPC', can(consumer, gateway, 4317), true],
        ['service → gateway HTTP', can(consumer, gateway, 4318), true],
        ['other namespace → gateway', can(elsewhere, gateway, 4318), true],
        ['service → guard', can(consumer, guard, 4317), false],
        ['other namespace → guard', can(elsewhere, guard, 4317), false],
        ['gateway → guard gRPC', can(gateway, guard, 4317), true],
        ['gateway → guard HTTP', can(gateway, guard, 4318), false],
        ['guard → Prometheus', can(guard, prometheus, 9090), true],
        ['gateway → Prometheus', can(gateway, prometheus, 9090), false],
        ['guard → Kafka', can(guard, broker, 9092), true],
        ['gateway → Kafka', can(gateway, broker, 9092), false],
        ['Prometheus scrapes the guard', can(prometheus, guard, 8888), true],
        ['Prometheus scrapes the gateway', can(prometheus, gateway, 8888), true],
      ];
      if (o === 'prod') {
        const agent = pod('DaemonSet', 'aurea-otel-agent');
        expected.push(
          ['service → agent', can(consumer, agent, 4318), true],
          ['agent → gateway', can(agent, gateway, 4317), true],
          ['agent → guard', can(agent, guard, 4317), false],
          ['agent → Prometheus', can(agent, prometheus, 9090), false],
        );
      }
      for (const [path, actual, want] of expected) expect(actual, `${o}: ${path}`).toBe(want);
    }
  });
});

describe('k8s YAML files', () => {
  it('every hand-written YAML file under k8s/ starts with a header comment', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const n of readdirSync(d)) {
        const p = join(d, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(n)) files.push(p);
      }
    };
    walk(join(REPO_ROOT, 'k8s'));
    // Byte-identical copies of collector/ and grafana/ files keep their source's first line; the
    // upstream CRD fixtures in k8s/schemas/ are kept unedited.
    const own = files.filter(
      (f) => !/base\/generated\/(collector|grafana)\/|^k8s\/schemas\//.test(relative(REPO_ROOT, f)),
    );
    expect(own.length).toBeGreaterThan(15);
    for (const f of own) expect(readFileSync(f, 'utf8').startsWith('#'), relative(REPO_ROOT, f)).toBe(true);
  });
});
