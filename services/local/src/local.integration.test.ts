// Recovery of the local runtime: its API answers within seconds of a start, whatever the consumer
// is doing. The runtime as a real process (`node --import tsx services/local/src/main.ts`), on the
// stack's Kafka: it consumes an event, is killed with SIGKILL, and is started again on the same
// data; the new process serves /health and the stored job before its consumer is back, and /ready
// says when the consumer is. Then a start with Kafka unreachable: the API serves, /ready is 503
// naming the consumer.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { createLogger } from '@aurea/common';
import { uuidv7 } from '@aurea/events';
import { startLocal } from './local.js';

const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const RUN = `local-recovery-${randomUUID().slice(0, 8)}`;
const TOPIC = `aurea.test.${RUN}`;
const DLQ = `${TOPIC}.dlq`;
const JOB = `${RUN}-job`;
const PORT = 20_000 + Math.floor(Math.random() * 20_000);
const BASE = `http://127.0.0.1:${PORT}`;
/** Seconds within which a started process must answer /health (this 2-core machine, shared; was 26–57 s). */
const LISTEN_WITHIN_MS = 15_000;

const kafka = new Kafka({ clientId: RUN, brokers: BROKERS, logLevel: logLevel.NOTHING });
let dataDir: string;

const env = (over: Record<string, string> = {}) => ({
  ...process.env,
  LOG_LEVEL: 'warn',
  HOST: '127.0.0.1',
  PORT: String(PORT),
  API_AUTH: 'disabled',
  CLICKHOUSE_URL: undefined,
  CLICKHOUSE_DATA_DIR: join(dataDir, 'ch'),
  CLICKHOUSE_DATABASE: 'local_recovery',
  KAFKA_BROKERS: BROKERS.join(','),
  INGEST_TOPIC: TOPIC,
  CONSUMER_TOPIC: TOPIC,
  CONSUMER_DLQ_TOPIC: DLQ,
  CONSUMER_GROUP_ID: RUN,
  AUREA_LOCAL_OTLP: 'false',
  AUREA_LOCAL_SPAN_BRIDGE: 'false',
  ...over,
});

function start(): { child: ChildProcess; exited: Promise<number | null>; log: () => string } {
  const root = join(import.meta.dirname, '..', '..', '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/local/src/main.ts'], {
    cwd: root,
    env: env(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, log: () => out };
}

async function until(what: string, pred: () => Promise<boolean>, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!(await pred().catch(() => false))) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - t0;
}
const status = async (path: string) => (await fetch(`${BASE}${path}`)).status;
const ready = async () => (await fetch(`${BASE}/ready`)).json() as Promise<{ checks: Record<string, string> }>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aurea-local-recovery-'));
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: TOPIC, numPartitions: 2 },
      { topic: DLQ, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const now = Date.now();
  await producer.send({
    topic: TOPIC,
    messages: [
      {
        key: JOB,
        value: JSON.stringify({
          schema_version: 1,
          event_id: uuidv7(now),
          started_at: new Date(now - 1000).toISOString(),
          ended_at: new Date(now).toISOString(),
          job_id: JOB,
          task_id: 't1',
          service: 'recovery-test',
          task_name: 'plan',
          operation: 'chat',
          provider: 'openai',
          request_model: 'gpt-4o-mini',
          usage: { input_tokens: 10, output_tokens: 5 },
          latency_ms: 1000,
          status: 'ok',
        }),
      },
    ],
  });
  await producer.disconnect();
});

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [TOPIC, DLQ] }).catch(() => undefined);
  await admin.disconnect();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('after SIGKILL the restarted runtime serves within seconds; /ready follows the consumer', async () => {
  const first = start();
  try {
    await until('the first process to store the event', async () => (await status(`/v1/jobs/${JOB}`)) === 200, 90_000);
    await until('the first process to be ready', async () => (await status('/ready')) === 200, 60_000);
  } catch (err) {
    first.child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${first.log().slice(-3000)}`);
  }
  first.child.kill('SIGKILL');
  await first.exited;

  const t0 = Date.now();
  const second = start();
  try {
    await until('the restarted API', async () => (await status('/health')) === 200, 60_000);
    const listenMs = Date.now() - t0;
    // the job stored before the crash is served at once, whatever the consumer is doing
    expect(await status(`/v1/jobs/${JOB}`)).toBe(200);
    expect(listenMs, `restarted API answered after ${listenMs} ms`).toBeLessThan(LISTEN_WITHIN_MS);
    await until('the restarted consumer to be ready', async () => (await status('/ready')) === 200, 90_000);
    expect((await ready()).checks).toMatchObject({ clickhouse: 'ok', kafka: 'ok', consumer: 'ok' });
  } finally {
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }
});

it('with Kafka unreachable the API serves; /ready is 503 naming the consumer', async () => {
  const t0 = Date.now();
  const local = await startLocal(
    env({ KAFKA_BROKERS: '127.0.0.1:1', PORT: '0', AUREA_LOCAL_SHUTDOWN_DEADLINE_MS: '10000' }),
    createLogger('local-recovery-test', 'silent'),
  );
  try {
    expect(Date.now() - t0).toBeLessThan(LISTEN_WITHIN_MS);
    expect((await fetch(`${local.apiUrl}/health`)).status).toBe(200);
    expect((await fetch(`${local.apiUrl}/v1/jobs/${JOB}`)).status).toBe(200);
    const r = await fetch(`${local.apiUrl}/ready`);
    expect(r.status).toBe(503);
    const body = (await r.json()) as { checks: Record<string, string> };
    expect(body.checks.clickhouse).toBe('ok');
    expect(body.checks.consumer).not.toBe('ok');
  } finally {
    await local.stop();
  }
});
