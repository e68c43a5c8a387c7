// A private multi-node Kafka cluster for tests and benchmarks that kill brokers, driven through
// scripts/stack/kafka-cluster.sh (its own run directory and ports; the shared stack is untouched).
// Ports: KAFKA_FAILOVER_PORT (client ports from 19092) and KAFKA_FAILOVER_CONTROLLER_PORT (19192).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';

const run = promisify(execFile);
const script = join(import.meta.dirname, '../../scripts/stack/kafka-cluster.sh');

export interface LocalCluster {
  readonly brokers: string[];
  readonly nodes: number;
  readonly runDir: string;
  kill(node: number): Promise<void>;
  startNode(node: number): Promise<void>;
  /** Topic partitions: leader and in-sync replicas, from fresh metadata. */
  partitions(topic: string): Promise<{ partition: number; leader: number; isr: number[] }[]>;
  createTopic(topic: string, partitions: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startCluster(nodes = 3): Promise<LocalCluster> {
  const runDir = mkdtempSync(join(tmpdir(), 'aurea-kafka-cluster-'));
  const env = {
    ...process.env,
    KAFKA_NODES: String(nodes),
    KAFKA_PORT: process.env.KAFKA_FAILOVER_PORT ?? '19092',
    KAFKA_CONTROLLER_PORT: process.env.KAFKA_FAILOVER_CONTROLLER_PORT ?? '19192',
    AUREA_RUN_DIR: runDir,
  };
  const sh = (...args: string[]) => run('bash', [script, ...args], { env, timeout: 180_000 });
  let stdout: string;
  try {
    ({ stdout } = await sh('start'));
  } catch (err) {
    await sh('stop').catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  const brokers = stdout.trim().split('\n').pop()!.split(',');
  const admin = new Admin({ clientId: 'aurea-cluster-test', bootstrapBrokers: brokers, retries: 5, retryDelay: 500 });
  return {
    brokers,
    nodes,
    runDir,
    kill: async (node) => {
      await sh('kill', String(node));
    },
    startNode: async (node) => {
      await sh('start-node', String(node));
    },
    partitions: async (topic) => {
      const md = await admin.metadata({ topics: [topic], forceUpdate: true });
      const t = md.topics.get(topic);
      if (!t) throw new Error(`topic ${topic} not in metadata`);
      return t.partitions.map((p, partition) => ({ partition, leader: p.leader, isr: p.isr }));
    },
    createTopic: async (topic, partitions) => {
      const replicas = Math.min(3, nodes);
      await admin.createTopics({
        topics: [topic],
        partitions,
        replicas,
        configs: replicas > 1 ? [{ name: 'min.insync.replicas', value: String(replicas - 1) }] : [],
      });
    },
    stop: async () => {
      await admin.close().catch(() => undefined);
      await sh('stop').catch(() => undefined);
      rmSync(runDir, { recursive: true, force: true });
    },
  };
}
