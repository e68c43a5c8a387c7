// The standalone span bridge: probes and scrape endpoint for Kubernetes (/health, /ready once it
// joined its group, /metrics), and a clean exit on SIGTERM.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { expect, it } from 'vitest';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('serves /health, /ready and /metrics, and exits 0 on SIGTERM', async () => {
  const id = randomBytes(4).toString('hex');
  const topics = { in: `sb-main-in-${id}`, out: `sb-main-out-${id}`, dlq: `sb-main-dlq-${id}` };
  const admin = new Kafka({ clientId: 'sb-main-test', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })),
    waitForLeaders: true,
  });
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const root = join(import.meta.dirname, '..', '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/span-bridge/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      SPAN_BRIDGE_INPUT_TOPIC: topics.in,
      SPAN_BRIDGE_OUTPUT_TOPIC: topics.out,
      SPAN_BRIDGE_DLQ_TOPIC: topics.dlq,
      SPAN_BRIDGE_GROUP_ID: `sb-main-${id}`,
      SPAN_BRIDGE_HTTP_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    await until('the span bridge to be ready', async () => (await fetch(`${base}/ready`)).status === 200, 60_000);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- span bridge output ---\n${out.slice(-3000)}`);
  } finally {
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect();
  }
});
