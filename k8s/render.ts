// Test helpers for k8s/: install kustomize through the project's script, lay out a fresh copy
// of k8s/ with the generated folder rebuilt from the current sources, render overlays, and
// check cross-object rules of the Strimzi and Altinity resources that no schema expresses
// (replicas vs brokers, odd quorums, template references). Schema validation and Pod Security
// are k8s/admission.ts.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT, generate, writeGenerated } from './generate.js';

/** A rendered Kubernetes object (fields checked by the tests as they read them). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  [key: string]: unknown;
}

const installed = new Map<string, string>();

/** Path of a tool built into the cache by one of scripts/stack/install-*.sh (run once per process). */
export function installedTool(script: string): string {
  let path = installed.get(script);
  if (path === undefined) {
    path = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'stack', script)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    installed.set(script, path);
  }
  return path;
}

/** Path of kustomize, built into the cache by scripts/stack/install-kustomize.sh if needed. */
export const kustomize = (): string => installedTool('install-kustomize.sh');

export const OVERLAYS_DIR = join(REPO_ROOT, 'k8s', 'overlays');
export const overlays = (): string[] => readdirSync(OVERLAYS_DIR).sort();

/**
 * A temporary copy of k8s/ whose generated folder is rebuilt from the current sources, so
 * rendering tests check what `npm run k8s:generate` would produce even when the checked-in
 * copy is behind (that drift has its own test). Call `cleanup` when done.
 */
export function freshK8sTree(): { dir: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'aurea-k8s-'));
  const dir = join(root, 'k8s');
  cpSync(join(REPO_ROOT, 'k8s'), dir, {
    recursive: true,
    filter: (src) => !src.includes('node_modules'),
  });
  writeGenerated(generate().files, dir);
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export function renderOverlay(k8sDir: string, overlay: string): { text: string; objects: K8sObject[] } {
  const text = execFileSync(kustomize(), ['build', join(k8sDir, 'overlays', overlay)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${overlay}: YAML error ${doc.errors[0]?.message}`);
    const value: unknown = doc.toJS();
    if (value !== null) objects.push(value as K8sObject);
  }
  return { text, objects };
}

// ---- structural checks of Strimzi and Altinity resources (fields their operators require) ----

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const posInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
const get = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((acc, k) => (isObj(acc) ? acc[k] : undefined), o);

/** Returns a list of problems (empty = valid) for the Strimzi and Altinity objects of a render. */
export function structuralProblems(objects: K8sObject[]): string[] {
  const p: string[] = [];
  const of = (kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
  const kafkas = of('Kafka');
  const pools = of('KafkaNodePool');
  const kafkaNames = new Set(kafkas.map((k) => k.metadata.name));

  for (const k of kafkas) {
    const id = `Kafka/${k.metadata.name}`;
    if (typeof get(k, 'spec.kafka.version') !== 'string') p.push(`${id}: spec.kafka.version (string) required`);
    if (get(k, 'spec.zookeeper') !== undefined) p.push(`${id}: spec.zookeeper present — KRaft mode has none`);
    const listeners = get(k, 'spec.kafka.listeners');
    if (!Array.isArray(listeners) || listeners.length === 0)
      p.push(`${id}: spec.kafka.listeners must be a non-empty list`);
    else
      for (const l of listeners) {
        if (
          typeof get(l, 'name') !== 'string' ||
          !posInt(get(l, 'port')) ||
          typeof get(l, 'type') !== 'string' ||
          typeof get(l, 'tls') !== 'boolean'
        )
          p.push(`${id}: every listener needs name, port, type and tls`);
      }
    const own = pools.filter((n) => n.metadata.labels?.['strimzi.io/cluster'] === k.metadata.name);
    const count = (role: string): number =>
      own
        .filter((n) => (get(n, 'spec.roles') as string[] | undefined)?.includes(role))
        .reduce((s, n) => s + Number(get(n, 'spec.replicas')), 0);
    if (count('controller') < 1 || count('controller') % 2 === 0)
      p.push(`${id}: needs an odd number (≥1) of KRaft controllers, has ${count('controller')}`);
    if (count('broker') < 1) p.push(`${id}: needs at least one broker`);
    const cfg = get(k, 'spec.kafka.config');
    if (isObj(cfg)) {
      const drf = Number(cfg['default.replication.factor']);
      const isr = Number(cfg['min.insync.replicas']);
      if (!(drf <= count('broker'))) p.push(`${id}: default.replication.factor ${drf} > brokers ${count('broker')}`);
      if (!(isr <= drf)) p.push(`${id}: min.insync.replicas ${isr} > replication ${drf}`);
      if (Number(cfg['offsets.topic.replication.factor']) > count('broker'))
        p.push(`${id}: offsets.topic.replication.factor > brokers`);
    } else p.push(`${id}: spec.kafka.config missing`);
  }
  for (const n of pools) {
    const id = `KafkaNodePool/${n.metadata.name}`;
    if (!kafkaNames.has(n.metadata.labels?.['strimzi.io/cluster'] ?? ''))
      p.push(`${id}: label strimzi.io/cluster must name a Kafka`);
    if (!posInt(get(n, 'spec.replicas'))) p.push(`${id}: spec.replicas (integer ≥ 1) required`);
    const roles = get(n, 'spec.roles');
    if (!Array.isArray(roles) || roles.length === 0 || roles.some((r) => r !== 'controller' && r !== 'broker'))
      p.push(`${id}: spec.roles must be a non-empty subset of [controller, broker]`);
    const st = get(n, 'spec.storage.type');
    if (!['jbod', 'persistent-claim', 'ephemeral'].includes(String(st))) p.push(`${id}: spec.storage.type invalid`);
    if (st === 'jbod') {
      const vols = get(n, 'spec.storage.volumes');
      if (!Array.isArray(vols) || vols.length === 0) p.push(`${id}: jbod storage needs volumes`);
      else
        for (const v of vols)
          if (
            typeof get(v, 'id') !== 'number' ||
            (get(v, 'type') === 'persistent-claim' && typeof get(v, 'size') !== 'string')
          )
            p.push(`${id}: every jbod volume needs id (and size for persistent-claim)`);
    }
  }
  for (const t of of('KafkaTopic')) {
    const id = `KafkaTopic/${t.metadata.name}`;
    const cluster = t.metadata.labels?.['strimzi.io/cluster'] ?? '';
    if (!kafkaNames.has(cluster)) p.push(`${id}: label strimzi.io/cluster must name a Kafka`);
    if (!posInt(get(t, 'spec.partitions'))) p.push(`${id}: spec.partitions (integer ≥ 1) required`);
    const replicas = get(t, 'spec.replicas');
    if (!posInt(replicas)) p.push(`${id}: spec.replicas (integer ≥ 1) required`);
    const brokers = pools
      .filter(
        (n) =>
          n.metadata.labels?.['strimzi.io/cluster'] === cluster &&
          (get(n, 'spec.roles') as string[]).includes('broker'),
      )
      .reduce((s, n) => s + Number(get(n, 'spec.replicas')), 0);
    if (posInt(replicas) && replicas > brokers) p.push(`${id}: replicas ${replicas} > brokers ${brokers}`);
    const config = get(t, 'spec.config');
    const isr = isObj(config) ? Number(config['min.insync.replicas']) : NaN;
    if (posInt(replicas) && !(isr >= 1 && isr <= replicas))
      p.push(`${id}: min.insync.replicas must be within 1..replicas`);
    if (posInt(replicas) && replicas >= 3 && isr < 2)
      p.push(`${id}: replicated topic should have min.insync.replicas ≥ 2`);
    const retention = isObj(config) ? config['retention.ms'] : undefined;
    if (!posInt(retention)) p.push(`${id}: retention.ms must be stated (integer ms)`);
    if (typeof get(t, 'spec.topicName') !== 'string')
      p.push(`${id}: spec.topicName required (topic names contain dots)`);
  }

  const keepers = of('ClickHouseKeeperInstallation');
  for (const k of keepers) {
    const id = `ClickHouseKeeperInstallation/${k.metadata.name}`;
    const clusters = get(k, 'spec.configuration.clusters');
    if (!Array.isArray(clusters) || clusters.length === 0) p.push(`${id}: spec.configuration.clusters required`);
    else
      for (const c of clusters) {
        const r = get(c, 'layout.replicasCount');
        if (typeof get(c, 'name') !== 'string') p.push(`${id}: cluster name required`);
        if (!posInt(r) || r % 2 === 0) p.push(`${id}: layout.replicasCount must be odd (Raft quorum), is ${String(r)}`);
      }
    p.push(...templateRefProblems(id, k));
  }
  for (const c of of('ClickHouseInstallation')) {
    const id = `ClickHouseInstallation/${c.metadata.name}`;
    const clusters = get(c, 'spec.configuration.clusters');
    if (!Array.isArray(clusters) || clusters.length === 0) p.push(`${id}: spec.configuration.clusters required`);
    else
      for (const cl of clusters) {
        if (typeof get(cl, 'name') !== 'string') p.push(`${id}: cluster name required`);
        if (!posInt(get(cl, 'layout.shardsCount')) || !posInt(get(cl, 'layout.replicasCount')))
          p.push(`${id}: layout.shardsCount and layout.replicasCount (integers ≥ 1) required`);
      }
    const nodes = get(c, 'spec.configuration.zookeeper.nodes');
    if (!Array.isArray(nodes) || nodes.length === 0)
      p.push(`${id}: zookeeper.nodes required (replicated tables and ON CLUSTER DDL)`);
    else
      for (const n of nodes) {
        const host = String(get(n, 'host'));
        if (!keepers.some((k) => host === `keeper-${k.metadata.name}`))
          p.push(`${id}: zookeeper host ${host} is no ClickHouseKeeperInstallation service`);
        if (!posInt(get(n, 'port'))) p.push(`${id}: zookeeper port required`);
      }
    const users = get(c, 'spec.configuration.users');
    if (isObj(users))
      for (const key of Object.keys(users))
        if (/\/(password|password_sha256_hex|password_double_sha1_hex)$/.test(key))
          p.push(`${id}: ${key} puts a secret in the manifest; use k8s_secret_password`);
    p.push(...templateRefProblems(id, c));
  }
  return p;
}

function templateRefProblems(id: string, o: K8sObject): string[] {
  const p: string[] = [];
  const names = (list: string): Set<string> =>
    new Set(((get(o, `spec.templates.${list}`) as unknown[] | undefined) ?? []).map((t) => String(get(t, 'name'))));
  const refs: [string, string][] = [
    ['podTemplate', 'podTemplates'],
    ['dataVolumeClaimTemplate', 'volumeClaimTemplates'],
    ['serviceTemplate', 'serviceTemplates'],
  ];
  for (const [ref, list] of refs) {
    const v = get(o, `spec.defaults.templates.${ref}`);
    if (v === undefined) continue;
    if (typeof v !== 'string') p.push(`${id}: defaults.templates.${ref} must be a template name`);
    else if (!names(list).has(v)) p.push(`${id}: defaults.templates.${ref} "${v}" is not in templates.${list}`);
  }
  return p;
}
