// The standalone consumer service: probes and scrape endpoint for Kubernetes (/health, /ready,
// /metrics), a clean exit on SIGTERM, and its source policy from its configuration: an event from
// another producer is stored with Aurea's price (AUREA_PRICE_TABLE), its own figure kept apart.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createClickHouse } from '@aurea/clickhouse';
import { makeEvent } from './testing.js';
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
  // Another producer's event (no source): it claims $123 for a call Aurea prices at
  // 1000 × $1/1M + 500 × $2/1M = $0.002 with the price file below.
  const external = { ...makeEvent({ jobId: 'external-job', costNanos: 0, inputTokens: 1000, outputTokens: 500 }) };
  delete (external as { source?: string }).source;
  await produce(topic, [JSON.stringify({ ...external, cost_usd: 123, pricing_status: 'priced' })]);
  const dataDir = await mkdtemp(join(tmpdir(), 'aurea-consumer-main-'));
  const priceFile = join(dataDir, 'prices.json');
  await writeFile(
    priceFile,
    JSON.stringify({
      version: 'main-test',
      models: [
        { id: 'mini', provider: 'openai', model: 'gpt-4o-mini', effective_from: '2020-01-01', input: '1', output: '2' },
      ],
    }),
  );
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
      AUREA_PRICE_TABLE: priceFile,
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
    await waitFor(
      'all 201 events written',
      async () => {
        const m = await (await fetch(`${base}/metrics`)).text();
        const line = m.split('\n').find((l) => l.startsWith('aurea_consumer_events_total{') && l.includes('inserted'));
        return Number(line?.split(' ').at(-1) ?? 0) >= 201;
      },
      30_000,
      500,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const ch = await createClickHouse({ database: 'main_probe', dataDir });
    try {
      const rs = await ch.client.query({
        query: `SELECT toString(cost_usd) AS cost, toString(provided_cost_usd) AS provided, pricing_status, price_source
                FROM task_events FINAL WHERE job_id = 'external-job'`,
        format: 'JSONEachRow',
      });
      expect(await rs.json()).toEqual([
        { cost: '0.002', provided: '123', pricing_status: 'priced', price_source: 'override:mini' },
      ]);
    } finally {
      await ch.close();
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n--- consumer output ---\n${out.slice(-3000)}`);
  } finally {
    await deleteTopics();
    await rm(dataDir, { recursive: true, force: true });
  }
});
