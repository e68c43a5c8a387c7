// The standalone consumer service: probes and scrape endpoint for Kubernetes (/health, /ready,
// /metrics), and a clean exit on SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import {
  BROKERS,
  createTopics,
  makeStream,
  emptyExpected,
  produce,
  uniqueName,
  waitFor,
} from './integration-helpers.js';

it('serves /health, /ready and /metrics, and exits 0 on SIGTERM', async () => {
  const topic = uniqueName('main-events');
  const dlq = uniqueName('main-dlq');
  const deleteTopics = await createTopics([
    { topic, partitions: 2 },
    { topic: dlq, partitions: 1 },
  ]);
  await produce(topic, makeStream(200, 5, emptyExpected(), 3));
  const dataDir = await mkdtemp(join(tmpdir(), 'aurea-consumer-main-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const root = join(import.meta.dirname, '..', '..', '..');
  // node --import tsx: one process, so SIGTERM reaches the service and its exit code comes back.
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/consumer/src/main.ts'], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: BROKERS.join(','),
      CLICKHOUSE_DATA_DIR: dataDir,
      CLICKHOUSE_DATABASE: 'main_probe',
      CONSUMER_TOPIC: topic,
      CONSUMER_DLQ_TOPIC: dlq,
      CONSUMER_GROUP_ID: uniqueName('main-group'),
      CONSUMER_HTTP_PORT: String(port),
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
    await waitFor(
      'the consumer to be ready',
      async () => (await fetch(`${base}/ready`).catch(() => undefined))?.status === 200,
      60_000,
      200,
    );
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    await waitFor(
      'consumer metrics',
      async () => (await (await fetch(`${base}/metrics`)).text()).includes('aurea_consumer_events'),
      30_000,
      500,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- consumer output ---\n${out.slice(-3000)}`);
  } finally {
    await deleteTopics();
    await rm(dataDir, { recursive: true, force: true });
  }
});
