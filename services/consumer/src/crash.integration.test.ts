// The consumer as a real process (`node --import tsx services/consumer/src/main.ts`), killed with SIGKILL
// mid-stream several times and restarted on the same data dir, consumer group and static member
// id; then a last run drains the topic and stops gracefully (SIGTERM). Only after the process is
// gone does the test open the data dir (one process per dir) and check: every event once as
// readers see it (FINAL), per-job and per-day totals and both rollups exact.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createClickHouse } from '@aurea/clickhouse';
import { createAdmin } from '@aurea/common';
import {
  KAFKA,
  actualTotals,
  BROKERS,
  countFinal,
  createTopics,
  emptyExpected,
  makeStream,
  produce,
  uniqueName,
  waitFor,
} from './integration-helpers.js';

let dataDir: string;
const admin = createAdmin(KAFKA);
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'aurea-consumer-crash-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null && c.pid) process.kill(-c.pid, 'SIGKILL');
  await admin.close();
  await rm(dataDir, { recursive: true, force: true });
});

function startChild(env: Record<string, string>): {
  child: ChildProcess;
  exited: Promise<number | null>;
  closed: Promise<void>;
  output: () => string;
} {
  // Own process group: SIGKILL reaches the service and anything it started.
  // node --import tsx (one process), as the service runs in production: the tsx CLI wrapper would
  // SIGKILL a child that is slow to acknowledge the graceful SIGTERM on a loaded machine.
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/consumer/src/main.ts'], {
    cwd: join(import.meta.dirname, '..', '..', '..'),
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  child.stderr.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // 'close': the process is gone and all its output was read.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return { child, exited, closed, output: () => out };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function committed(groupId: string, topic: string): Promise<number> {
  const [g] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const t = g?.topics.find((x) => x.name === topic);
  return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.committedOffset)), 0);
}

it('SIGKILL mid-stream, several times: totals and rollups stay exact', async () => {
  const topic = uniqueName('crash-events');
  const dlq = uniqueName('crash-dlq');
  const groupId = uniqueName('crash-group');
  const deleteTopics = await createTopics([
    { topic, partitions: 6 },
    { topic: dlq, partitions: 1 },
  ]);
  const expected = emptyExpected();
  await produce(topic, makeStream(20_000, 60, expected, 5));
  const env = {
    KAFKA_BROKERS: BROKERS.join(','),
    CLICKHOUSE_DATA_DIR: dataDir,
    CLICKHOUSE_DATABASE: 'crash',
    CONSUMER_TOPIC: topic,
    CONSUMER_DLQ_TOPIC: dlq,
    CONSUMER_GROUP_ID: groupId,
    // Small cycles: many insert/commit cycles, so kills land mid-stream.
    CONSUMER_MAX_CYCLE_MESSAGES: '250',
    CONSUMER_CYCLE_MS: '50',
    CONSUMER_MAX_WAIT_MS: '50',
    // The same static member id in every run: a restarted process takes its partitions back at
    // once instead of waiting out the killed member's session.
    KAFKA_GROUP_INSTANCE_ID: uniqueName('crash-member'),
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  };

  const kills: number[] = [];
  const t0 = Date.now();
  for (let round = 0; round < 4; round++) {
    const before = await committed(groupId, topic);
    const { child, exited, output } = startChild(env);
    // Let it make progress (commits move), then kill it at a random moment.
    await waitFor(
      `round ${round}: progress`,
      async () => (await committed(groupId, topic)) > before + 1000,
      90_000,
      50,
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${output()}`);
    });
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 400)));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    await waitFor('process group gone', () => !groupAlive(child.pid!), 10_000);
    kills.push(await committed(groupId, topic));
    console.log(`round ${round}: killed at ${kills.at(-1)} committed, t=${Date.now() - t0} ms`);
  }
  expect(kills.at(-1)).toBeLessThan(expected.events); // the kills really were mid-stream

  const { child, exited, closed, output } = startChild({ ...env, LOG_LEVEL: 'info' });
  await waitFor('drained', async () => (await committed(groupId, topic)) >= expected.events, 120_000, 100).catch(
    (err: unknown) => {
      throw new Error(`${(err as Error).message}\n${output()}`);
    },
  );
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  await closed;
  // The service finishes its shutdown, then the group is gone.
  await waitFor('process group gone', () => !groupAlive(child.pid!), 30_000);
  // Graceful stop: the batch in hand finished, offsets committed, connections closed.
  expect(output()).toContain('"msg":"consumer stopped"');
  expect(output()).toContain('"msg":"shutdown complete"');

  const ch = await createClickHouse({ database: 'crash', dataDir });
  try {
    const a = await actualTotals(ch);
    expect(await countFinal(ch)).toBe(expected.events);
    expect(a.events).toEqual(expected.perJob);
    expect(a.eventDays).toEqual(expected.perDay);
    expect(a.jobs).toEqual(expected.perJob);
    expect(a.days).toEqual(expected.perDay);
    // Rewritten after a kill: at most the cycle in hand per kill (plan.ts, invariant 3).
    expect(a.stored - expected.events).toBeLessThanOrEqual(4 * 6 * 250);
  } finally {
    await ch.close();
    await deleteTopics();
  }
}, 300_000);
